import { repositoriesOf } from '../../persistence/repositories';
import type { Caller } from '../access/caller';
import { forbidden, loadAccess } from '../access/policy';
import { CATALOG } from './catalog';
import type { PermissionsContext } from './context';
import { describeSource, type Decision } from './decision';
import type { EffectivePermissions, PermissionSource } from './effective';
import { impliedLevels, type Level } from './levels';

/**
 * Read side of the permission model over the admin API: a user's effective permissions and the
 * authorize decision. Admins (Access.canInspectUser, the policy) may ask about any
 * user of their tenant; anyone else only about themselves. The answer is about the subject alone
 * (their groups, roles and activation), so it is the same whoever asks: a token's role decides
 * what the caller may do in the admin API, not what the subject may do in the product.
 */
async function assertMayInspect(ctx: PermissionsContext, caller: Caller, userId: string, what: string): Promise<void> {
  if (!(await loadAccess(ctx.models, caller)).canInspectUser(userId)) throw forbidden(what);
}

function sourceView(s: PermissionSource) {
  return { ...s, description: describeSource(s) };
}

export function effectiveView(eff: EffectivePermissions, resourceNames: ReadonlyMap<string, string> = new Map()) {
  const targets = CATALOG.targets.map((t) => {
    const highest = t.levels[t.levels.length - 1]!;
    const sources = eff.admin ? [eff.admin] : (eff.targets.get(t.name) ?? []);
    const level: Level = eff.admin ? highest : (sources[0]?.level ?? 'hide');
    return { target: t.name, category: t.category, level, implies: impliedLevels(level, t.levels), sources: sources.map(sourceView) };
  });
  return {
    userId: eff.userId,
    active: eff.active,
    admin: eff.admin ? sourceView(eff.admin) : null,
    groups: eff.groups,
    roles: [...eff.roleIds],
    targets,
    resources: [...eff.resources.entries()].map(([resourceId, r]) => ({
      resourceId,
      type: r.type,
      name: resourceNames.get(resourceId) ?? null,
      level: r.sources[0]?.level ?? 'hide',
      sources: r.sources.map(sourceView),
    })),
    ...(eff.admin ? { note: 'Admins have every level on every target and resource.' } : {}),
  };
}

export async function userPermissions(ctx: PermissionsContext, caller: Caller, userId: string) {
  await assertMayInspect(ctx, caller, userId, "read another user's permissions");
  // About the subject, whoever asks: their stored groups and roles, never the caller's token role.
  const eff = await ctx.engine.effectiveFor(caller.tenantId, userId);
  const ids = [...eff.resources.keys()];
  const names = new Map<string, string>();
  if (ids.length > 0) {
    const docs = await repositoriesOf(ctx.models).resources.namesOf(caller.tenantId, ids);
    for (const d of docs) names.set(d._id, d.name);
  }
  return effectiveView(eff, names);
}

/** May this user do this? (validated by the operation's schema: a user id, an action, exactly one of target and resource). */
export async function authorizeFor(
  ctx: PermissionsContext,
  caller: Caller,
  request: { userId: string; action: string; target?: string | undefined; resource?: string | undefined },
): Promise<Decision> {
  await assertMayInspect(ctx, caller, request.userId, 'ask about another user');
  return ctx.engine.authorize(caller.tenantId, { userId: request.userId, action: request.action, target: request.target, resource: request.resource });
}
