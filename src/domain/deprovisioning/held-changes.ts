import { activationAccessState } from '../permissions/access-difference';
import { permissionEngine } from '../permissions/engine';
import type { AuditEventDoc, UserDoc } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { auditEvent, writeUserAudits, type AuditActor } from '../audit';
import { writeTenantAudit } from '../recovery/pending-audits';
import { accessEvents } from '../access-events';
import { completePendingChange, recordPendingChange, type RecoveryDeps } from '../recovery/pending-changes';
import { userSummary, type UserSummary } from '../groups/user-identity';
import type { BreakerDeps } from './breaker';
import { decideHeldGroupDeletions, decideHeldMemberships, listHeldGroupDeletions, listHeldMemberships } from './group-holds';
import { readSettings } from './settings';

/** The admin's request: tenant, actor and request id (audited with each decision). */
export interface DecisionContext {
  tenantId: string;
  actor: AuditActor;
  requestId?: string;
}

/** A user with held deprovisions, as the admin API and the console show it. */
export interface HeldUserView {
  /** `active`: for access (true while a held deactivation keeps it). */
  user: UserSummary;
  /** What the IdP asked: the user deactivated, or deleted. */
  idpState: 'inactive' | 'deleted';
  state: 'held' | 'rejected';
  since: string;
  decidedAt?: string;
  decidedBy?: string;
  changes: { id: string; kind: 'deactivate' | 'delete'; at: string; actor: AuditActor; requestId?: string; retroactive?: boolean }[];
}

export function heldUserView(user: UserDoc): HeldUserView {
  const hold = user.hold!;
  return {
    user: userSummary(user),
    idpState: hold.deleted ? 'deleted' : 'inactive',
    state: hold.state,
    since: hold.since.toISOString(),
    ...(hold.decidedAt ? { decidedAt: hold.decidedAt.toISOString() } : {}),
    ...(hold.decidedBy ? { decidedBy: hold.decidedBy } : {}),
    changes: hold.changes.map((c) => ({
      id: c._id,
      kind: c.kind,
      at: c.at.toISOString(),
      actor: c.actor,
      ...(c.requestId !== undefined ? { requestId: c.requestId } : {}),
      ...(c.retroactive ? { retroactive: true } : {}),
    })),
  };
}

/** The breaker's state and the held changes (oldest first), for the admin API and the console's banner. */
export async function listHeldChanges(deps: Pick<BreakerDeps, 'models'>, tenantId: string, opts: { state?: 'held' | 'rejected' } = {}) {
  const { settings, trippedAt } = await readSettings(deps.models, tenantId);
  const users = await repositoriesOf(deps.models).users.withHolds(tenantId, opts);
  const items = users.map(heldUserView);
  const memberships = await listHeldMemberships(deps.models, tenantId, opts);
  return {
    breaker: { ...settings.breaker, tripped: trippedAt !== undefined, ...(trippedAt ? { trippedAt: trippedAt.toISOString() } : {}) },
    held: items.filter((i) => i.state === 'held').length,
    rejected: items.filter((i) => i.state === 'rejected').length,
    items,
    // IdP group-member removals (and the removals of a deleted IdP group's members), per membership.
    groupChanges: {
      held: memberships.filter((m) => m.state === 'held').length,
      rejected: memberships.filter((m) => m.state === 'rejected').length,
      items: memberships,
    },
    // IdP group deletions (SCIM answers 404; the group, its members and grants stay for access).
    groupDeletions: await listHeldGroupDeletions(deps.models, tenantId, opts),
  };
}

export interface DecisionOutcome {
  /** Users whose held changes this call applied, or rejected. */
  decided: string[];
  /** Users named that had nothing to decide (already decided, or no hold): the call is idempotent. */
  unchanged: string[];
  /** Held IdP group-member removals this call applied or rejected ("groupId|userId"). */
  decidedGroupChanges: string[];
  /** Held IdP group deletions this call applied or rejected (group ids). */
  decidedGroupDeletions: string[];
}

