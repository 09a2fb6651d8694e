import type { MembershipRole, ResourceType } from '../../persistence/models';
import { resourceTypeTarget } from './catalog';
import type { Privilege } from './privileges';
import { levelRank, type Level } from './levels';

/**
 * Effective permissions of one user, computed from already-loaded data (no I/O here, so the rules
 * are testable and the cache decides when to recompute):
 *
 * - each group the user belongs to gives the roles and resources assigned to it and to each of its
 *   ancestors (a group's effective grants include its ancestors', DESIGN.md §2);
 * - an archived group gives nothing, neither to its members nor to its descendants' members;
 * - roles assigned to the user directly (their org-level role) are added;
 * - the union keeps, per target and per resource, every source, best first;
 * - a member of the default Admins group has everything;
 * - a deactivated user (active=false) has nothing.
 *
 * Keeping every source (not only the winning level) is what makes "removing a user from a group
 * removes only what that group granted" hold: what other groups give is still listed.
 */
export interface NamedRef {
  id: string;
  name: string;
}

export interface GroupNode {
  id: string;
  name: string;
  parentId?: string;
  archived: boolean;
  /** Key of a default group ('admins', …). */
  system?: string;
  /** Internal groups: whom they hold. A membership of the other audience gives nothing. */
  audience?: 'user' | 'customer';
  roleIds: string[];
  resourceGrants: { resourceId: string; resourceType: ResourceType; level: Level }[];
}

export interface RoleInfo {
  id: string;
  name: string;
  system?: string;
  privileges: Privilege[];
}

export type SourceKind = 'admin' | 'role' | 'resource';

export interface PermissionSource {
  kind: SourceKind;
  level: Level;
  role?: NamedRef;
  resourceId?: string;
  /** The group the role or resource is assigned to; absent for a role assigned to the user directly. */
  group?: NamedRef;
  /** Set when `group` is an ancestor: the user's own group that inherits from it. */
  inheritedBy?: NamedRef;
}

export interface UserGroup extends NamedRef {
  role: MembershipRole;
  archived: boolean;
}

export interface EffectivePermissions {
  tenantId: string;
  userId: string;
  active: boolean;
  /** Why the user has everything (member of Admins), or null. */
  admin: PermissionSource | null;
  groups: UserGroup[];
  /** The user's groups and all their ancestors (archived ones too): what a change to any of them affects. */
  closure: ReadonlySet<string>;
  roleIds: ReadonlySet<string>;
  /** Per catalogue target (canonical name), the sources giving a level above hide, best first. */
  targets: ReadonlyMap<string, PermissionSource[]>;
  /** Per resource id, the groups' resource grants, best first. */
  resources: ReadonlyMap<string, { type: ResourceType; sources: PermissionSource[] }>;
}

export interface EffectiveInput {
  tenantId: string;
  userId: string;
  active: boolean;
  /** The user's audience: memberships of internal groups of the other audience give nothing. */
  audience: 'user' | 'customer';
  memberships: { groupId: string; role: MembershipRole }[];
  /** Every group of `memberships` and their ancestors that exist (missing ones are skipped). */
  nodes: ReadonlyMap<string, GroupNode>;
  roles: ReadonlyMap<string, RoleInfo>;
  /** Roles assigned to the user directly. */
  userRoleIds: string[];
  /** Id of the tenant's default Admins group. */
  adminsGroupId?: string;
}

/** Best first: higher level, then the nearer source (own role, own group, inherited group). */
function rank(s: PermissionSource): number {
  const nearness = s.kind === 'admin' ? 0 : !s.group ? 1 : !s.inheritedBy ? 2 : 3;
  return levelRank(s.level) * 10 + (9 - nearness);
}

export function sortSources(list: PermissionSource[]): PermissionSource[] {
  return list.sort((a, b) => rank(b) - rank(a));
}

