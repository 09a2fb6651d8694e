import type { AuditEventDoc, GroupDoc, MembershipDoc, Models } from '../../persistence/models';
import type { SchemaRegistry } from '../../attributes/registry';
import type { Logger } from '../../observability/logger';
import { repositoriesOf } from '../../persistence/repositories';
import { auditEvent } from '../audit';
import { accessEvents } from '../access-events';
import { RuleSetCache } from '../sync/rule-set';
import { markUsersPending } from '../sync/reevaluation';
import { IDP_MEMBERSHIP_SOURCE } from '../rules';
import { tripsOrTripped, type BreakerDeps, type DeprovisionCause } from './breaker';
import { readSettings } from './settings';
import { deprovisionsTotal } from '../../observability/deprovisioning-metrics';
import { abandonPendingChange, completePendingChange, recordPendingChange, type RecoveryDeps } from '../recovery/pending-changes';
import { pendingAuditsOfGroup } from '../recovery/pending-group-changes';
import type { DecisionContext } from './held-changes';

/** What deciding on an IdP group change needs: the breaker's deps, and the rules (which IdP groups mappings read). */
export interface GroupHoldDeps extends BreakerDeps {
  registry: SchemaRegistry;
  logger: Logger;
}

const ruleSetCaches = new WeakMap<Models, RuleSetCache>();

function ruleSetsOf(deps: GroupHoldDeps): RuleSetCache {
  let cache = ruleSetCaches.get(deps.models);
  if (!cache) ruleSetCaches.set(deps.models, (cache = new RuleSetCache(deps.models, deps.registry, deps.logger)));
  return cache;
}

/**
 * Whether the IdP group's membership gives access: a rule (auto-assignment, SSO mapping, dynamic
 * group) tests it by name (`groups = "…"`), or roles or resources are granted to it. Removing a
 * member of any other IdP group changes what SCIM shows and nothing else: not a deprovision.
 */
export async function isMappingRelevant(deps: GroupHoldDeps, tenantId: string, group: Pick<GroupDoc, '_id' | 'attrs' | 'lc'>): Promise<boolean> {
  const ruleSet = await ruleSetsOf(deps).get(tenantId);
  const names = [group.lc?.displayName, typeof group.attrs.externalId === 'string' ? group.attrs.externalId.toLowerCase() : undefined].filter((n): n is string => typeof n === 'string');
  if (ruleSet && names.some((n) => ruleSet.groupNames.has(n))) return true;
  const repos = repositoriesOf(deps.models);
  const [roles, resources] = await Promise.all([repos.roleAssignments.rolesOfGroups(tenantId, [group._id]), repos.resourceGrants.resourceIdsOfGroups(tenantId, [group._id])]);
  return roles.length > 0 || resources.length > 0;
}

/** The breaker's decision on an IdP group change's removals, recorded with the change (PendingGroupChange.holdRemovals). */
export interface GroupRemovalDecision {
  /** Users whose removal is held. */
  hold: string[];
  /** Removals applied that count in the breaker's window (the change's audit event carries it: `after.deprovisions`). */
  deprovisions: number;
}

/**
 * Decides, before an IdP group change is committed, which of its member removals are held. Only
 * removals of current IdP members of a mapping-relevant group are deprovisions; they count in the
 * breaker's window and, once it is tripped (by them or before), are held, except for exempt users,
 * members of exempt groups, and every member of an exempt group.
 */
export async function decideGroupRemovals(
  deps: GroupHoldDeps,
  tenantId: string,
  group: GroupDoc,
  removals: readonly string[],
  cause: DeprovisionCause,
  now = new Date(),
): Promise<GroupRemovalDecision> {
  const decision = await decideRemovals(deps, tenantId, group, removals, cause, now);
  count(decision.deprovisions, decision.hold.length);
  return decision;
}

/** scim_deprovisions_total: a group change's deprovisions, applied and held, per decision (a write retried after a lost race decides, and counts, again). */
function count(applied: number, held: number): void {
  if (applied > 0) deprovisionsTotal.inc({ outcome: 'applied' }, applied);
  if (held > 0) deprovisionsTotal.inc({ outcome: 'held' }, held);
}

