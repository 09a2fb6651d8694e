import { AppError } from '../../errors/app-error';
import { repositoriesOf } from '../../persistence/repositories';
import { automaticGroupKeys } from '../default-groups';
import type { EffectivePermissions } from './effective';
import type { MembershipChangeOfUser, PermissionEngine } from './engine';
import type { UserDoc } from '../../persistence/models';
import type { PermissionsContext } from './context';

/** A user's effective access, as `access.changed` shows it before and after a change (docs/events.md). */
export interface AccessSummary {
  /** Member of the default Admins group: everything. */
  admin: boolean;
  /** Role ids, sorted. */
  roles: string[];
  /** Per catalogue target, the best level. */
  permissions: Record<string, string>;
  /** Per resource id, the best level. */
  resources: Record<string, string>;
}

/** Users whose access changed the same way, with their access before and after: what the audit event carries (`state.effective`). */
export interface AccessDifference {
  userIds: string[];
  before: AccessSummary;
  after: AccessSummary;
}

const POOL = 8;
const USER_PAGE = 1000;

export function summarizeAccess(eff: EffectivePermissions): AccessSummary {
  const best = (sources: readonly { level: string }[]) => sources[0]?.level;
  const permissions: Record<string, string> = {};
  for (const [target, sources] of [...eff.targets].sort(([a], [b]) => a.localeCompare(b))) {
    const level = best(sources);
    if (level) permissions[target] = level;
  }
  const resources: Record<string, string> = {};
  for (const [id, r] of [...eff.resources].sort(([a], [b]) => a.localeCompare(b))) {
    const level = best(r.sources);
    if (level) resources[id] = level;
  }
  return { admin: eff.admin !== null, roles: [...eff.roleIds].sort(), permissions, resources };
}

/**
 * The users a role or resource grant to `subject` can change: the user; or the members of the
 * group and of its descendant groups (what a group is given, its descendants' members inherit),
 * every user when one of them is an automatic default group (All Users, Platform Users,
 * Customers: membership computed, not stored). Reads what the change reaches, not the tenant.
 */
async function reachedUsers(ctx: PermissionsContext, tenantId: string, subject: { type: string; id: string }): Promise<string[]> {
  if (subject.type === 'User') return [subject.id];
  const repos = repositoriesOf(ctx.models);
  if (subject.type === 'Role') {
    // A role's holders: the users it is assigned to, and what its groups reach.
    const assignments = await repos.roleAssignments.ofRole(tenantId, subject.id);
    const direct = assignments.flatMap((a) => (!a.groupId && a.userId ? [a.userId] : []));
    const viaGroups = assignments.flatMap((a) => (a.groupId ? [a.groupId] : []));
    return [...new Set([...direct, ...(viaGroups.length > 0 ? await groupsReach(ctx, tenantId, viaGroups) : [])])];
  }
  return groupsReach(ctx, tenantId, [subject.id]);
}

/** The members of the groups and of their descendants; every user when one of them is an automatic default group. */
async function groupsReach(ctx: PermissionsContext, tenantId: string, groupIds: readonly string[]): Promise<string[]> {
  const repos = repositoriesOf(ctx.models);
  const groups = [...groupIds];
  for (let frontier = [...groupIds]; frontier.length > 0;) {
    frontier = await repos.groups.childrenOf(tenantId, frontier);
    groups.push(...frontier);
  }
  const automatic = new Set([...automaticGroupKeys('user'), ...automaticGroupKeys('customer')]);
  const systemIds = (await repos.groups.systemGroupsOf(tenantId)).filter((g) => typeof g.system === 'string' && automatic.has(g.system)).map((g) => g._id);
  if (groups.some((g) => systemIds.includes(g))) {
    const all: string[] = [];
    for (let after: string | undefined; ;) {
      const page = await repos.users.pageForSearchTerms(tenantId, after, USER_PAGE);
      all.push(...page.map((u) => u._id));
      if (page.length < USER_PAGE) return all;
      after = page.at(-1)!._id;
    }
  }
  return [...new Set([...(await repos.memberships.userIdsOfGroups(tenantId, groups)).values()].flat())];
}

async function summaries(engine: PermissionEngine, tenantId: string, userIds: readonly string[]): Promise<Map<string, AccessSummary>> {
  const out = new Map<string, AccessSummary>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(POOL, userIds.length) }, async () => {
      while (next < userIds.length) {
        const userId = userIds[next++]!;
        try {
          out.set(userId, summarizeAccess(await engine.effectiveFor(tenantId, userId)));
        } catch (err) {
          // A user deleted meanwhile has no access to compare.
          if (!(err instanceof AppError && err.code === 'USER_NOT_FOUND')) throw err;
        }
      }
    }),
  );
  return out;
}

/**
 * Takes the effective access of every user a grant to `subject` reaches, before the change; the
 * returned function, called after the change is written and applied to the engine, answers who
 * changed and how (users with the same before and after together). Cost: the users reached (one
 * effective-permissions computation each, before and after), not the tenant's size.
 */
