import type { MembershipsRepository } from '../../persistence/memberships-repository';
import type { RuleActorContext, RuleWriteDeps } from '../sync/rules-service';
import type { Caller } from '../access/caller';
import { auditActorOf, auditCallerChange } from '../access/caller';

/**
 * What the group use-cases need (a subset of AdminDeps): the models and memberships, plus what
 * writing a dynamic group's rule needs (the rules engine compiles it against the User schema and
 * queues its run).
 */
export interface GroupsDeps extends RuleWriteDeps {
  memberships: MembershipsRepository;
}

/** The caller as the rules engine records it. */
export function ruleActorOf(caller: Caller): RuleActorContext {
  return { tenantId: caller.tenantId, actor: auditActorOf(caller), ...(caller.requestId !== undefined ? { requestId: caller.requestId } : {}) };
}

/** Records one admin change in the audit log (actor = the token's subject). */
export async function auditAdminChange(
  deps: GroupsDeps,
  caller: Caller,
  action: string,
  object: { type: string; id: string },
  change: { before?: unknown; after?: unknown; state?: unknown } = {},
): Promise<void> {
  await auditCallerChange(deps.models, caller, action, object, change);
}