async function decideRemovals(deps: GroupHoldDeps, tenantId: string, group: GroupDoc, removals: readonly string[], cause: DeprovisionCause, now: Date): Promise<GroupRemovalDecision> {
  const none = { hold: [], deprovisions: 0 };
  if (removals.length === 0) return none;
  const read = await readSettings(deps.models, tenantId);
  const { settings } = read;
  if (!settings.breaker.enabled) return none;
  const members = await deps.memberships.idpMembersAmong(tenantId, group._id, [...new Set(removals)]);
  if (members.length === 0 || !(await isMappingRelevant(deps, tenantId, group))) return none;
  if (settings.exemptGroupIds.includes(group._id)) return { hold: [], deprovisions: members.length };
  const exemptByGroup = settings.exemptGroupIds.length > 0 ? await deps.memberships.membersOfAny(tenantId, settings.exemptGroupIds, members) : new Set<string>();
  const holdable = members.filter((u) => !settings.exemptUserIds.includes(u) && !exemptByGroup.has(u));
  if (holdable.length === 0 || !(await tripsOrTripped(deps, tenantId, members.length, cause, read, now))) return { hold: [], deprovisions: members.length };
  return { hold: holdable, deprovisions: members.length - holdable.length };
}

/** A held IdP group-member removal, as the admin API and the console show it. */
export interface HeldMembershipView {
  groupId: string;
  groupName?: string;
  userId: string;
  userName?: string;
  state: 'held' | 'rejected';
  since: string;
  decidedAt?: string;
  decidedBy?: string;
  changes: { id: string; at: string; actor: AuditEventDoc['actor']; requestId?: string }[];
}

export async function listHeldMemberships(models: Models, tenantId: string, opts: { state?: 'held' | 'rejected' } = {}): Promise<HeldMembershipView[]> {
  const repos = repositoriesOf(models);
  const docs = await repos.memberships.withHolds(tenantId, opts);
  const groupIds = [...new Set(docs.map((d) => d.groupId))];
  const userIds = [...new Set(docs.map((d) => d.userId))];
  const [groups, users] = await Promise.all([repos.groups.scim.attributesOf(tenantId, groupIds, ['displayName']), repos.users.attributesOf(tenantId, userIds, ['userName'])]);
  const groupNames = new Map(groups.map((g) => [g._id, g.attrs.displayName]));
  const userNames = new Map(users.map((u) => [u._id, u.attrs.userName]));
  return docs.map((d) => viewOf(d, groupNames.get(d.groupId), userNames.get(d.userId)));
}

function viewOf(doc: MembershipDoc, groupName: unknown, userName: unknown): HeldMembershipView {
  const held = doc.held!;
  return {
    groupId: doc.groupId,
    ...(typeof groupName === 'string' ? { groupName } : {}),
    userId: doc.userId,
    ...(typeof userName === 'string' ? { userName } : {}),
    state: held.state,
    since: held.since.toISOString(),
    ...(held.decidedAt ? { decidedAt: held.decidedAt.toISOString() } : {}),
    ...(held.decidedBy ? { decidedBy: held.decidedBy } : {}),
    changes: held.changes.map((c) => ({ id: c._id, at: c.at.toISOString(), actor: c.actor, ...(c.requestId !== undefined ? { requestId: c.requestId } : {}) })),
  };
}

/** Which held memberships a decision takes: all held ones, or those of the users or groups named. */
export interface MembershipSelection {
  userIds?: readonly string[];
  groupIds?: readonly string[];
}

/**
 * Allow (the removals apply: the 'scim' source goes, in the order the IdP asked, and the worker
 * removes what mappings gave) or reject (access kept, the removal stays shown, `rejected`). Each
 * membership's decision is one compare-and-set carrying its audit event (`pendingAudit`): a
 * repeated or concurrent call decides nothing twice, and a crash leaves the event for the sweeper.
 * Returns the memberships decided ("groupId|userId").
 */
