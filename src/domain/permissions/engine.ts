import { textValue } from '../../attributes/text-value';
import type { MembershipRole, Models, ResourceType, RoleDoc, UserDoc } from '../../persistence/models';
import type { GroupNodeFields } from '../../persistence/groups-repository';
import { AppError } from '../../errors/app-error';
import { repositoriesOf } from '../../persistence/repositories';
import { accessEvents as defaultAccessEvents, type AccessChange, type AccessEvents } from '../access-events';
import { ADMINS_GROUP } from '../groups/group-record';
import { automaticGroupIds } from '../groups/memberships-of-user';
import { audienceOf, groupAudienceOf, isActive } from '../groups/user-identity';
import { AccessVersionReader, bumpAccessVersion, readAccessVersion, type AccessVersion } from './access-version';
import { findTarget } from './catalog';
import { chainOf, computeEffective, type EffectivePermissions, type GroupNode, type RoleInfo } from './effective';
import { decide, type Decision, type Subject } from './decision';
import { ACTIONS, isAction, isLevel, type Action } from './levels';

/**
 * Effective permissions with a per-process cache, exact without any TTL.
 *
 * What is cached, per tenant:
 * - the grant data: every group's parent, status and name, the roles assigned to it and the
 *   resources granted to it, every role's privileges, the roles assigned to users directly. It is
 *   loaded in one go (four tenant-wide queries) and shared by all users' computations;
 * - per user, the computed effective permissions (their memberships are read once, on a miss).
 *
 * How it stays exact:
 * 1. Precise local invalidation. Writers in this process report changes: the groups code on the
 *    shared `accessEvents` bus (membership, hierarchy, group status), the permission use-cases
 *    through `applyChange` (roles, role assignments, resource grants, resources). A membership
 *    change drops that user's entry; a change to what a group or role gives drops the users whose
 *    groups (or their ancestors) or roles include it, and patches the loaded grant data by
 *    re-reading just what changed (`_id` lookups), so an admin's change never reloads the tenant.
 * 2. Cross-process version check. After each change the tenant's counters are bumped (see
 *    access-version.ts); every authorize reads them (one `_id` lookup, coalesced across concurrent
 *    callers). When another process moved them, the tenant's users are dropped (and the grant data
 *    too when grants moved). This process's own bump is adopted without dropping anything more,
 *    since its local invalidation already did the precise work.
 * 3. Races. A computation that overlaps an invalidation of its tenant is not stored (generation
 *    counters), so a slow read can never put back what a change just dropped.
 *
 * The cache is per process: replicas agree through the version counters, not through each
 * other's events. The bump of an event from the bus runs right after the synchronous emit; a write
 * path that must not return before other replicas can see it calls `applyChange`, which awaits it.
 */
/**
 * What a write did to one user (effectiveAcrossMemberships): the groups joined (by this source),
 * those left, and what access reads from the user document as it was before (`activeBefore`, or
 * `userBefore`: its attributes, whose active flag and audience decide the automatic groups).
 */
export interface MembershipChangeOfUser {
  joined: readonly { groupId: string; source: string }[];
  left: readonly string[];
  activeBefore?: boolean;
  userBefore?: Pick<UserDoc, 'attrs'>;
}

export type PermissionChange =
  | { tenantId: string; kind: 'role'; roleId: string }
  | { tenantId: string; kind: 'role-assignment'; roleId: string; groupId?: string; userId?: string }
  | { tenantId: string; kind: 'resource-grant'; groupId: string; resourceId: string }
  | { tenantId: string; kind: 'resource'; resourceId: string };

export interface ResourceInfo {
  id: string;
  type: ResourceType;
  name: string;
}

export interface AuthorizeRequest {
  userId: string;
  action: unknown;
  target?: unknown;
  resource?: unknown;
}

/** What groups and roles give in one tenant: shared by every user's computation. */
export interface GrantData {
  nodes: Map<string, GroupNode>;
  roles: Map<string, RoleInfo>;
  /** Roles assigned to users directly. */
  userRoles: Map<string, string[]>;
  /** Default groups by key ('admins', 'platform-users', …). */
  systemGroups: Map<string, string>;
}

class TenantState {
  /** Counters every cached entry is valid at; undefined before the first read. */
  version: AccessVersion | undefined;
  /** Moves on every invalidation of users; a computation overlapping a move is not stored. */
  generation = 0;
  /** Moves on every change to the grant data; a computation overlapping a move is not stored. */
  grantsGeneration = 0;
  readonly users = new Map<string, EffectivePermissions>();
  grants: Promise<GrantData> | undefined;
  readonly resources = new Map<string, ResourceInfo>();