/** What a decision takes: everything held (absent), or the users named (their deprovisions and group removals), or the groups named (their members' removals). */
export interface DecisionSelection {
  userIds?: readonly string[];
  groupIds?: readonly string[];
}

const MAX_TRIES = 8;

/**
 * Allow: applies every held change of the users (all held users when `userIds` is absent), oldest
 * hold first: the user is deactivated (memberships and access removed by the worker, as for an
 * IdP's deactivation), or deleted when the IdP deleted it. A rejected user may be allowed too (the
 * admin deactivates at once a user whose access was kept). Idempotent: a user without a hold is
 * left alone, and each change is a compare-and-set on the user's version, audited once with it.
 */
export async function allowHeld(deps: BreakerDeps, ctx: DecisionContext, select?: DecisionSelection): Promise<DecisionOutcome> {
  return decide(deps, ctx, select, 'allow');
}

/** Reject: the users keep their access; the IdP's state stays shown, marked rejected. Idempotent. */
export async function rejectHeld(deps: BreakerDeps, ctx: DecisionContext, select?: DecisionSelection): Promise<DecisionOutcome> {
  return decide(deps, ctx, select, 'reject');
}

async function decide(deps: BreakerDeps, ctx: DecisionContext, select: DecisionSelection | undefined, verdict: 'allow' | 'reject'): Promise<DecisionOutcome> {
  const users = repositoriesOf(deps.models).users;
  const userIds = select?.userIds;
  // All: the held ones. Named: allow takes rejected ones too (an admin's deactivation at once).
  // Groups named (and no users): only their members' removals.
  const candidates = userIds ? await users.withHolds(ctx.tenantId, { ids: userIds }) : select?.groupIds ? [] : await users.withHolds(ctx.tenantId, { state: 'held' });
  const outcome: DecisionOutcome = { decided: [], unchanged: (userIds ?? []).filter((id) => !candidates.some((u) => u._id === id)), decidedGroupChanges: [], decidedGroupDeletions: [] };
  for (const candidate of candidates) {
    const done = verdict === 'allow' ? await allowOne(deps, ctx, candidate) : await rejectOne(deps, ctx, candidate);
    (done ? outcome.decided : outcome.unchanged).push(candidate._id);
  }
  // The IdP group-member removals, oldest hold first.
  outcome.decidedGroupChanges = await decideHeldMemberships(deps, ctx, verdict, select);
  // The IdP's group deletions: all, or the groups named (users named alone take none).
  if (!select?.userIds || select.groupIds) outcome.decidedGroupDeletions = await decideHeldGroupDeletions(deps, ctx, verdict, select?.groupIds);
  // Nothing left to decide: the breaker closes (its window starts afresh).
  const left = async () => (await users.countHeld(ctx.tenantId)) + (await deps.memberships.countHeld(ctx.tenantId)) + (await repositoriesOf(deps.models).groups.countHeldDeletions(ctx.tenantId));
  if ((await left()) === 0) {
    const audit = auditEvent({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      action: 'directory.breaker_reset',
      object: { type: 'Tenant', id: ctx.tenantId },
      after: { verdict },
      ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
    });
    // The reset and its audit event are one write (as the trip's).
    if (await repositoriesOf(deps.models).tenants.resetBreaker(ctx.tenantId, audit)) await writeTenantAudit(deps.models, ctx.tenantId, audit);
  }
  return outcome;
}

function decisionAudit(ctx: DecisionContext, user: UserDoc, action: string, after: Record<string, unknown>, version: number, attrs: Record<string, unknown>): AuditEventDoc {
  return auditEvent({
    tenantId: ctx.tenantId,
    actor: ctx.actor,
    action,
    object: { type: 'User', id: user._id },
    before: { attrs: { active: true }, version: user.version },
    after: { ...after, version },
    state: { attrs, version },
    ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
  });
}

