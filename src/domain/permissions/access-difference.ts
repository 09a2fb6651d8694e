import { AppError } from '../../errors/app-error';
import { repositoriesOf } from '../../persistence/repositories';
import { automaticGroupKeys } from '../default-groups';
import type { EffectivePermissions } from './effective';
import type { PermissionEngine } from './engine';
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
  const groups = [subject.id];
  for (let frontier = [subject.id]; frontier.length > 0;) {
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
  const userIds = await reachedUsers(ctx, tenantId, subject);
  const before = await summaries(ctx.engine, tenantId, userIds);
  return async () => {
    const after = await summaries(ctx.engine, tenantId, [...before.keys()]);
    const byChange = new Map<string, AccessDifference>();
    for (const [userId, b] of before) {
      const a = after.get(userId);
      if (!a) continue;
      const key = JSON.stringify([b, a]);
      if (JSON.stringify(b) === JSON.stringify(a)) continue;
      const entry = byChange.get(key);
      if (entry) entry.userIds.push(userId);
      else byChange.set(key, { userIds: [userId], before: b, after: a });
    }
    return [...byChange.values()];
  };
}
