import type { Models, UserDoc } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { audienceOf, groupAudienceOf, isActive, workspaceOf, type Audience } from '../groups/user-identity';
import { AppError } from '../../errors/app-error';
import { ADMINS_GROUP, CUSTOMER_ADMINS_GROUP, systemGroupIds, type GroupRecord } from '../groups/group-record';
import type { AccessBasis, Caller } from './caller';

/**
 * THE access policy of the admin API (issues 5 and 18, product docs 000 and 004): the one place that
 * answers "may this actor do this operation on this object". Every admin route and the console ask
 * it, through an `Access` built once per request by `loadAccess` from current state:
 *
 * - the actor: an operator (token kind operator, no user), or a user as stored NOW: active, their
 *   audience (internal user or customer) and workspace. Token claims never outrank the stored user:
 *   a user turned customer loses the Admins group and the token role `admin` on their next request
 *   (issue 18 #4), a customer turned internal user loses customer admin the same way, and a user's
 *   memberships count only in groups of their own audience;
 * - their reach: groups they are a member of, manage/own, or administer (Group Administrator while
 *   still a member); whether they are a tenant admin (operator, token role admin, or a member of the
 *   Admins group, internal users only) or a customer admin (token role customer-admin, or a member
 *   of Customer Admins) and, for any customer, their workspace: no customer ever sees or reaches a
 *   user of another workspace, whatever group they supervise (#1, #3, #11).
 *
 * Decisions (each a method below, named after the operation):
 * - Tenant admins may do everything. Only an admin changes the Admins group or anything that gives
 *   or takes admin-level access (admin-grant.ts: `assertMayGrantMembership`, `assertMayRevokeAdminGrant`,
 *   `assertMayInheritFrom`, `assertMayGrantRole`) (#12).
 * - Customer admins manage the tenant's customer groups (create, edit, delete, members,
 *   administrators, projects, invitations) and the customers of their workspace; they create customer
 *   roles naming customer-facing targets only, at levels they hold themselves (role-reach.ts, #6); they
 *   see the projects of customer groups only (#7).
 * - Group owners and managers manage the members of their own group.
 * - Group Administrators see and edit the groups they administer, manage their members and projects,
 *   invite users into them, and see no user, project or group outside them.
 * - Writes that change scope are judged by what they would grant: a dynamic group's rule decides
 *   members across the tenant, so only an admin sets it (#1, #2); a parent gives its roles to the
 *   child's members, so a non-admin places a group only below a group they may edit (#5), and never
 *   across audiences (#8); a CSV import is its creator's (#10); an invitation is applied with its
 *   inviter's rights at the time it is applied (#9).
 *
 * Objects the caller may not see answer 404 (their existence is not disclosed); objects the caller
 * sees but may not change answer 403 with the reason (`forbidden`), or the dedicated code
 * (ADMIN_GRANT_REQUIRES_ADMIN) naming the group and role at stake. `basis` says on what grounds
 * the actor acts; the audit records it with every change (caller.ts).
 */
export class Access {
  constructor(
    readonly caller: Caller,
    readonly isAdmin: boolean,
    readonly isCustomerAdmin: boolean,
    /** Groups the caller is a stored member of. */
    readonly memberOf: ReadonlySet<string>,
    /** Groups the caller manages (role manager) or owns. */
    readonly managerOf: ReadonlySet<string>,
    /** Groups the caller is Group Administrator of (and still a member of). */
    readonly administratorOf: ReadonlySet<string>,
    private readonly systemIds: ReadonlyMap<string, string>,
    /** A customer admin's workspace (workspaceOf their user; null: none): the customers they manage. */
    readonly workspace: string | null = null,
    /** The actor's stored audience; null for an operator (no user). */
    readonly audience: Audience | null = null,
  ) {}

  /** On what grounds the actor acts (the audit records it with each change: caller.ts auditActorOf). */
  get basis(): AccessBasis {
    return basisOf(this.isAdmin, this.isCustomerAdmin, this.administratorOf, this.managerOf);
  }

  /**
   * A customer (or a customer admin) reaches users of their own workspace only, whatever groups
   * they supervise: a group may hold customers of several workspaces (an admin's doing, or a rule).
   */
  get confinedToWorkspace(): boolean {
    return !this.isAdmin && (this.isCustomerAdmin || this.audience === 'customer');
  }

  /** The user-level part of user visibility: the workspace fence (user-visibility.ts adds group reach). */
  withinWorkspace(user: Pick<UserDoc, '_id' | 'attrs'>): boolean {
    if (!this.confinedToWorkspace || user._id === this.caller.userId) return true;
    return audienceOf(user) === 'customer' && workspaceOf(user) === this.workspace;
  }