export async function decideHeldMemberships(deps: BreakerDeps, ctx: DecisionContext, verdict: 'allow' | 'reject', select: MembershipSelection | undefined): Promise<string[]> {
  const memberships = deps.memberships;
  // Named: allow takes rejected ones too (an admin removing at once what was kept).
  const docs = await memberships.withHolds(ctx.tenantId, select ? { ...select, ...(verdict === 'reject' && { state: 'held' as const }) } : { state: 'held' });
  const decided: string[] = [];
  const actor = `${ctx.actor.type}:${ctx.actor.id}`;
  for (const doc of docs) {
    const held = doc.held!;
    const audit = auditEvent({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      action: verdict === 'allow' ? 'membership.removed' : 'group.member_removal.rejected',
      object: { type: 'Group', id: doc.groupId },
      before: { userId: doc.userId, source: IDP_MEMBERSHIP_SOURCE },
      after:
        verdict === 'allow'
          ? { userId: doc.userId, membershipEnded: doc.sources.length === 1, allowedHeldChanges: held.changes.map((c) => c._id) }
          : { userId: doc.userId, rejectedHeldChanges: held.changes.map((c) => c._id) },
      ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
    });
    // Allow: the user's rules and mappings must re-read their IdP groups, so what the removal took
    // away goes. The user is marked pending (the outbox) before the removal is written, so a crash
    // after it still leaves the re-evaluation to the sweeper.
    if (verdict === 'allow') await markUsersPending(deps.models, ctx.tenantId, [doc.userId]);
    const done = verdict === 'allow' ? await memberships.allowHeld(ctx.tenantId, doc, IDP_MEMBERSHIP_SOURCE, audit) : await memberships.rejectHeld(ctx.tenantId, doc, audit, actor);
    if (done) {
      await repositoriesOf(deps.models).auditEvents.insertMany([audit]);
      await memberships.settleAudited([{ tenantId: ctx.tenantId, membershipId: doc._id, eventId: audit._id }], done.emptied ? [{ tenantId: ctx.tenantId, membershipId: doc._id }] : []);
      decided.push(doc._id);
      if (verdict === 'allow') accessEvents.emit({ tenantId: ctx.tenantId, kind: 'membership', groupId: doc.groupId, userId: doc.userId });
    }
    // The user's own job (deduplicated per user; it reads the current memberships), not a
    // `group.membersChanged` job: that one is deduplicated per group version and part, which this
    // decision does not move, so a second user's job named the same id as the first one's, still
    // queued, and was dropped (the user kept the mapping's membership and its access). Enqueued
    // even when another decider won the write, so the pending mark set above is acknowledged.
    if (verdict === 'allow') await deps.enqueuer.enqueue('user.changed', { tenantId: ctx.tenantId, userId: doc.userId, version: 0, reason: 'group' });
  }
  return decided;
}

/** The breaker's decision on an IdP group deletion: held, or applied (`deprovisions`: the IdP members it removes, counted in the window). */
export interface GroupDeletionDecision {
  hold: boolean;
  deprovisions: number;
}

/**
 * Decides on the IdP's deletion of a group: the deletion of a mapping-relevant group removes every
 * IdP member's access through it, so it counts as that many deprovisions; once the breaker is
 * tripped (by it or before) it is held, unless the group is exempt. One decision for the whole
 * group (its members' exemptions do not split it).
 */
export async function decideGroupDeletion(deps: GroupHoldDeps, tenantId: string, group: GroupDoc, cause: DeprovisionCause, now = new Date()): Promise<GroupDeletionDecision> {
  const read = await readSettings(deps.models, tenantId);
  if (!read.settings.breaker.enabled) return { hold: false, deprovisions: 0 };
  const members = await deps.memberships.userIdsOf(tenantId, group._id, IDP_MEMBERSHIP_SOURCE, { idpView: true });
  if (members.length === 0 || !(await isMappingRelevant(deps, tenantId, group))) return { hold: false, deprovisions: 0 };
  if (read.settings.exemptGroupIds.includes(group._id)) return { hold: false, deprovisions: members.length };
  if (!(await tripsOrTripped(deps, tenantId, members.length, cause, read, now))) {
    count(members.length, 0);
    return { hold: false, deprovisions: members.length };
  }
  count(0, members.length);
  return { hold: true, deprovisions: members.length };
}

/** The request deleting a group: tenant, actor, request id. */
export interface GroupDeletionContext {
  tenantId: string;
  actor: AuditEventDoc['actor'];
  requestId?: string;
}

/**
 * Holds the IdP's deletion: the group is marked (SCIM answers 404 from now on) with its audit event
 * (`group.deletion.held`) in one update; the event is then written and pulled (the sweeper writes
 * it if the process dies first). False when the group changed meanwhile.
 */
export async function holdGroupDeletion(models: Models, ctx: GroupDeletionContext, group: GroupDoc, idpMembers: number): Promise<boolean> {
  const now = new Date();
  const audit = auditEvent(
    {
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      action: 'group.deletion.held',
      object: { type: 'Group', id: group._id },
      before: { attrs: group.attrs, version: group.version },
      after: { idpMembers },
      ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
    },
    now,
  );
  const held = { state: 'held' as const, since: now, change: { _id: audit._id, at: now, actor: ctx.actor, ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}) } };
  const groups = repositoriesOf(models).groups;
  if (!(await groups.holdDeletion(ctx.tenantId, group._id, group.version, held, audit))) return false;
  await repositoriesOf(models).auditEvents.insertMany([audit]);
  await groups.settleAuditMany([{ tenantId: ctx.tenantId, id: group._id, eventIds: [audit._id] }]);
  return true;
}