/** The chain from a group up to its root (the group first), stopping at a missing group or a cycle. */
export function chainOf(groupId: string, nodes: ReadonlyMap<string, GroupNode>, maxLength = 32): GroupNode[] {
  const out: GroupNode[] = [];
  const seen = new Set<string>();
  let current = nodes.get(groupId);
  while (current && !seen.has(current.id) && out.length < maxLength) {
    out.push(current);
    seen.add(current.id);
    current = current.parentId ? nodes.get(current.parentId) : undefined;
  }
  return out;
}

export function computeEffective(input: EffectiveInput): EffectivePermissions {
  const targets = new Map<string, PermissionSource[]>();
  const resources = new Map<string, { type: ResourceType; sources: PermissionSource[] }>();
  const closure = new Set<string>();
  const roleIds = new Set<string>();
  const groups: UserGroup[] = [];
  let admin: PermissionSource | null = null;

  const addRole = (roleId: string, group?: NamedRef, inheritedBy?: NamedRef) => {
    roleIds.add(roleId);
    const role = input.roles.get(roleId);
    if (!role) return;
    for (const p of role.privileges) {
      if (p.level === 'hide') continue;
      const source: PermissionSource = { kind: 'role', level: p.level, role: { id: role.id, name: role.name } };
      if (group) source.group = group;
      if (inheritedBy) source.inheritedBy = inheritedBy;
      const list = targets.get(p.target);
      if (list) list.push(source);
      else targets.set(p.target, [source]);
    }
  };

  for (const m of input.memberships) {
    const chain = chainOf(m.groupId, input.nodes);
    // The membership's group counts even when its data is not loaded yet (a group just created):
    // a later grant to it must still reach this user's cached entry.
    closure.add(m.groupId);
    for (const node of chain) closure.add(node.id);
    const own = chain[0];
    if (!own) continue;
    // A membership the audience rule forbids (left over until the worker removes it after an
    // audience change) gives nothing meanwhile.
    if (own.audience !== undefined && own.audience !== input.audience) continue;
    const ownRef = { id: own.id, name: own.name };
    groups.push({ ...ownRef, role: m.role, archived: own.archived });
    if (!input.active || own.archived) continue;
    if (input.adminsGroupId !== undefined && own.id === input.adminsGroupId && !admin) {
      admin = { kind: 'admin', level: 'delete', group: ownRef };
    }
    for (const node of chain) {
      if (node.archived) continue;
      // An ancestor of the other audience gives nothing: a customer group never inherits an
      // internal group's roles, nor the reverse (issue 18 #8; the admin API refuses such a parent).
      if (node.audience !== undefined && node.audience !== input.audience) continue;
      const ref = { id: node.id, name: node.name };
      const inheritedBy = node.id === own.id ? undefined : ownRef;
      for (const roleId of node.roleIds) addRole(roleId, ref, inheritedBy);
      for (const g of node.resourceGrants) {
        const source: PermissionSource = { kind: 'resource', level: g.level, resourceId: g.resourceId, group: ref };
        if (inheritedBy) source.inheritedBy = inheritedBy;
        const entry = resources.get(g.resourceId);
        if (entry) entry.sources.push(source);
        else resources.set(g.resourceId, { type: g.resourceType, sources: [source] });
      }
    }
  }
  if (input.active) for (const roleId of input.userRoleIds) addRole(roleId);
  else for (const roleId of input.userRoleIds) roleIds.add(roleId);

  for (const list of targets.values()) sortSources(list);
  for (const entry of resources.values()) sortSources(entry.sources);
  return {
    tenantId: input.tenantId,
    userId: input.userId,
    active: input.active,
    admin: input.active ? admin : null,
    groups,
    closure,
    roleIds,
    targets,
    resources,
  };
}

/** Sources giving a level on a resource: its own grants, plus role levels on its whole type. */
export function sourcesForResource(eff: EffectivePermissions, resourceId: string, type: ResourceType): PermissionSource[] {
  const own = eff.resources.get(resourceId)?.sources ?? [];
  const typeWide = eff.targets.get(resourceTypeTarget(type).name) ?? [];
  return sortSources([...own, ...typeWide]);
}
