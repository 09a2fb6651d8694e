import type { RoleDoc } from '../../persistence/models';
import { AppError } from '../../errors/app-error';
import { CATALOG, findTarget } from '../permissions/catalog';
import type { PermissionEngine } from '../permissions/engine';
import { levelRank, type Level } from '../permissions/levels';
import type { Privilege } from '../permissions/privileges';
import type { Access } from './policy';

/**
 * What a customer admin's role may give (issue 18 #6). Product doc 004 lets a customer admin
 * "create or modify roles for the customer" and says no more, so the safe answer holds
 * (docs/decisions.md): a customer role names customer-facing targets only — the Support, Build and
 * Grow categories and the resource types (agents, data sources, projects) — never the internal
 * Platform targets, and at no level above what the customer admin holds themselves. Admins are not
 * limited. The all-or-nothing admin-level check (admin-grant.ts) still applies on top.
 */
const CUSTOMER_FACING_CATEGORIES: ReadonlySet<string> = new Set(['Support', 'Build', 'Grow', 'Resources']);

export function isCustomerFacingTarget(target: string): boolean {
  const t = findTarget(target);
  return t !== undefined && CUSTOMER_FACING_CATEGORIES.has(t.category);
}

const customerFacingNames = (): string[] => CATALOG.targets.filter((t) => CUSTOMER_FACING_CATEGORIES.has(t.category)).map((t) => t.name);

/** The level the actor holds on each catalogue target now (hide when nothing gives it). */
async function heldLevels(engine: PermissionEngine, access: Access): Promise<(target: string) => Level> {
  try {
    const eff = await engine.effectiveFor(access.tenantId, access.caller.userId);
    return (target) => eff.targets.get(target)?.[0]?.level ?? 'hide';
  } catch (err) {
    if (err instanceof AppError && err.code === 'USER_NOT_FOUND') return () => 'hide';
    throw err;
  }
}

/**
 * Refuses a non-admin a role (created, reshaped or assigned) naming an internal target
 * (403 CUSTOMER_ROLE_TARGET_INTERNAL) or a level above their own (403 ROLE_LEVEL_ABOVE_OWN).
 */
export async function assertRoleWithinReach(engine: PermissionEngine, access: Access, role: Pick<RoleDoc, 'name'> & { privileges: readonly Privilege[] }, action: string): Promise<void> {
  if (access.isAdmin) return;
  const given = role.privileges.filter((p) => p.level !== 'hide');
  const internal = given.filter((p) => !isCustomerFacingTarget(p.target));
  if (internal.length > 0) {
    const names = internal.map((p) => p.target);
    throw new AppError(
      'forbidden',
      'CUSTOMER_ROLE_TARGET_INTERNAL',
      `You are not allowed to ${action}: a customer role names customer-facing targets only, and ${names.map((n) => `"${n}"`).join(', ')} ${names.length > 1 ? 'are internal platform targets' : 'is an internal platform target'}`,
      {
        details: { roleName: role.name, targets: names, customerFacingTargets: customerFacingNames() },
      },
    );
  }
  const held = await heldLevels(engine, access);
  const above = given.filter((p) => levelRank(p.level) > levelRank(held(p.target)));
  if (above.length > 0) {
    const first = above[0]!;
    throw new AppError(
      'forbidden',
      'ROLE_LEVEL_ABOVE_OWN',
      `You are not allowed to ${action}: it gives "${first.target}" at ${first.level}, above the ${held(first.target)} you hold${above.length > 1 ? ` (and ${above.length - 1} more target${above.length > 2 ? 's' : ''})` : ''}`,
      {
        details: { roleName: role.name, above: above.map((p) => ({ target: p.target, level: p.level, held: held(p.target) })) },
      },
    );
  }
}