/**
 * Deletes an IdP group (SCIM's DELETE, or an admin's Allow of a held one): the intent is recorded
 * first, so a crash part-way is finished by the sweeper (domain/recovery); changes committed before
 * the deletion whose request has not settled them yet go with the group, their audit events (and
 * any group-level event left on it) are carried by the intent. False when the group is gone.
 */
export async function deleteIdpGroup(
  deps: RecoveryDeps,
  ctx: GroupDeletionContext,
  group: GroupDoc,
  deprovisions: number,
  extra: Record<string, unknown> = {},
  opts: { onlyHeld?: boolean } = {},
): Promise<boolean> {
  const memberCount = await deps.memberships.countMembers(ctx.tenantId, group._id);
  const change = await recordPendingChange(
    deps.models,
    'group.delete',
    group._id,
    {
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      action: 'group.deleted',
      object: { type: 'Group', id: group._id },
      before: { attrs: group.attrs, version: group.version, memberCount },
      ...(deprovisions > 0 || Object.keys(extra).length > 0 ? { after: { ...(deprovisions > 0 && { deprovisions }), ...extra } } : {}),
      ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
    },
    pendingAuditsOfGroup(group),
  );
  const groups = repositoriesOf(deps.models).groups;
  // An admin's Allow deletes the group only while its deletion is still held or rejected: the IdP may have taken it back meanwhile.
  const deleted = await (opts.onlyHeld ? groups.scimHeldDeletions : groups.scim).deleteReturning(ctx.tenantId, group._id);
  if (!deleted) {
    await abandonPendingChange(deps.models, change);
    return false;
  }
  await completePendingChange(deps, change, { eventsLeft: pendingAuditsOfGroup(deleted) });
  return true;
}

/** A held IdP group deletion, as the admin API and the console show it. */
export interface HeldGroupDeletionView {
  groupId: string;
  groupName?: string;
  state: 'held' | 'rejected';
  since: string;
  decidedAt?: string;
  decidedBy?: string;
  change: { id: string; at: string; actor: AuditEventDoc['actor']; requestId?: string };
}

export async function listHeldGroupDeletions(models: Models, tenantId: string, opts: { state?: 'held' | 'rejected' } = {}): Promise<HeldGroupDeletionView[]> {
  return (await repositoriesOf(models).groups.withHeldDeletions(tenantId, opts)).map((g) => {
    const held = g.heldDeletion!;
    const name = g.attrs.displayName;
    return {
      groupId: g._id,
      ...(typeof name === 'string' ? { groupName: name } : {}),
      state: held.state,
      since: held.since.toISOString(),
      ...(held.decidedAt ? { decidedAt: held.decidedAt.toISOString() } : {}),
      ...(held.decidedBy ? { decidedBy: held.decidedBy } : {}),
      change: { id: held.change._id, at: held.change.at.toISOString(), actor: held.change.actor, ...(held.change.requestId !== undefined ? { requestId: held.change.requestId } : {}) },
    };
  });
}

/**
 * Allow (the group is deleted now, as the IdP asked: memberships, grants, mappings' effects) or
 * reject (kept for access, still gone over SCIM) held group deletions: all held, or the groups
 * named (allow takes rejected ones too). Idempotent: a group already deleted or decided is left.
 */
export async function decideHeldGroupDeletions(deps: BreakerDeps, ctx: DecisionContext, verdict: 'allow' | 'reject', groupIds: readonly string[] | undefined): Promise<string[]> {
  const groups = repositoriesOf(deps.models).groups;
  const docs = await groups.withHeldDeletions(ctx.tenantId, groupIds ? { ids: groupIds, ...(verdict === 'reject' && { state: 'held' as const }) } : { state: 'held' });
  const decided: string[] = [];
  for (const group of docs) {
    const ids = [group.heldDeletion!.change._id];
    if (verdict === 'allow') {
      if (await deleteIdpGroup(deps, ctx, group, 0, { allowedHeldChanges: ids }, { onlyHeld: true })) decided.push(group._id);
      continue;
    }
    const audit = auditEvent({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      action: 'group.deletion.rejected',
      object: { type: 'Group', id: group._id },
      after: { rejectedHeldChanges: ids },
      ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
    });
    if (!(await groups.rejectDeletion(ctx.tenantId, group._id, `${ctx.actor.type}:${ctx.actor.id}`, audit))) continue;
    await repositoriesOf(deps.models).auditEvents.insertMany([audit]);
    await groups.settleAuditMany([{ tenantId: ctx.tenantId, id: group._id, eventIds: [audit._id] }]);
    decided.push(group._id);
  }
  return decided;
}
