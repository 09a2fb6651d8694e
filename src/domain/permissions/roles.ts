import type { RoleAssignmentDoc, RoleDoc } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { newId } from '../../persistence/ids';
import { AppError } from '../../errors/app-error';
import type { Access } from '../access/policy';
import { forbidden } from '../access/policy';
import { assertAssignable, assertNotIdpGroup } from '../groups/groups';
import { loadGroup, readGroup, type GroupRecord } from '../groups/group-record';
import { ancestorsOf } from '../groups/hierarchy';
import { invalid } from '../invalid-input';
import { assertMayGrantRole } from '../access/admin-grant';
import { assertRoleWithinReach } from '../access/role-reach';
import { canSeeUser } from '../access/user-visibility';
import { accessBefore } from './access-difference';
import { auditPermissionChange, type PermissionsContext } from './context';
import { ADMIN_ROLE_KEY } from './default-roles';
import { roleAssignmentIds } from './engine';
import { assertDependencies, normalizePrivileges, type Privilege } from './privileges';
import { impliedLevels } from './levels';
import { findTarget } from './catalog';

/**
 * Roles (named privilege sets) and their assignment to groups and to users (DESIGN.md §2,
 * product doc 000 "Assigning and revoking roles"). Only tenant admins change roles or assignments,
 * so only an admin can give anyone the Admin role. Every change is audited and reported to the
 * permission engine before the call returns, so authorize answers reflect it at once.
 */

const roleAssignmentId = roleAssignmentIds;