  /** Forgets the grant data (reloaded on next use): for changes this process cannot patch. */
  dropGrants(): void {
    this.grantsGeneration++;
    this.grants = undefined;
    this.resources.clear();
  }

  /**
   * Applies a change this process made to the loaded grant data, in order after earlier patches;
   * computations started from now on wait for it. A patch that fails drops the data instead.
   */
  patchGrants(patch: (data: GrantData) => Promise<'patched' | 'reload'>): void {
    this.grantsGeneration++;
    const before = this.grants;
    if (!before) return;
    const next = before.then(async (data) => {
      if ((await patch(data)) === 'reload') throw new Error('grant data must be reloaded');
      return data;
    });
    this.grants = next;
    next.catch(() => {
      if (this.grants === next) this.grants = undefined;
    });
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Cached users per tenant; beyond it the oldest entry is evicted (a later question recomputes it). */
const MAX_CACHED_USERS_PER_TENANT = 100_000;

function nodeOf(d: GroupNodeFields, roleIds: string[], resourceGrants: GroupNode['resourceGrants']): GroupNode {
  const node: GroupNode = { id: d._id, name: textValue(d.attrs?.displayName), archived: d.status === 'archived', roleIds, resourceGrants };
  if (typeof d.parentId === 'string' && d.parentId) node.parentId = d.parentId;
  if (typeof d.system === 'string') node.system = d.system;
  if (d.origin === 'internal') node.audience = groupAudienceOf(d);
  return node;
}

function roleOf(r: Pick<RoleDoc, '_id' | 'name' | 'system' | 'privileges'>): RoleInfo {
  return { id: r._id, name: r.name, privileges: r.privileges ?? [], ...(r.system ? { system: r.system } : {}) };
}

/** Role assignment ids (the convention of models.ts RoleAssignmentDoc). */
export const roleAssignmentIds = {
  group: (groupId: string, roleId: string) => `${groupId}|${roleId}`,
  user: (userId: string, roleId: string) => `user:${userId}|${roleId}`,
};

/** Loads a tenant's grant data: four tenant-wide reads, no per-group round trips. */
export async function loadGrantData(models: Models, tenantId: string): Promise<GrantData> {
  const [groups, roles, assignments, grants] = await Promise.all([
    repositoriesOf(models).groups.hierarchyNodes(tenantId),
    repositoriesOf(models).roles.grantFieldsOfTenant(tenantId),
    repositoriesOf(models).roleAssignments.holdersOfTenant(tenantId),
    repositoriesOf(models).resourceGrants.ofTenant(tenantId),
  ]);
  const rolesOf = groupBy(assignments, (a) => a.groupId);
  const grantsOf = groupBy(grants, (g) => g.groupId);
  const nodes = new Map<string, GroupNode>();
  const systemGroups = new Map<string, string>();
  for (const d of groups) {
    const node = nodeOf(
      d,
      (rolesOf.get(d._id) ?? []).map((a) => a.roleId),
      (grantsOf.get(d._id) ?? []).filter((g) => isLevel(g.level)).map((g) => ({ resourceId: g.resourceId, resourceType: g.resourceType, level: g.level })),
    );
    if (node.system) systemGroups.set(node.system, d._id);
    nodes.set(d._id, node);
  }
  const userRoles = new Map<string, string[]>();
  for (const a of assignments) {
    if (a.groupId || !a.userId) continue;
    userRoles.set(a.userId, [...(userRoles.get(a.userId) ?? []), a.roleId]);
  }
  return {
    nodes,
    roles: new Map(roles.map((r) => [r._id, roleOf(r)])),
    userRoles,
    systemGroups,
  };
}

/** Effective permissions of a user from their memberships and the tenant's grant data (pure). */
function effectiveOf(
  tenantId: string,
  userId: string,
  user: Pick<UserDoc, 'attrs'>,
  memberships: readonly { groupId: string; role: MembershipRole; sources?: readonly string[] }[],
  grants: GrantData,
  activeOverride?: boolean,
): EffectivePermissions {
  const active = activeOverride ?? isActive(user);
  // A membership without sources is gone: it only waits for its removal's audit event (sync/membership-changes.ts).
  const groups = memberships.filter((m) => m.sources === undefined || m.sources.length > 0).map((m) => ({ groupId: m.groupId, role: m.role }));
  // The automatic default groups of the user's audience hold every active user without a stored membership.
  if (active) {
    for (const automaticId of automaticGroupIds(grants.systemGroups, audienceOf(user))) {
      if (!groups.some((g) => g.groupId === automaticId)) groups.push({ groupId: automaticId, role: 'member' });
    }
  }
  const adminsGroupId = grants.systemGroups.get(ADMINS_GROUP);
  return computeEffective({
    tenantId,
    userId,
    active,
    audience: audienceOf(user),
    memberships: groups,
    nodes: grants.nodes,
    roles: grants.roles,
    userRoleIds: grants.userRoles.get(userId) ?? [],
    ...(adminsGroupId ? { adminsGroupId } : {}),
  });
}

export interface EngineStats {
  hits: number;
  misses: number;
  /** Times another process's change made this one drop a tenant's cached users. */
  tenantResets: number;
  grantLoads: number;
}

export class PermissionEngine {
  private readonly tenants = new Map<string, TenantState>();
  private readonly versions: AccessVersionReader;
  private readonly unsubscribe: () => void;
  readonly stats: EngineStats = { hits: 0, misses: 0, tenantResets: 0, grantLoads: 0 };

  constructor(
    private readonly models: Models,
    events: AccessEvents = defaultAccessEvents,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.versions = new AccessVersionReader((tenantId) => readAccessVersion(models, tenantId));
    this.unsubscribe = events.on((change) => this.onAccessEvent(change));
  }

  close(): void {
    this.unsubscribe();
    this.tenants.clear();
  }

  private state(tenantId: string): TenantState {
    let s = this.tenants.get(tenantId);
    if (!s) {
      s = new TenantState();
      this.tenants.set(tenantId, s);
    }
    return s;
  }

  // ---- invalidation ----

  private dropUsers(s: TenantState, affected: (e: EffectivePermissions) => boolean): void {
    for (const [userId, e] of s.users) if (affected(e)) s.users.delete(userId);
  }

  /** Drops what a change can affect, in this process, synchronously. */
  private invalidate(change: AccessChange | PermissionChange): void {
    const s = this.tenants.get(change.tenantId);
    if (!s) return;
    s.generation++;
    switch (change.kind) {
      case 'membership':
        // Without a user id (a bulk change) the users who joined are unknown: none of their
        // entries names the group yet, so every entry of the tenant goes.
        if (change.userId) s.users.delete(change.userId);
        else s.users.clear();
        return;
      case 'hierarchy':
      case 'group':
        if (change.groupId) {
          const groupId = change.groupId;
          s.patchGrants((data) => this.patchGroup(data, change.tenantId, groupId));
          this.dropUsers(s, (e) => e.closure.has(groupId));
        } else {
          s.dropGrants();
          s.users.clear();
        }
        return;
      case 'role':
        s.patchGrants((data) => this.patchRole(data, change.tenantId, change.roleId));
        this.dropUsers(s, (e) => e.roleIds.has(change.roleId));
        return;
      case 'role-assignment': {
        const { roleId, groupId, userId } = change;
        s.patchGrants((data) => this.patchRoleAssignment(data, change.tenantId, roleId, groupId, userId));
        if (groupId) this.dropUsers(s, (e) => e.closure.has(groupId));
        if (userId) s.users.delete(userId);
        return;
      }
      case 'resource-grant':
        s.patchGrants((data) => this.patchResourceGrant(data, change.tenantId, change.groupId, change.resourceId));
        this.dropUsers(s, (e) => e.closure.has(change.groupId));
        return;
      case 'resource':
        s.resources.delete(change.resourceId);
        s.patchGrants((data) => this.patchResource(data, change.tenantId, change.resourceId));
        this.dropUsers(s, (e) => e.resources.has(change.resourceId));
        return;
    }
  }

  // ---- patches: re-read what changed (each an `_id` lookup) and update the loaded grant data ----

  private async patchGroup(data: GrantData, tenantId: string, groupId: string): Promise<'patched' | 'reload'> {
    const doc = await repositoriesOf(this.models).groups.hierarchyNode(tenantId, groupId);
    const node = data.nodes.get(groupId);
    if (!doc) {
      // Deleted: its assignments and grants went with it (groups.ts deleteGroup).
      data.nodes.delete(groupId);
      return 'patched';
    }
    // A group new to this data has no roles or resources yet: any given to it here since the load
    // found no node and forced a reload; any given elsewhere moved grantsVersion.
    const fresh = nodeOf(doc, node?.roleIds ?? [], node?.resourceGrants ?? []);
    data.nodes.set(groupId, fresh);
    if (fresh.system) data.systemGroups.set(fresh.system, groupId);
    return 'patched';
  }

  private async patchRole(data: GrantData, tenantId: string, roleId: string): Promise<'patched' | 'reload'> {
    const doc = await repositoriesOf(this.models).roles.findGrantFields(tenantId, roleId);
    if (doc) data.roles.set(roleId, roleOf(doc));
    else data.roles.delete(roleId);
    return 'patched';
  }

  private async patchRoleAssignment(data: GrantData, tenantId: string, roleId: string, groupId?: string, userId?: string): Promise<'patched' | 'reload'> {
    // A role created since the load is read now (roles are read whole, by `_id`).
    if (!data.roles.has(roleId)) await this.patchRole(data, tenantId, roleId);
    if (groupId) {
      const node = data.nodes.get(groupId);
      if (!node) return 'reload';
      const exists = await repositoriesOf(this.models).roleAssignments.exists(tenantId, roleAssignmentIds.group(groupId, roleId));
      const others = node.roleIds.filter((r) => r !== roleId);
      data.nodes.set(groupId, { ...node, roleIds: exists ? [...others, roleId] : others });
    }
    if (userId) {
      const exists = await repositoriesOf(this.models).roleAssignments.exists(tenantId, roleAssignmentIds.user(userId, roleId));
      const others = (data.userRoles.get(userId) ?? []).filter((r) => r !== roleId);
      data.userRoles.set(userId, exists ? [...others, roleId] : others);
    }
    return 'patched';
  }

  private async patchResourceGrant(data: GrantData, tenantId: string, groupId: string, resourceId: string): Promise<'patched' | 'reload'> {
    const node = data.nodes.get(groupId);
    if (!node) return 'reload';
    const grant = await repositoriesOf(this.models).resourceGrants.findLevel(tenantId, `${groupId}|${resourceId}`);
    const others = node.resourceGrants.filter((g) => g.resourceId !== resourceId);
    const grants = grant && isLevel(grant.level) ? [...others, { resourceId, resourceType: grant.resourceType, level: grant.level }] : others;
    data.nodes.set(groupId, { ...node, resourceGrants: grants });
    return 'patched';
  }

  private async patchResource(data: GrantData, tenantId: string, resourceId: string): Promise<'patched' | 'reload'> {
    if (await repositoriesOf(this.models).resources.exists(tenantId, resourceId)) return 'patched'; // renamed: names are read per question, not kept in grant data
    for (const [id, node] of data.nodes) {
      if (node.resourceGrants.some((g) => g.resourceId === resourceId)) data.nodes.set(id, { ...node, resourceGrants: node.resourceGrants.filter((g) => g.resourceId !== resourceId) });
    }
    return 'patched';
  }

  /** Bumps the tenant's counters and adopts them when no other process bumped in between. */
  private async bump(tenantId: string, grantsChanged: boolean): Promise<void> {
    const next = await bumpAccessVersion(this.models, tenantId, grantsChanged);
    const s = this.tenants.get(tenantId);
    if (!next || !s?.version) return;
    if (s.version.access === next.access - 1 && s.version.grants === next.grants - (grantsChanged ? 1 : 0)) s.version = next;
  }

  private onAccessEvent(change: AccessChange): void {
    this.invalidate(change);
    this.bump(change.tenantId, change.kind !== 'membership').catch(this.onError);
  }

  /** Reports a change made by this process; returns once other replicas will see it. */
  async applyChange(change: PermissionChange | AccessChange): Promise<void> {
    this.invalidate(change);
    await this.bump(change.tenantId, change.kind !== 'membership');
  }

  // ---- loading ----

  /** Makes the tenant state current: what another process changed since is dropped. */
  private async currentState(tenantId: string): Promise<TenantState> {
    const version = await this.versions.current(tenantId);
    const s = this.state(tenantId);
    if (!s.version) {
      s.version = version;
    } else if (version.access > s.version.access || version.grants > s.version.grants) {
      s.generation++;
      s.users.clear();
      if (version.grants > s.version.grants) s.dropGrants();
      s.version = version;
      this.stats.tenantResets++;
    }
    return s;
  }

  /** The tenant's grant data, loaded once and shared (concurrent callers share one load). */
  private async grantData(s: TenantState, tenantId: string): Promise<GrantData> {
    for (let attempt = 0; ; attempt++) {
      const pending = s.grants ?? this.loadGrants(s, tenantId);
      try {
        return await pending;
      } catch (err) {
        // A patch that asked for a reload, or a failed read: load afresh once.
        if (s.grants === pending) s.grants = undefined;
        if (attempt >= 1) throw err;
      }
    }
  }

  private loadGrants(s: TenantState, tenantId: string): Promise<GrantData> {
    this.stats.grantLoads++;
    const loading = loadGrantData(this.models, tenantId);
    s.grants = loading;
    loading.catch(() => {
      if (s.grants === loading) s.grants = undefined;
    });
    return loading;
  }

  private async compute(s: TenantState, tenantId: string, userId: string): Promise<EffectivePermissions> {
    const generation = s.generation;
    const grantsGeneration = s.grantsGeneration;
    const [user, memberships, grants] = await Promise.all([
      repositoriesOf(this.models).users.findActiveAndCustom(tenantId, userId),
      repositoriesOf(this.models).memberships.ofUser(tenantId, userId),
      this.grantData(s, tenantId),
    ]);
    if (!user) throw new AppError('notFound', 'USER_NOT_FOUND', `User ${userId} not found`, { details: { userId } });
    const effective = effectiveOf(tenantId, userId, user, memberships, grants);
    if (s.generation === generation && s.grantsGeneration === grantsGeneration) {
      // Bounded memory: past the cap the oldest entry goes (Map keeps insertion order).
      if (s.users.size >= MAX_CACHED_USERS_PER_TENANT) s.users.delete(s.users.keys().next().value!);
      s.users.set(userId, effective);
    }
    return effective;
  }

  /**
   * Of `groupIds`, those a membership of which can give anything: the group or one of its
   * ancestors has roles or resource grants, or it is the Admins group. A membership change of
   * groups that give nothing changes no one's access (docs/events.md, `access.changed`). Uses the
   * tenant's shared grant data: no per-user read. A group missing from it (created since it was
   * loaded) counts as giving: the caller's difference looks at it.
   */
  async groupsGivingAccess(tenantId: string, groupIds: Iterable<string>): Promise<Set<string>> {
    const grants = await this.grantData(await this.currentState(tenantId), tenantId);
    const adminsGroupId = grants.systemGroups.get(ADMINS_GROUP);
    const out = new Set<string>();
    for (const groupId of groupIds) {
      if (!grants.nodes.has(groupId) || chainOf(groupId, grants.nodes).some((n) => n.roleIds.length > 0 || n.resourceGrants.length > 0 || n.id === adminsGroupId)) out.add(groupId);
    }
    return out;
  }

  /**
   * A user's effective permissions now (read afresh, not cached) and as they were before the
   * membership changes just written: without the groups they `joined` (a source added, where that
   * source alone holds the membership now: it did not exist before), with the groups they `left`
   * (where no membership is left now; as a plain member). The same grant data and user for both
   * sides, so the two differ only by those memberships (and by `activeBefore` or `userBefore`, when
   * the change activated or deactivated the user or moved its audience). Undefined for a user
   * deleted meanwhile.
   */
  async effectiveAcrossMemberships(tenantId: string, userId: string, change: MembershipChangeOfUser): Promise<{ before: EffectivePermissions; after: EffectivePermissions } | undefined> {
    return (await this.effectiveAcrossMembershipsOf(tenantId, new Map([[userId, change]]))).get(userId);
  }

  /**
   * effectiveAcrossMemberships for several users of one tenant in two reads (their user documents,
   * their memberships), whatever their number: what the worker's membership flush needs for a
   * chunk of a rule run. Users deleted meanwhile are left out.
   */
  async effectiveAcrossMembershipsOf(tenantId: string, changes: ReadonlyMap<string, MembershipChangeOfUser>): Promise<Map<string, { before: EffectivePermissions; after: EffectivePermissions }>> {
    const out = new Map<string, { before: EffectivePermissions; after: EffectivePermissions }>();
    if (changes.size === 0) return out;
    const userIds = [...changes.keys()];
    const s = await this.currentState(tenantId);
    const [users, membershipsByUser, grants] = await Promise.all([
      repositoriesOf(this.models).users.findActiveAndCustomMany(tenantId, userIds),
      repositoriesOf(this.models).memberships.ofUsers(tenantId, userIds),
      this.grantData(s, tenantId),
    ]);
    for (const [userId, change] of changes) {
      const user = users.get(userId);
      if (!user) continue;
      const memberships = membershipsByUser.get(userId) ?? [];
      const joined = new Set(change.joined.filter((j) => memberships.some((m) => m.groupId === j.groupId && m.sources.length === 1 && m.sources[0] === j.source)).map((j) => j.groupId));
      const held = new Set(memberships.filter((m) => m.sources.length > 0).map((m) => m.groupId));
      const earlier = [...memberships.filter((m) => !joined.has(m.groupId)), ...change.left.filter((g) => !held.has(g) && !joined.has(g)).map((groupId) => ({ groupId, role: 'member' as const }))];
      out.set(userId, { before: effectiveOf(tenantId, userId, change.userBefore ?? user, earlier, grants, change.activeBefore), after: effectiveOf(tenantId, userId, user, memberships, grants) });
    }
    return out;
  }

  /** A user's effective permissions (cached; exact as described above). 404 for an unknown user. */
  async effectiveFor(tenantId: string, userId: string): Promise<EffectivePermissions> {
    const s = await this.currentState(tenantId);
    const cached = s.users.get(userId);
    if (cached) {
      this.stats.hits++;
      return cached;
    }
    this.stats.misses++;
    return this.compute(s, tenantId, userId);
  }

  async resource(tenantId: string, resourceId: string): Promise<ResourceInfo> {
    const s = await this.currentState(tenantId);
    const cached = s.resources.get(resourceId);
    if (cached) return cached;
    const generation = s.grantsGeneration;
    const doc = await repositoriesOf(this.models).resources.findInfo(tenantId, resourceId);
    if (!doc) throw new AppError('notFound', 'RESOURCE_NOT_FOUND', `Resource ${resourceId} not found`, { details: { resourceId } });
    const info: ResourceInfo = { id: doc._id, type: doc.type, name: doc.name };
    if (s.grantsGeneration === generation) s.resources.set(resourceId, info);
    return info;
  }

  /** Validates an authorize request and answers it. 400 for a malformed one, 404 for an unknown user or resource. */
  async authorize(tenantId: string, request: AuthorizeRequest): Promise<Decision> {
    const { action, subject } = await this.parseRequest(tenantId, request);
    const eff = await this.effectiveFor(tenantId, request.userId);
    return decide(eff, action, subject);
  }

  private async parseRequest(tenantId: string, request: AuthorizeRequest): Promise<{ action: Action; subject: Subject }> {
    if (typeof request.userId !== 'string' || !request.userId) throw new AppError('badRequest', 'AUTHORIZE_INVALID', 'userId is required');
    if (!isAction(request.action)) {
      throw new AppError('badRequest', 'AUTHORIZE_INVALID', `action must be one of ${ACTIONS.join(', ')}`, { details: { action: request.action } });
    }
    const hasTarget = request.target !== undefined && request.target !== null;
    const hasResource = request.resource !== undefined && request.resource !== null;
    if (hasTarget === hasResource) throw new AppError('badRequest', 'AUTHORIZE_INVALID', 'Give exactly one of target (a catalogue target) and resource (a resource id)');
    if (hasTarget) {
      const target = typeof request.target === 'string' ? findTarget(request.target) : undefined;
      if (!target) throw new AppError('badRequest', 'PERMISSION_TARGET_UNKNOWN', `"${String(request.target)}" is not a target of the permission catalogue`, { details: { target: request.target } });
      return { action: request.action, subject: { kind: 'target', target } };
    }
    if (typeof request.resource !== 'string' || !request.resource) throw new AppError('badRequest', 'AUTHORIZE_INVALID', 'resource must be a resource id');
    return { action: request.action, subject: { kind: 'resource', resource: await this.resource(tenantId, request.resource) } };
  }
}

/** One engine per Models (one per database connection), shared by the routes and the benchmark. */
const engines = new WeakMap<Models, PermissionEngine>();

export function permissionEngine(models: Models): PermissionEngine {
  let engine = engines.get(models);
  if (!engine) {
    engine = new PermissionEngine(models);
    engines.set(models, engine);
  }
  return engine;
}
