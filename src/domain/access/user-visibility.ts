import type { Models, UserDoc } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import type { UserCriteria, UserProfile } from '../../persistence/users-repository';
import { AppError } from '../../errors/app-error';
import { queryTerms } from '../../attributes/search-terms';
import { userSummary } from '../groups/user-identity';
import { groupsOfUser } from '../groups/memberships-of-user';
import { explainMemberships } from '../groups/membership-explanation';
import type { Access } from './policy';
import { ensurePeopleIndexed } from '../people/search-terms-backfill';
import { createLogger } from '../../observability/logger';

const peopleLog = createLogger('info', { component: 'people-search' });

/**
 * Which users the caller may see (product doc 004): admins see everyone; customer admins see the
 * customers of their workspace; owners, managers and Group Administrators see the users of the
 * groups they supervise, and a Group Administrator sees no user outside their groups. A customer
 * (customer admins included) sees no user outside their own workspace, whatever group holds them
 * (Access.withinWorkspace). Anyone else sees no directory.
 */
export async function canSeeUser(models: Models, access: Access, user: Pick<UserDoc, '_id' | 'attrs'>): Promise<boolean> {
  if (access.isAdmin || user._id === access.caller.userId) return true;
  if (!access.withinWorkspace(user)) return false;
  if (access.managesCustomer(user)) return true;
  const supervised = access.supervisedGroups;
  if (supervised.length === 0) return false;
  return repositoriesOf(models).memberships.inAnyOf(access.tenantId, user._id, supervised);
}

/** Users of the supervised groups: the scope a non-admin's directory is limited to. */
async function supervisedUserIds(models: Models, access: Access): Promise<string[]> {
  const supervised = access.supervisedGroups;
  if (supervised.length === 0) return [];
  const docs = await repositoriesOf(models).memberships.memberRowsOfGroups(access.tenantId, supervised);
  return [...new Set(docs.map((d) => d.userId))];
}

/** The directory's filters and page (validated by the operation's schema: src/admin/routes/users.ts). */
export interface UserListQuery {
  q?: string | undefined;
  search?: string | undefined;
  audience?: 'user' | 'customer' | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

/**
 * The user directory, scoped by canSeeUser's rule, ordered by id and continued with `cursor`.
 * `q` matches the start of the userName, an e-mail address or the display name (case-insensitive,
 * served by the lower-cased shadows). `search` is the console's people search: every word must be
 * a whole word or value of the user's attributes (any attribute: name, e-mail, userName,
 * externalId, enterprise and custom values), served by the (tenantId, lc.terms, _id) index.
 */
export async function listUsers(models: Models, access: Access, query: UserListQuery) {
  const limit = query.limit ?? 50;
  const criteria: UserCriteria = {};
  if (!access.isAdmin) {
    const fence: UserCriteria = access.confinedToWorkspace ? { audience: 'customer', workspace: access.workspace } : {};
    const scope: UserCriteria[] = [{ ids: await supervisedUserIds(models, access), ...fence }];
    if (access.isCustomerAdmin) scope.push({ audience: 'customer', workspace: access.workspace });
    else if (access.supervisedGroups.length === 0) {
      throw new AppError('forbidden', 'FORBIDDEN', 'You are not allowed to list users: you supervise no group');
    }
    criteria.anyOf = scope;
  }
  if (query.q) criteria.prefix = query.q;
  if (query.search) {
    const terms = queryTerms(query.search);
    if (terms.length > 0) criteria.terms = terms;
  }
  if (query.audience !== undefined) criteria.audience = query.audience;
  if (query.cursor) criteria.after = query.cursor;
  // Users stored before people search are caught up lazily, on the tenant's first search.
  const indexing = criteria.terms !== undefined && !(await ensurePeopleIndexed(models, access.tenantId, peopleLog));
  const docs = await repositoriesOf(models).users.pageMatching(access.tenantId, criteria, limit + 1);
  const page = docs.slice(0, limit);
  return { items: page.map(userSummary), nextCursor: docs.length > limit ? page[page.length - 1]!._id : null, ...(indexing ? { indexing: true } : {}) };
}

export function userNotFound(userId: string, field?: string): AppError {
  return new AppError('notFound', 'USER_NOT_FOUND', `User ${userId} not found`, { details: { userId, ...(field ? { field } : {}) } });
}

/**
 * The user an admin request names, if the caller may see them; otherwise 404 exactly as for a user
 * that does not exist, so no write (a member, an owner, an invitation) reveals or reaches a user
 * outside the caller's view. The one rule for every path that names a user.
 */
export async function loadVisibleUser(models: Models, access: Access, userId: string, field?: string): Promise<UserProfile> {
  const user = await repositoriesOf(models).users.findProfile(access.tenantId, userId);
  if (!user || !(await canSeeUser(models, access, user))) throw userNotFound(userId, field);
  return user;
}

/**
 * The user an existing membership names, for a change to that membership: as loadVisibleUser (404
 * outside the caller's view), except that an admin may also reach a membership whose user is gone
 * (undefined), to clean it up.
 */
export async function loadMemberUser(models: Models, access: Access, userId: string): Promise<UserProfile | undefined> {
  if (access.isAdmin) return (await repositoriesOf(models).users.findProfile(access.tenantId, userId)) ?? undefined;
  return loadVisibleUser(models, access, userId);
}

/**
 * The one user with this e-mail address that the caller may see (product doc 001: "Search by email
 * or name"), served by the (tenantId, lc.emails) index. Users outside the caller's view are not
 * counted, so an address answers 404 exactly as an unknown one; an address that several visible
 * users share is ambiguous (409, with their ids: the caller can see them).
 */
export async function loadVisibleUserByEmail(models: Models, access: Access, email: string): Promise<UserProfile> {
  const users = await repositoriesOf(models).users.pageMatching(access.tenantId, { emailsAnyOf: [email.toLowerCase()] }, 20);
  const visible: UserProfile[] = [];
  for (const u of users) if (await canSeeUser(models, access, u)) visible.push(u);
  if (visible.length === 0) throw new AppError('notFound', 'USER_NOT_FOUND', `No user with the e-mail address ${email}`, { details: { email, field: 'email' } });
  if (visible.length > 1) {
    throw new AppError('conflict', 'USER_EMAIL_AMBIGUOUS', `Several users have the e-mail address ${email}; add one of them by id`, { details: { email, userIds: visible.map((u) => u._id) } });
  }
  return visible[0]!;
}

/** One user with the groups the caller may see them in; 404 when the user is outside the caller's view. */
export async function getUser(models: Models, access: Access, userId: string) {
  const user = await loadVisibleUser(models, access, userId);
  const groups = await groupsOfUser(models, access.tenantId, userId);
  const visible = access.isAdmin ? groups : groups.filter((m) => access.memberOf.has(m.groupId) || access.supervisedGroups.includes(m.groupId));
  return { ...userSummary(user), groups: await explainMemberships(models, access.tenantId, visible) };
}
