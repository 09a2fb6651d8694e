import { textValue } from '../../attributes/text-value';
import type { RoleDoc, Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';
import { CATALOG } from '../permissions/catalog';
import { ADMIN_ROLE_KEY } from '../permissions/default-roles';
import { ancestorsOf } from '../groups/hierarchy';
import { ADMINS_GROUP, systemGroupIds, type GroupRecord } from '../groups/group-record';
import type { Access } from './policy';

/**
 * "Only an admin can grant admin privileges to another user" (product doc 000), whatever the
 * path: adding a member, a CSV import, an invitation, an owner, a dynamic group's rule, a parent
 * that a group's members would inherit from, unarchiving, or assigning a role. This module is the
 * one place that says what admin-level access is and refuses to let a non-admin hand it out.
 *
 * Admin-level access is the default Admins group, or an admin-level role (the Admin role, or any
 * role that gives every catalogue target at its highest level) held by a group or by one of its
 * ancestors, whose grants its members inherit. Archived groups count too: unarchiving gives back
 * what they hold, so what may be added to them is decided as if they were active.
 */

export interface AdminGrant {
  /** The group in the chain that gives admin-level access. */
  group: { id: string; name?: string };
  /** The admin-level role it holds; absent when the group is the default Admins group. */
  role?: { id: string; name: string };
}

/** The Admin role, or a role as strong as it: every catalogue target at the highest level offered. */
export function isAdminLevelRole(role: Pick<RoleDoc, 'system' | 'privileges'>): boolean {
  if (role.system === ADMIN_ROLE_KEY) return true;
  const levels = new Map((role.privileges ?? []).map((p) => [p.target, p.level]));
  return CATALOG.targets.every((t) => levels.get(t.name) === t.levels[t.levels.length - 1]);
}

/**
 * What gives the members of `groupId` admin-level access, or null. Reads the group's chain
 * (bounded by the hierarchy's depth), its role assignments ({tenantId, groupId} index) and
 * the roles assigned (by _id).
 */
export async function adminGrantOf(models: Models, tenantId: string, groupId: string): Promise<AdminGrant | null> {
  const chain = [groupId, ...(await ancestorsOf(models, tenantId, groupId))];
  const adminsId = (await systemGroupIds(models, tenantId)).get(ADMINS_GROUP);
  const viaAdmins = chain.find((id) => id === adminsId);
  const assignments = await repositoriesOf(models).roleAssignments.rolesOfGroups(tenantId, chain);
  const roleIds = [...new Set(assignments.map((a) => a.roleId))];
  const roles = roleIds.length ? await repositoriesOf(models).roles.grantFieldsOfMany(tenantId, roleIds) : [];
  const adminRoles = new Map(roles.filter(isAdminLevelRole).map((r) => [r._id, r]));
  // Nearest first, so the answer names what the caller is most likely to recognise.
  for (const id of chain) {
    if (id === viaAdmins) return { group: { id } };
    const held = assignments.find((a) => a.groupId === id && adminRoles.has(a.roleId));
    if (held) {
      const role = adminRoles.get(held.roleId)!;
      return { group: { id }, role: { id: role._id, name: role.name } };
    }
  }
  return null;
}

function describe(grant: AdminGrant, target: GroupRecord, names: ReadonlyMap<string, string>): string {
  const where = grant.group.id === target.id ? `"${target.name}"` : `"${target.name}" (inherited from "${names.get(grant.group.id) ?? grant.group.id}")`;
  return grant.role ? `${where} holds the admin-level role "${grant.role.name}"` : `${where} is the Admins group`;
}

async function groupNames(models: Models, tenantId: string, ids: string[]): Promise<Map<string, string>> {
  const docs = await repositoriesOf(models).groups.attributesOf(tenantId, ids, ['displayName']);
  return new Map(docs.map((d) => [d._id, textValue(d.attrs?.displayName, d._id)]));
}

/** 403 ADMIN_GRANT_REQUIRES_ADMIN, naming the group and role that make the change admin-granting. */
async function refusal(models: Models, access: Access, grant: AdminGrant, target: GroupRecord, action: string): Promise<AppError> {
  const names = grant.group.id === target.id ? new Map<string, string>() : await groupNames(models, access.tenantId, [grant.group.id]);
  return new AppError('forbidden', 'ADMIN_GRANT_REQUIRES_ADMIN', `Only an admin can ${action}: ${describe(grant, target, names)}, so it would grant admin access`, {
    details: { groupId: target.id, grantedBy: { groupId: grant.group.id, ...(grant.role ? { roleId: grant.role.id, roleName: grant.role.name } : {}) } },
  });
}

/**
 * Refuses a non-admin a change that would give someone the access of `group`'s members (a new
 * member, owner, invitation, import, rule, or unarchiving) when that access is admin-level.
 */
export async function assertMayGrantMembership(models: Models, access: Access, group: GroupRecord, action: string): Promise<void> {
  if (access.isAdmin) return;
  const grant = await adminGrantOf(models, access.tenantId, group.id);
  if (grant) throw await refusal(models, access, grant, group, action);
}

/** Refuses a non-admin hanging `group` below `parent` when the parent's chain gives admin-level access. */
export async function assertMayInheritFrom(models: Models, access: Access, group: Pick<GroupRecord, 'id' | 'name'>, parent: GroupRecord): Promise<void> {
  if (access.isAdmin) return;
  const grant = await adminGrantOf(models, access.tenantId, parent.id);
  if (!grant) return;
  const names = await groupNames(models, access.tenantId, [grant.group.id]);
  const where = grant.role
    ? `"${names.get(grant.group.id) ?? grant.group.id}" holds the admin-level role "${grant.role.name}"`
    : `"${names.get(grant.group.id) ?? grant.group.id}" is the Admins group`;
  throw new AppError('forbidden', 'ADMIN_GRANT_REQUIRES_ADMIN', `Only an admin can place "${group.name}" below "${parent.name}": ${where}, so its members would inherit admin access`, {
    details: { groupId: group.id, parentId: parent.id, grantedBy: { groupId: grant.group.id, ...(grant.role ? { roleId: grant.role.id, roleName: grant.role.name } : {}) } },
  });
}

/** Refuses a non-admin assigning, creating or shaping an admin-level role. */
export function assertMayGrantRole(access: Access, role: Pick<RoleDoc, 'name' | 'system' | 'privileges'>, action: string): void {
  if (access.isAdmin || !isAdminLevelRole(role)) return;
  throw new AppError('forbidden', 'ADMIN_GRANT_REQUIRES_ADMIN', `Only an admin can ${action}: "${role.name}" is an admin-level role (every target at its highest level)`, {
    details: { roleName: role.name },
  });
}

/**
 * Refuses a non-admin a change that takes the access of `group`'s members away from them (archive,
 * delete, removing a member) when that access is admin-level: only an admin gives or takes admin
 * (issue 18 #12), so a Group Administrator of an admin-granting group cannot strip it.
 */
export async function assertMayRevokeAdminGrant(models: Models, access: Access, group: GroupRecord, action: string): Promise<void> {
  if (access.isAdmin) return;
  const grant = await adminGrantOf(models, access.tenantId, group.id);
  if (!grant) return;
  const names = grant.group.id === group.id ? new Map<string, string>() : await groupNames(models, access.tenantId, [grant.group.id]);
  throw new AppError('forbidden', 'ADMIN_GRANT_REQUIRES_ADMIN', `Only an admin can ${action}: ${describe(grant, group, names)}, so it would take admin access away`, {
    details: { groupId: group.id, grantedBy: { groupId: grant.group.id, ...(grant.role ? { roleId: grant.role.id, roleName: grant.role.name } : {}) } },
  });
}