  get tenantId(): string {
    return this.caller.tenantId;
  }

  /** A customer admin's reach over users: the customers of their own workspace (product doc 000). */
  managesCustomer(user: Pick<UserDoc, 'attrs'>): boolean {
    return this.isCustomerAdmin && audienceOf(user) === 'customer' && workspaceOf(user) === this.workspace;
  }

  get supervisedGroups(): string[] {
    return [...new Set([...this.managerOf, ...this.administratorOf])];
  }

  private isCustomerGroup(g: GroupRecord): boolean {
    return g.audience === 'customer' && g.origin === 'internal';
  }

  canSeeGroup(g: GroupRecord): boolean {
    return this.isAdmin || (this.isCustomerAdmin && this.isCustomerGroup(g)) || this.memberOf.has(g.id) || this.managerOf.has(g.id) || this.administratorOf.has(g.id);
  }

  canCreateGroup(audience: GroupRecord['audience']): boolean {
    return this.isAdmin || (this.isCustomerAdmin && audience === 'customer');
  }

  /** Edit settings, archive, delete. */
  canEditGroup(g: GroupRecord): boolean {
    return this.isAdmin || (this.isCustomerAdmin && this.isCustomerGroup(g)) || this.administratorOf.has(g.id);
  }

  canManageMembers(g: GroupRecord): boolean {
    // Admins membership is admin status: only an admin grants it (product doc 000).
    if (g.id === this.systemIds.get(ADMINS_GROUP)) return this.isAdmin;
    if (g.id === this.systemIds.get(CUSTOMER_ADMINS_GROUP)) return this.isAdmin || this.isCustomerAdmin;
    return this.canEditGroup(g) || this.managerOf.has(g.id);
  }

  canManageAdministrators(g: GroupRecord): boolean {
    return this.isAdmin || (this.isCustomerAdmin && this.isCustomerGroup(g));
  }

  canManageProjects(g: GroupRecord): boolean {
    return this.canEditGroup(g);
  }

  /** Invite new users into a group: admins, customer admins (customer groups) and its administrators. */
  canInviteInto(g: GroupRecord): boolean {
    if (g.id === this.systemIds.get(ADMINS_GROUP)) return this.isAdmin;
    return this.canEditGroup(g);
  }

  /**
   * A dynamic group's rule chooses members among every user of the tenant (every workspace), and
   * on a group someone administers it decides that administrator's reach: tenant configuration,
   * like /rules, so an admin's (issue 18 #1, #2).
   */
  canSetRule(): boolean {
    return this.isAdmin;
  }

  /**
   * Placing a group below `parent` gives its members what the parent holds: a non-admin may do it
   * only below a group they may edit themselves (being a member of it is not enough, #5).
   */
  canPlaceUnder(parent: GroupRecord): boolean {
    return this.canEditGroup(parent);
  }

  /** A CSV import (its preview holds e-mails and ids) is its creator's, and an admin's (#10). */
  canUseImport(doc: { createdBy: string }): boolean {
    return this.isAdmin || doc.createdBy === this.caller.userId;
  }

  /** Read roles: admins, customer admins (they make customer roles) and internal users; never a plain customer. */
  canReadRoles(): boolean {
    return this.isAdmin || this.isCustomerAdmin || this.audience === 'user';
  }

  /** Read the audit log, configure the tenant (rules, mappings, SCIM tokens, sync). */
  canConfigureTenant(): boolean {
    return this.isAdmin;
  }

  /** Inspect another user's effective permissions and ask /authorize about them. */
  canInspectUser(userId: string): boolean {
    return this.isAdmin || userId === this.caller.userId;
  }

  /** 404 for a group the caller may not see. */
  assertCanSeeGroup(g: GroupRecord): void {
    if (!this.canSeeGroup(g)) throw new AppError('notFound', 'GROUP_NOT_FOUND', `Group ${g.id} not found`, { details: { groupId: g.id } });
  }

  assert(allowed: boolean, what: string): void {
    if (!allowed) throw forbidden(what);
  }

  assertAdmin(what: string): void {
    this.assert(this.isAdmin, what);
  }
}

export function forbidden(what: string): AppError {
  return new AppError('forbidden', 'FORBIDDEN', `You are not allowed to ${what}`);
}

/** An admin by the token's role alone (operators, console sessions); members of the Admins group are admins too (loadAccess). */
export function holdsAdminRole(caller: Pick<Caller, 'role'>): boolean {
  return caller.role === 'admin';
}