export function roleView(r: RoleDoc, counts?: { groups: number; users: number }) {
  return {
    id: r._id,
    name: r.name,
    description: r.description ?? null,
    default: r.system !== undefined,
    system: r.system ?? null,
    audience: r.audience ?? 'user',
    privileges: (r.privileges ?? []).map((p) => ({ target: p.target, level: p.level, implies: impliedLevels(p.level, findTarget(p.target)?.levels) })),
    ...(counts ? { assignedGroups: counts.groups, assignedUsers: counts.users } : {}),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

const auditRole = (r: RoleDoc) => ({ name: r.name, description: r.description ?? null, privileges: r.privileges });

/** Reading roles is open to the tenant's internal users and customer admins; customers see none (Access.canReadRoles). */
function assertCanReadRoles(access: Access): void {
  access.assert(access.canReadRoles(), 'read roles');
}

export async function loadRole(ctx: PermissionsContext, tenantId: string, roleId: string): Promise<RoleDoc> {
  const doc = await repositoriesOf(ctx.models).roles.findOfTenant(tenantId, roleId);
  if (!doc) throw new AppError('notFound', 'ROLE_NOT_FOUND', `Role ${roleId} not found`, { details: { roleId } });
  return doc;
}

/** Limits of a role's fields (the admin API's schemas state them: src/admin/routes/roles.ts). */
export const ROLE_NAME_MAX = 100;
export const ROLE_DESCRIPTION_MAX = 1000;

/** A role to create (validated by the operation's schema; the catalogue checks targets and levels). */
export interface RoleInput {
  name: string;
  description?: string | undefined;
  audience?: 'user' | 'customer' | undefined;
  privileges?: { target: string; level: string }[] | undefined;
}
export type RoleUpdateInput = Partial<Omit<RoleInput, 'audience'>>;

function readPrivileges(body: { privileges?: { target: string; level: string }[] | undefined }): Privilege[] {
  const privileges = normalizePrivileges(body.privileges ?? []);
  assertDependencies(privileges);
  return privileges;
}

export async function listRoles(ctx: PermissionsContext, access: Access, query: { q?: string } = {}) {
  assertCanReadRoles(access);
  const { tenantId } = access;
  const [roles, assignments] = await Promise.all([repositoriesOf(ctx.models).roles.listOfTenant(tenantId), repositoriesOf(ctx.models).roleAssignments.holdersOfTenant(tenantId)]);
  // A non-admin's counts are of the holders they can see, as GET /roles/{id} names them.
  const groupIds = [...new Set(assignments.flatMap((a) => (a.groupId ? [a.groupId] : [])))];
  const userIds = [...new Set(assignments.flatMap((a) => (!a.groupId && a.userId ? [a.userId] : [])))];
  const visible = access.isAdmin ? null : new Set([...(await visibleGroupIds(ctx, access, groupIds)), ...(await visibleUserIds(ctx, access, userIds))]);
  const counts = new Map<string, { groups: number; users: number }>();
  for (const a of assignments) {
    if (visible && !visible.has(a.groupId ?? a.userId ?? '')) continue;
    const c = counts.get(a.roleId) ?? { groups: 0, users: 0 };
    if (a.groupId) c.groups++;
    else c.users++;
    counts.set(a.roleId, c);
  }
  const q = query.q?.trim().toLowerCase();
  const items = roles
    .filter((r) => !q || r.nameLower.includes(q))
    .sort((a, b) => a.nameLower.localeCompare(b.nameLower))
    .map((r) => roleView(r, counts.get(r._id) ?? { groups: 0, users: 0 }));
  return { items, total: items.length };
}

export async function getRole(ctx: PermissionsContext, access: Access, roleId: string) {
  assertCanReadRoles(access);
  const role = await loadRole(ctx, access.tenantId, roleId);
  const assignments = await liveAssignments(ctx, access.tenantId, roleId);
  // The groups and users holding it, as far as the caller may see them (issue 18: no group or user
  // outside the caller's reach is named, nor counted).
  const groups = await visibleGroupIds(
    ctx,
    access,
    assignments.flatMap((a) => (a.groupId ? [a.groupId] : [])),
  );
  const users = await visibleUserIds(
    ctx,
    access,
    assignments.flatMap((a) => (!a.groupId && a.userId ? [a.userId] : [])),
  );
  return { ...roleView(role, { groups: groups.length, users: users.length }), groups, users };
}

async function visibleGroupIds(ctx: PermissionsContext, access: Access, ids: string[]): Promise<string[]> {
  if (access.isAdmin || ids.length === 0) return ids;
  const docs = await repositoriesOf(ctx.models).groups.findMany(access.tenantId, ids);
  const seen = new Set(
    docs
      .map(readGroup)
      .filter((g) => access.canSeeGroup(g))
      .map((g) => g.id),
  );
  return ids.filter((id) => seen.has(id));
}

async function visibleUserIds(ctx: PermissionsContext, access: Access, ids: string[]): Promise<string[]> {
  if (access.isAdmin || ids.length === 0) return ids;
  const profiles = await repositoriesOf(ctx.models).users.profilesMatching(access.tenantId, { ids });
  const seen = new Set<string>();
  for (const u of profiles) if (await canSeeUser(ctx.models, access, u)) seen.add(u._id);
  return ids.filter((id) => seen.has(id));
}

/**
 * Who changes a role: admins any; customer admins the customer roles (product docs 000/004:
 * "create or modify roles for the customer"). 404 for nothing here: roles are readable by both.
 */
function assertMayChangeRole(access: Access, role: Pick<RoleDoc, 'audience'> | undefined, what: string): void {
  if (access.isAdmin) return;
  access.assert(access.isCustomerAdmin && (role === undefined || role.audience === 'customer'), what);
}

export async function createRole(ctx: PermissionsContext, access: Access, body: RoleInput) {
  assertMayChangeRole(access, undefined, 'create roles');
  const { name, description } = body;
  const audience = body.audience ?? (access.isAdmin ? 'user' : 'customer');
  // A customer admin's roles are customer roles.
  if (!access.isAdmin && audience !== 'customer') throw forbidden('create roles for internal users');
  const privileges = readPrivileges(body);
  assertMayGrantRole(access, { name, privileges }, 'create an admin-level role');
  await assertRoleWithinReach(ctx.engine, access, { name, privileges }, `create the role "${name}"`);
  const now = new Date();
  const doc: RoleDoc = { _id: newId('rol'), tenantId: access.tenantId, name, nameLower: name.toLowerCase(), privileges, createdBy: access.caller.userId, createdAt: now, updatedAt: now };
  if (audience === 'customer') doc.audience = 'customer';
  if (description !== undefined) doc.description = description;
  if (!(await repositoriesOf(ctx.models).roles.insert(doc))) throw roleNameTaken(name);
  await ctx.engine.applyChange({ tenantId: access.tenantId, kind: 'role', roleId: doc._id });
  await auditPermissionChange(ctx, access.caller, 'role.created', { type: 'Role', id: doc._id }, { after: auditRole(doc) });
  return roleView(doc, { groups: 0, users: 0 });
}

function roleNameTaken(name: string): AppError {
  return new AppError('conflict', 'ROLE_NAME_TAKEN', `A role named "${name}" exists already (names are unique per tenant, ignoring case)`, { details: { name } });
}

export async function updateRole(ctx: PermissionsContext, access: Access, roleId: string, body: RoleUpdateInput) {
  const before = await loadRole(ctx, access.tenantId, roleId);
  assertMayChangeRole(access, before, 'change this role');
  const set: Partial<RoleDoc> = {};
  const { name } = body;
  if (name !== undefined && name !== before.name) {
    if (before.system) throw new AppError('conflict', 'ROLE_DEFAULT_IMMUTABLE', `"${before.name}" is a default role: it cannot be renamed`);
    set.name = name;
    set.nameLower = name.toLowerCase();
  }
  if (body.description !== undefined) set.description = body.description;
  if (body.privileges !== undefined) {
    if (before.system === ADMIN_ROLE_KEY) {
      throw new AppError('conflict', 'ROLE_DEFAULT_IMMUTABLE', 'The Admin role always holds everything: its privileges cannot be changed');
    }
    set.privileges = readPrivileges(body);
    assertMayGrantRole(access, { name: before.name, privileges: set.privileges }, 'make a role admin-level');
    await assertRoleWithinReach(ctx.engine, access, { name: before.name, privileges: set.privileges }, `change the privileges of "${before.name}"`);
  }
  if (Object.keys(set).length === 0) return roleView(before);
  set.updatedAt = new Date();
  // New privileges change what every holder of the role may do (directly or through groups).
  const changed = set.privileges !== undefined ? await accessBefore(ctx, access.tenantId, { type: 'Role', id: roleId }) : undefined;
  if (!(await repositoriesOf(ctx.models).roles.update(access.tenantId, roleId, set))) throw roleNameTaken(name ?? '');
  const after: RoleDoc = { ...before, ...set };
  // A rename matters too: role names appear in authorize reasons.
  await ctx.engine.applyChange({ tenantId: access.tenantId, kind: 'role', roleId });
  const effective = changed ? await changed() : [];
  await auditPermissionChange(
    ctx,
    access.caller,
    'role.updated',
    { type: 'Role', id: roleId },
    { before: auditRole(before), after: auditRole(after), ...(effective.length > 0 && { state: { effective } }) },
  );
  return roleView(after);
}

/**
 * Assignments of a role to groups and users that still exist. A group deleted over SCIM, or a user
 * deleted by the IdP, may leave an assignment behind: it grants nothing (the engine starts from
 * memberships) and must not keep the role "in use".
 */
async function liveAssignments(ctx: PermissionsContext, tenantId: string, roleId: string): Promise<Pick<RoleAssignmentDoc, '_id' | 'groupId' | 'userId' | 'createdAt'>[]> {
  const assignments = await repositoriesOf(ctx.models).roleAssignments.ofRole(tenantId, roleId);
  const groupIds = assignments.flatMap((a) => (a.groupId ? [a.groupId] : []));
  const userIds = assignments.flatMap((a) => (!a.groupId && a.userId ? [a.userId] : []));
  const [groups, users] = await Promise.all([
    groupIds.length ? repositoriesOf(ctx.models).groups.existingIds(tenantId, groupIds) : [],
    userIds.length ? repositoriesOf(ctx.models).users.existingIds(tenantId, userIds) : [],
  ]);
  const live = new Set([...groups, ...users]);
  return assignments.filter((a) => live.has(a.groupId ?? a.userId ?? ''));
}

/** Default roles cannot be deleted; a role still assigned must be revoked first (409 naming where). */
export async function deleteRole(ctx: PermissionsContext, access: Access, roleId: string): Promise<void> {
  const role = await loadRole(ctx, access.tenantId, roleId);
  assertMayChangeRole(access, role, 'delete this role');
  if (role.system) throw new AppError('conflict', 'ROLE_DEFAULT_UNDELETABLE', `"${role.name}" is a default role: default roles cannot be deleted`);
  const assignments = await liveAssignments(ctx, access.tenantId, roleId);
  if (assignments.length > 0) {
    const groups = assignments.filter((a) => a.groupId).map((a) => a.groupId);
    const users = assignments.filter((a) => !a.groupId && a.userId).map((a) => a.userId);
    throw new AppError('conflict', 'ROLE_IN_USE', `Role "${role.name}" is assigned to ${groups.length} group(s) and ${users.length} user(s); revoke it first`, {
      details: { groups, users },
    });
  }
  // Assignments left behind by groups or users deleted elsewhere go with the role.
  await repositoriesOf(ctx.models).roleAssignments.deleteOfRole(access.tenantId, roleId);
  await repositoriesOf(ctx.models).roles.delete(access.tenantId, roleId);
  await ctx.engine.applyChange({ tenantId: access.tenantId, kind: 'role', roleId });
  await auditPermissionChange(ctx, access.caller, 'role.deleted', { type: 'Role', id: roleId }, { before: auditRole(role) });
}

// ---- assignments to groups ----

/** The group, if the caller may see it (404 otherwise, as the groups API answers). */
export async function visibleGroup(models: PermissionsContext['models'], access: Access, groupId: string): Promise<GroupRecord> {
  const group = await loadGroup(models, access.tenantId, groupId);
  access.assertCanSeeGroup(group);
  return group;
}

/** The roles of a group: assigned to it, and inherited from its ancestors (nearest first). */
export async function groupRoles(ctx: PermissionsContext, access: Access, groupId: string) {
  const group = await visibleGroup(ctx.models, access, groupId);
  const ancestors = await ancestorsOf(ctx.models, access.tenantId, groupId);
  const chain = [groupId, ...ancestors];
  const assignments = await repositoriesOf(ctx.models).roleAssignments.ofGroups(access.tenantId, chain);
  const roleIds = [...new Set(assignments.map((a) => a.roleId))];
  const [roles, groups] = await Promise.all([
    roleIds.length ? repositoriesOf(ctx.models).roles.findManyOfTenant(access.tenantId, roleIds) : [],
    ancestors.length ? repositoriesOf(ctx.models).groups.findMany(access.tenantId, ancestors) : [],
  ]);
  const roleById = new Map(roles.map((r) => [r._id, r]));
  const groupById = new Map(groups.map((g) => [g._id, readGroup(g)]));
  const byChainOrder = (a: RoleAssignmentDoc, b: RoleAssignmentDoc) => chain.indexOf(a.groupId!) - chain.indexOf(b.groupId!);
  const item = (a: RoleAssignmentDoc) => {
    const role = roleById.get(a.roleId);
    return role ? { ...roleView(role), assignedAt: a.createdAt.toISOString() } : null;
  };
  const withSource = (a: RoleAssignmentDoc) => {
    const view = item(a);
    return view ? { ...view, inheritedFrom: a.groupId === groupId ? null : { id: a.groupId!, name: groupById.get(a.groupId!)?.name ?? null } } : null;
  };
  return {
    groupId,
    status: group.status,
    /** Assigned to this group. */
    roles: assignments
      .filter((a) => a.groupId === groupId)
      .map(withSource)
      .filter(Boolean),
    /** Assigned to an ancestor, nearest first: the group's members have them too. */
    inherited: assignments
      .filter((a) => a.groupId !== groupId)
      .sort(byChainOrder)
      .map(withSource)
      .filter(Boolean),
  };
}

/** Admins assign any role to any group; customer admins customer roles to customer groups. */
function assertMayAssign(access: Access, group: GroupRecord, role: Pick<RoleDoc, 'audience'> | undefined, what: string): void {
  if (access.isAdmin) return;
  access.assert(access.isCustomerAdmin && group.audience === 'customer' && group.origin === 'internal' && (role === undefined || role.audience === 'customer'), what);
}

export async function assignRoleToGroup(ctx: PermissionsContext, access: Access, groupId: string, roleId: string) {
  const group = await visibleGroup(ctx.models, access, groupId);
  assertMayAssign(access, group, undefined, 'assign roles');
  assertNotIdpGroup(group);
  assertAssignable(group);
  const role = await loadRoleForAssignment(ctx, access.tenantId, roleId);
  assertMayAssign(access, group, role, `assign "${role.name}" (customer admins assign customer roles)`);
  assertMayGrantRole(access, role, `assign "${role.name}"`);
  await assertRoleWithinReach(ctx.engine, access, role, `assign "${role.name}"`);
  const doc: RoleAssignmentDoc = { _id: roleAssignmentId.group(groupId, roleId), tenantId: access.tenantId, roleId, groupId, createdAt: new Date() };
  const changed = await accessBefore(ctx, access.tenantId, { type: 'Group', id: groupId });
  const created = await insertAssignment(ctx, doc);
  if (created) {
    await ctx.engine.applyChange({ tenantId: access.tenantId, kind: 'role-assignment', roleId, groupId });
    await auditPermissionChange(ctx, access.caller, 'group.role.assigned', { type: 'Group', id: groupId }, { after: { roleId, roleName: role.name }, state: { effective: await changed() } });
  }
  return { created, assignment: { groupId, role: roleView(role) } };
}

export async function revokeRoleFromGroup(ctx: PermissionsContext, access: Access, groupId: string, roleId: string): Promise<void> {
  const group = await visibleGroup(ctx.models, access, groupId);
  assertMayAssign(access, group, undefined, 'revoke roles');
  if (!access.isAdmin) {
    const held = await repositoriesOf(ctx.models).roles.findAudience(access.tenantId, roleId);
    assertMayAssign(access, group, held ?? undefined, 'revoke this role (customer admins revoke customer roles)');
  }
  const changed = await accessBefore(ctx, access.tenantId, { type: 'Group', id: groupId });
  const ended = await repositoriesOf(ctx.models).roleAssignments.delete(access.tenantId, roleAssignmentId.group(groupId, roleId));
  if (!ended) throw new AppError('notFound', 'ROLE_NOT_ASSIGNED', `Role ${roleId} is not assigned to group ${groupId}`, { details: { groupId, roleId } });
  await ctx.engine.applyChange({ tenantId: access.tenantId, kind: 'role-assignment', roleId, groupId });
  const role = await repositoriesOf(ctx.models).roles.findOfTenant(access.tenantId, roleId);
  await auditPermissionChange(ctx, access.caller, 'group.role.revoked', { type: 'Group', id: groupId }, { before: { roleId, roleName: role?.name ?? null }, state: { effective: await changed() } });
}

// ---- assignments to users (their own org-level role) ----

async function loadUser(ctx: PermissionsContext, tenantId: string, userId: string): Promise<void> {
  if (!(await repositoriesOf(ctx.models).users.exists(tenantId, userId))) throw new AppError('notFound', 'USER_NOT_FOUND', `User ${userId} not found`, { details: { userId } });
}

async function loadRoleForAssignment(ctx: PermissionsContext, tenantId: string, roleId: string): Promise<RoleDoc> {
  try {
    return await loadRole(ctx, tenantId, roleId);
  } catch (err) {
    if (err instanceof AppError && err.code === 'ROLE_NOT_FOUND') throw invalid('roleId', `Role ${roleId} does not exist in this tenant`);
    throw err;
  }
}

async function insertAssignment(ctx: PermissionsContext, doc: RoleAssignmentDoc): Promise<boolean> {
  return repositoriesOf(ctx.models).roleAssignments.insertIfAbsent(doc);
}

/** The roles assigned to a user directly. Admins see anyone's; a user sees their own. */
export async function userRoles(ctx: PermissionsContext, access: Access, userId: string) {
  if (!access.isAdmin && access.caller.userId !== userId) throw forbidden("read another user's roles");
  await loadUser(ctx, access.tenantId, userId);
  const assignments = await repositoriesOf(ctx.models).roleAssignments.ofUser(access.tenantId, userId);
  const roleIds = assignments.map((a) => a.roleId);
  const roles = roleIds.length ? await repositoriesOf(ctx.models).roles.findManyOfTenant(access.tenantId, roleIds) : [];
  return { userId, roles: roles.sort((a, b) => a.nameLower.localeCompare(b.nameLower)).map((r) => roleView(r)) };
}

export async function assignRoleToUser(ctx: PermissionsContext, access: Access, userId: string, roleId: string) {
  access.assertAdmin('assign roles');
  await loadUser(ctx, access.tenantId, userId);
  const role = await loadRoleForAssignment(ctx, access.tenantId, roleId);
  const doc: RoleAssignmentDoc = { _id: roleAssignmentId.user(userId, roleId), tenantId: access.tenantId, roleId, userId, createdAt: new Date() };
  const changed = await accessBefore(ctx, access.tenantId, { type: 'User', id: userId });
  const created = await insertAssignment(ctx, doc);
  if (created) {
    await ctx.engine.applyChange({ tenantId: access.tenantId, kind: 'role-assignment', roleId, userId });
    await auditPermissionChange(ctx, access.caller, 'user.role.assigned', { type: 'User', id: userId }, { after: { roleId, roleName: role.name }, state: { effective: await changed() } });
  }
  return { created, assignment: { userId, role: roleView(role) } };
}

export async function revokeRoleFromUser(ctx: PermissionsContext, access: Access, userId: string, roleId: string): Promise<void> {
  access.assertAdmin('revoke roles');
  const changed = await accessBefore(ctx, access.tenantId, { type: 'User', id: userId });
  const ended = await repositoriesOf(ctx.models).roleAssignments.delete(access.tenantId, roleAssignmentId.user(userId, roleId));
  if (!ended) throw new AppError('notFound', 'ROLE_NOT_ASSIGNED', `Role ${roleId} is not assigned to user ${userId}`, { details: { userId, roleId } });
  await ctx.engine.applyChange({ tenantId: access.tenantId, kind: 'role-assignment', roleId, userId });
  const role = await repositoriesOf(ctx.models).roles.findOfTenant(access.tenantId, roleId);
  await auditPermissionChange(ctx, access.caller, 'user.role.revoked', { type: 'User', id: userId }, { before: { roleId, roleName: role?.name ?? null }, state: { effective: await changed() } });
}
