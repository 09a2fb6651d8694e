import { recordAudit } from '../audit';
import { repositoriesOf } from '../../persistence/repositories';
import { bumpRuleSetVersion } from './rule-set-version';
import { dynamicRuleIdFor, type SyncedRuleDoc } from './rule-records';
import { compileOrThrow, requireRuleTarget } from './rule-validation';
import type { RuleActorContext, RuleWriteDeps } from './rules-service';

/**
 * A dynamic group's membership rule (DESIGN §2): stored as a rule of kind 'dynamic' with the id
 * `dyn_<groupId>`, targeting the group and writing source `dynamic`, so the same engine (job
 * `rule.changed`, user evaluation, preview) computes its members. The groups API calls these
 * when a group is made dynamic, its expression changes, or it stops being dynamic / is deleted.
 */

/** Sets (creates or replaces) the group's rule and starts a full run. Throws the rule language's 400 on a bad expression. */
export async function setDynamicGroupRule(deps: RuleWriteDeps, ctx: RuleActorContext, groupId: string, expression: string): Promise<SyncedRuleDoc> {
  compileOrThrow(deps.registry, expression);
  await requireRuleTarget(deps.models, ctx.tenantId, groupId, 'dynamic');
  const id = dynamicRuleIdFor(groupId);
  const now = new Date();
  const existing = await repositoriesOf(deps.models).rules.findOfTenant(ctx.tenantId, id);
  if (existing && !existing.deletedAt && existing.enabled && existing.expression === expression) return existing;
  let doc: SyncedRuleDoc;
  if (existing) {
    doc = await repositoriesOf(deps.models).rules.reviveWithExpression(ctx.tenantId, id, expression, now);
  } else {
    doc = {
      _id: id,
      tenantId: ctx.tenantId,
      kind: 'dynamic',
      name: `Dynamic group ${groupId}`,
      expression,
      targetGroupId: groupId,
      enabled: true,
      priority: 0,
      version: 1,
      sync: { version: 1, pendingSince: now },
      createdBy: ctx.actor.id,
      createdAt: now,
      updatedAt: now,
    };
    await repositoriesOf(deps.models).rules.insert(doc);
  }
  await after(deps, ctx, existing ? 'rule.updated' : 'rule.created', doc, existing?.expression);
  return doc;
}

/** Removes the group's rule: its `dynamic` memberships are removed by the run that follows. No rule: nothing happens. */
export async function clearDynamicGroupRule(deps: RuleWriteDeps, ctx: RuleActorContext, groupId: string): Promise<void> {
  const now = new Date();
  const doc = await repositoriesOf(deps.models).rules.tombstone(ctx.tenantId, dynamicRuleIdFor(groupId), now);
  if (doc) await after(deps, ctx, 'rule.deleted', doc, doc.expression);
}

async function after(deps: RuleWriteDeps, ctx: RuleActorContext, action: string, doc: SyncedRuleDoc, previousExpression?: string) {
  await bumpRuleSetVersion(deps.models, ctx.tenantId);
  await recordAudit(deps.models, {
    tenantId: ctx.tenantId,
    actor: ctx.actor,
    action,
    object: { type: 'Rule', id: doc._id },
    before: previousExpression === undefined ? undefined : { expression: previousExpression },
    after: doc.deletedAt ? undefined : { kind: 'dynamic', groupId: doc.targetGroupId, expression: doc.expression },
    requestId: ctx.requestId,
  });
  await deps.producer.enqueue('rule.changed', {
    tenantId: ctx.tenantId,
    ruleId: doc._id,
    version: doc.sync.version,
    reason: action === 'rule.deleted' ? 'deleted' : action === 'rule.created' ? 'created' : 'updated',
  });
}
