import type { AuditEventDoc, GroupDoc, MembershipDoc, Models } from '../../persistence/models';
import type { SchemaRegistry } from '../../attributes/registry';
import type { Logger } from '../../observability/logger';
import { repositoriesOf } from '../../persistence/repositories';
import { auditEvent } from '../audit';
import { accessEvents } from '../access-events';
import { RuleSetCache } from '../sync/rule-set';
import { IDP_MEMBERSHIP_SOURCE } from '../rules';
import { tripsOrTripped, type BreakerDeps, type DeprovisionCause } from './breaker';
import { readSettings } from './settings';
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
    const done = verdict === 'allow' ? await memberships.allowHeld(ctx.tenantId, doc, IDP_MEMBERSHIP_SOURCE, audit) : await memberships.rejectHeld(ctx.tenantId, doc, audit, actor);
    if (!done) continue;
    await repositoriesOf(deps.models).auditEvents.insertMany([audit]);
    await memberships.settleAudited([{ tenantId: ctx.tenantId, membershipId: doc._id, eventId: audit._id }], done.emptied ? [{ tenantId: ctx.tenantId, membershipId: doc._id }] : []);
    decided.push(doc._id);
    if (verdict === 'allow') {
      accessEvents.emit({ tenantId: ctx.tenantId, kind: 'membership', groupId: doc.groupId, userId: doc.userId });
      // The user's rules and mappings re-read their IdP groups: what the removal took away goes.
      const version = (await repositoriesOf(deps.models).groups.findVersion(ctx.tenantId, doc.groupId))?.version;
      if (version !== undefined) await deps.enqueuer.enqueue('group.membersChanged', { tenantId: ctx.tenantId, groupId: doc.groupId, version, part: 0, parts: 1, userIds: [doc.userId] });
    }
  }
  return decided;
}