export async function accessBefore(ctx: PermissionsContext, tenantId: string, subject: { type: string; id: string }): Promise<() => Promise<AccessDifference[]>> {
  return accessBeforeOf(ctx.engine, tenantId, await reachedUsers(ctx, tenantId, subject));
}

/**
 * The same for a change that reaches known users (a member added or removed by an admin, a CSV
 * import, an invitation): their access before; the returned function answers who changed and how.
 */
export async function accessBeforeOf(engine: PermissionEngine, tenantId: string, userIds: readonly string[]): Promise<() => Promise<AccessDifference[]>> {
  const before = await summaries(engine, tenantId, [...new Set(userIds)]);
  return async () => differences(before, await summaries(engine, tenantId, [...before.keys()]));
}

/** Users whose summary differs, those with the same before and after together. */
function differences(before: ReadonlyMap<string, AccessSummary>, after: ReadonlyMap<string, AccessSummary>): AccessDifference[] {
  const byChange = new Map<string, AccessDifference>();
  for (const [userId, b] of before) {
    const a = after.get(userId);
    if (!a) continue;
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    const key = JSON.stringify([b, a]);
    const entry = byChange.get(key);
    if (entry) entry.userIds.push(userId);
    else byChange.set(key, { userIds: [userId], before: b, after: a });
  }
  return [...byChange.values()];
}

/** Per user, the groups a membership write just added them to (with the source added) and removed them from. */
export type MembershipMoves = ReadonlyMap<string, { joined: readonly { groupId: string; source: string }[]; left: readonly string[] }>;

/**
 * The access difference of membership changes already written, per user, computed where they
 * are written (the worker's membership step, a SCIM group write): the user's access now against
 * their access without the groups they joined and with the groups they left, from the users and
 * their memberships read afresh (PermissionEngine.effectiveAcrossMembershipsOf), no history.
 * Users whose groups (and their ancestors) give nothing are skipped without a read. Cost: two
 * reads per USER_PAGE users moved (a rule run's chunk is one or two pages), not two per user.
 */
export async function membershipDifferences(engine: PermissionEngine, tenantId: string, moves: MembershipMoves): Promise<Map<string, AccessDifference>> {
  const out = new Map<string, AccessDifference>();
  const groupsOf = (m: { joined: readonly { groupId: string }[]; left: readonly string[] }) => [...m.joined.map((j) => j.groupId), ...m.left];
  const giving = await engine.groupsGivingAccess(tenantId, new Set([...moves.values()].flatMap(groupsOf)));
  const users = [...moves.entries()].filter(([, m]) => groupsOf(m).some((g) => giving.has(g)));
  for (let i = 0; i < users.length; i += USER_PAGE) {
    const both = await engine.effectiveAcrossMembershipsOf(tenantId, new Map(users.slice(i, i + USER_PAGE)));
    for (const [userId, { before: b, after: a }] of both) {
      const before = summarizeAccess(b);
      const after = summarizeAccess(a);
      if (JSON.stringify(before) !== JSON.stringify(after)) out.set(userId, { userIds: [userId], before, after });
    }
  }
  return out;
}

/**
 * What an audit event of a membership change carries (`state.effective`), for the moves just
 * written: undefined when no one's access changed (no `access.changed`).
 */
export async function membershipAccessState(engine: PermissionEngine, tenantId: string, moves: MembershipMoves): Promise<{ effective: AccessDifference[] } | undefined> {
  const differences = [...(await membershipDifferences(engine, tenantId, moves)).values()];
  return differences.length > 0 ? { effective: differences } : undefined;
}

/**
 * `state.effective` of a user write that activated or deactivated the user (a deactivated user has
 * nothing): their access now against the same memberships with the activity they had before.
 */
export async function activationAccessState(engine: PermissionEngine, tenantId: string, userId: string, activeBefore: boolean): Promise<{ effective: AccessDifference[] } | undefined> {
  return userAccessState(engine, tenantId, userId, { joined: [], left: [], activeBefore });
}

/**
 * `state.effective` of a user write that changed what access reads from the user: the active flag
 * or the audience (custom `audience`: a customer is in the customers' automatic groups, and internal
 * groups give a customer nothing). Their access now against the same memberships with the user's
 * attributes before the write.
 */
export async function userWriteAccessState(engine: PermissionEngine, tenantId: string, userId: string, userBefore: Pick<UserDoc, 'attrs'>): Promise<{ effective: AccessDifference[] } | undefined> {
  return userAccessState(engine, tenantId, userId, { joined: [], left: [], userBefore });
}

async function userAccessState(engine: PermissionEngine, tenantId: string, userId: string, change: MembershipChangeOfUser): Promise<{ effective: AccessDifference[] } | undefined> {
  const both = await engine.effectiveAcrossMemberships(tenantId, userId, change);
  if (!both) return undefined;
  const before = summarizeAccess(both.before);
  const after = summarizeAccess(both.after);
  return JSON.stringify(before) === JSON.stringify(after) ? undefined : { effective: [{ userIds: [userId], before, after }] };
}