async function allowOne(deps: BreakerDeps, ctx: DecisionContext, first: UserDoc): Promise<boolean> {
  const users = repositoriesOf(deps.models).users;
  let user: UserDoc | null = first;
  for (let attempt = 0; attempt < MAX_TRIES && user?.hold; attempt++) {
    const hold = user.hold;
    const heldChangeIds = hold.changes.map((c) => c._id);
    if (hold.deleted) {
      // The IdP deleted the user: the deletion, as SCIM's, through a recorded intent (crash-safe).
      const change = await recordPendingChange(
        deps.models,
        'user.delete',
        user._id,
        {
          tenantId: ctx.tenantId,
          actor: ctx.actor,
          action: 'user.deleted',
          object: { type: 'User', id: user._id },
          before: { attrs: { ...user.attrs, active: false }, version: user.version },
          after: { allowedHeldChanges: heldChangeIds },
          ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
        },
        user.pendingAudit,
      );
      const deleted = await users.deleteIfVersion(ctx.tenantId, user._id, user.version);
      if (!deleted) {
        await repositoriesOf(deps.models).pendingChanges.delete(change);
        user = await users.find(ctx.tenantId, user._id);
        continue;
      }
      await completePendingChange(deps satisfies RecoveryDeps, change, { eventsLeft: deleted.pendingAudit ?? [] });
      return true;
    }
    const now = new Date();
    const attrs = { ...user.attrs, active: false };
    const audit = decisionAudit(ctx, user, 'user.deprovision.allowed', { attrs: { active: false }, allowedHeldChanges: heldChangeIds }, user.version + 1, attrs);
    const updated = await users.updateIfVersion(ctx.tenantId, user._id, user.version, { attrs, lc: user.lc, audits: [audit], set: { inactiveSince: now }, unset: ['hold'] }, now);
    if (!updated) {
      user = await users.find(ctx.tenantId, user._id);
      continue;
    }
    accessEvents.emit({ tenantId: ctx.tenantId, kind: 'membership', userId: user._id });
    // The access goes now: access.changed follows the user's user.deactivated.
    const access = await activationAccessState(permissionEngine(deps.models), ctx.tenantId, user._id, true);
    await writeUserAudits(deps.models, ctx.tenantId, user._id, [access ? { ...audit, state: { ...(audit.state as Record<string, unknown>), ...access } } : audit]);
    await deps.enqueuer.enqueue('user.changed', { tenantId: ctx.tenantId, userId: user._id, version: updated.version, reason: 'deactivated' });
    return true;
  }
  return false;
}

async function rejectOne(deps: BreakerDeps, ctx: DecisionContext, first: UserDoc): Promise<boolean> {
  const users = repositoriesOf(deps.models).users;
  let user: UserDoc | null = first;
  for (let attempt = 0; attempt < MAX_TRIES && user?.hold?.state === 'held'; attempt++) {
    const now = new Date();
    const hold = { ...user.hold, state: 'rejected' as const, decidedAt: now, decidedBy: `${ctx.actor.type}:${ctx.actor.id}` };
    const audit = decisionAudit(
      ctx,
      user,
      'user.deprovision.rejected',
      { attrs: { active: true }, rejectedHeldChanges: user.hold.changes.map((c) => c._id), idpState: user.hold.deleted ? 'deleted' : 'inactive' },
      user.version + 1,
      user.attrs,
    );
    const updated = await users.updateIfVersion(ctx.tenantId, user._id, user.version, { attrs: user.attrs, lc: user.lc, audits: [audit], set: { hold } }, now);
    if (!updated) {
      user = await users.find(ctx.tenantId, user._id);
      continue;
    }
    // The write marked the user pending (outbox): its job re-evaluates it (nothing changes for access).
    await Promise.all([
      writeUserAudits(deps.models, ctx.tenantId, user._id, [audit]),
      deps.enqueuer.enqueue('user.changed', { tenantId: ctx.tenantId, userId: user._id, version: updated.version, reason: 'patched' }),
    ]);
    return true;
  }
  return false;
}
