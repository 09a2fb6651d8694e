import type { Models, UserDoc } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { audienceOf, workspaceOf } from '../groups/user-identity';
import { AppError } from '../../errors/app-error';
import { ADMINS_GROUP, CUSTOMER_ADMINS_GROUP, systemGroupIds, type GroupRecord } from '../groups/group-record';
import type { Caller } from './caller';

/**
 * Who may do what in the admin API (issue 5, product docs 000 and 004):
 *
 * - Tenant admins (token role `admin`, or members of the default Admins group) may do everything.
 *   Only an admin changes the Admins group, so only an admin makes another user an admin.
 * - Customer admins (token role `customer-admin`, or members of Customer Admins) manage the
 *   tenant's customer groups: create, edit, delete, members, administrators, projects, invitations.
 * - Group owners and managers manage the members of their own group.
 * - Group administrators (GroupAdministrator, while still a member) see and edit the groups they
 *   administer, manage their members and projects, invite users into them, and see no user,
 *   project or group outside them.
 *
 * Objects the caller may not see answer 404 (their existence is not disclosed); objects the caller
 * sees but may not change answer 403.
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
  ) {}

  get tenantId(): string {
    return this.caller.tenantId;
  }

  /** Groups whose users the caller may see and manage (beside an admin's everything). */
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
 * Builds the caller's Access from their stored memberships and Group Administrator designations:
 * two index-served queries (memberships by user, administrators by user) and the cached default
 * group ids. The owner of a group holds its membership with the source 'owner' (see members.ts).
 */
export async function loadAccess(models: Models, caller: Caller): Promise<Access> {
  const { tenantId, userId } = caller;
  const [memberships, administrators, systemIds] = await Promise.all([
    repositoriesOf(models).memberships.ofUser(tenantId, userId),
    repositoriesOf(models).groupAdministrators.groupIdsOfUser(tenantId, userId),
    systemGroupIds(models, tenantId),
  ]);
  const memberOf = new Set(memberships.map((m) => m.groupId));
  const managerOf = new Set(memberships.filter((m) => m.role === 'manager' || m.sources.includes(OWNER_SOURCE)).map((m) => m.groupId));
  // A group administrator must be a member: a designation outliving the membership grants nothing.
  const administratorOf = new Set(administrators.map((a) => a.groupId).filter((g) => memberOf.has(g)));
  const adminsId = systemIds.get(ADMINS_GROUP);
  const customerAdminsId = systemIds.get(CUSTOMER_ADMINS_GROUP);
  const isAdmin = holdsAdminRole(caller) || (adminsId !== undefined && memberOf.has(adminsId));
  const isCustomerAdmin = caller.role === 'customer-admin' || (customerAdminsId !== undefined && memberOf.has(customerAdminsId));
  // Customer admins are scoped to their workspace: one more _id read, for them only.
  let workspace: string | null = null;
  if (isCustomerAdmin && !isAdmin) {
    const me = await repositoriesOf(models).users.findActiveAndCustom(tenantId, userId);
    workspace = me ? workspaceOf(me) : null;
  }
  return new Access(caller, isAdmin, isCustomerAdmin, memberOf, managerOf, administratorOf, systemIds, workspace);
}

/** The membership source that keeps a group's owner in it (owners cannot be removed). */
export const OWNER_SOURCE = 'owner';