/**
 * Builds the caller's Access from current state: their stored user (active, audience, workspace),
 * their memberships and Group Administrator designations, and the cached default group ids. Three
 * index-served reads (user by _id, memberships by user, administrators by user) and one for the
 * audiences of the groups they belong to. The owner of a group holds its membership with the source
 * 'owner' (see members.ts). An operator (no user) is a tenant admin.
 */
export async function loadAccess(models: Models, caller: Caller): Promise<Access> {
  const { tenantId, userId } = caller;
  const repos = repositoriesOf(models);
  const operator = caller.kind === 'operator';
  // An operator has no user, so no memberships: only the (cached) default group ids are read.
  const [me, memberships, administrators, systemIds] = await Promise.all([
    operator ? null : repos.users.findActiveAndCustom(tenantId, userId),
    operator ? [] : repos.memberships.ofUser(tenantId, userId),
    operator ? [] : repos.groupAdministrators.groupIdsOfUser(tenantId, userId),
    systemGroupIds(models, tenantId),
  ]);
  // A user token whose user is gone or deactivated has no power (the admin auth refuses it first).
  const present = operator || (me !== null && isActive(me));
  const audience: Audience | null = me ? audienceOf(me) : null;
  // Memberships count only in groups of the user's own audience: one left over after an audience
  // change (until the worker removes it) gives nothing, exactly as in the permission engine.
  const groupIds = memberships.map((m) => m.groupId);
  const audiences = present && audience !== null && groupIds.length ? await repos.groups.audiencesOf(tenantId, groupIds) : [];
  const ofMyAudience = new Set(audiences.filter((g) => groupAudienceOf(g) === audience).map((g) => g._id));
  const counted = operator ? memberships : present ? memberships.filter((m) => ofMyAudience.has(m.groupId)) : [];
  const memberOf = new Set(counted.map((m) => m.groupId));
  const managerOf = new Set(counted.filter((m) => m.role === 'manager' || m.sources.includes(OWNER_SOURCE)).map((m) => m.groupId));
  // A group administrator must be a member: a designation outliving the membership grants nothing.
  const administratorOf = new Set(administrators.map((a) => a.groupId).filter((g) => memberOf.has(g)));
  const adminsId = systemIds.get(ADMINS_GROUP);
  const customerAdminsId = systemIds.get(CUSTOMER_ADMINS_GROUP);
  // Admin powers are an internal user's: a token's role admin speaks only while its user is one (#4).
  const isAdmin = operator || (present && audience === 'user' && (holdsAdminRole(caller) || (adminsId !== undefined && memberOf.has(adminsId))));
  // Customer admin powers are a customer's: a customer admin turned internal user keeps none (the
  // Customer Admins membership is of the other audience then, and the token role speaks no more).
  const isCustomerAdmin = present && audience === 'customer' && (caller.role === 'customer-admin' || (customerAdminsId !== undefined && memberOf.has(customerAdminsId)));
  const workspace = me ? workspaceOf(me) : null;
  const judged: Caller = { ...caller, basis: basisOf(isAdmin, isCustomerAdmin, administratorOf, managerOf) };
  return new Access(judged, isAdmin, isCustomerAdmin, memberOf, managerOf, administratorOf, systemIds, workspace, audience);
}

function basisOf(isAdmin: boolean, isCustomerAdmin: boolean, administratorOf: ReadonlySet<string>, managerOf: ReadonlySet<string>): AccessBasis {
  if (isAdmin) return 'admin';
  if (isCustomerAdmin) return 'customer-admin';
  if (administratorOf.size > 0) return 'group-administrator';
  if (managerOf.size > 0) return 'manager';
  return 'member';
}

/**
 * Groups whose resources a non-admin sees and names (undefined: no restriction, an admin): the
 * groups they belong to, manage or administer, and for a customer admin's projects the projects of
 * every customer group — never those of internal groups only (issue 18 #7).
 */
export async function resourceScopeGroups(models: Models, access: Access, type?: string): Promise<string[] | undefined> {
  if (access.isAdmin) return undefined;
  const own = [...new Set([...access.memberOf, ...access.supervisedGroups, ...access.administratorOf])];
  if (!(access.isCustomerAdmin && type === 'project')) return own;
  const customerGroups = await repositoriesOf(models).groups.allListed(access.tenantId, { origin: 'internal', audience: 'customer' });
  return [...new Set([...own, ...customerGroups.map((g) => g._id)])];
}

/** The membership source that keeps a group's owner in it (owners cannot be removed). */
export const OWNER_SOURCE = 'owner';
