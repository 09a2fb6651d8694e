import type { MembershipDoc, MembershipRole } from '../../persistence/models';
import type { UserCriteria, UserProfile } from '../../persistence/users-repository';
import { membershipId } from '../../persistence/memberships-repository';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';
import { accessEvents } from '../access-events';
import type { Access } from '../access/policy';
import { OWNER_SOURCE } from '../access/policy';
import { loadMemberUser, loadVisibleUser, loadVisibleUserByEmail } from '../access/user-visibility';
import { assertMayGrantMembership, assertMayRevokeAdminGrant } from '../access/admin-grant';
import { auditAdminChange, type GroupsDeps } from './deps';
import { membershipAccessState } from '../permissions/access-difference';
import { permissionEngine } from '../permissions/engine';
import type { GroupRecord } from './group-record';
import { assertAssignable, assertAudience, assertNotIdpGroup, visibleGroup } from './groups';
import { visibleMemberCountOf } from './member-counts';
import { AUTOMATIC_SOURCE } from './memberships-of-user';
import { userSummary } from './user-identity';

/**
 * Group members through the admin API (product doc 001 "Manage Members"). The admin API holds
 * memberships with the sources 'manual' (added here) and 'import' (CSV); removing a member removes
 * only those, so a membership the IdP ('scim'), a rule or the group's owner designation also holds
 * survives (DESIGN.md §2: removing one source never removes another's).
 */
import { IMPORT_SOURCE, MANUAL_SOURCE } from './membership-sources';
export { IMPORT_SOURCE, MANUAL_SOURCE };
/** The sources this API grants and may therefore take away. */
export const ADMIN_SOURCES = [MANUAL_SOURCE, IMPORT_SOURCE] as const;
export const MEMBER_ROLES: readonly MembershipRole[] = ['member', 'manager'];

/** The member to add, by `userId` or by `email` (product doc 001; the operation's schema takes exactly one), and their role. */
export type MemberAddInput = ({ userId: string; email?: undefined } | { email: string; userId?: undefined }) & { role?: MembershipRole | undefined };

/** Automatic and dynamic groups compute their members: nobody adds or removes them by hand. */
export function assertMembersEditable(g: GroupRecord): void {
  if (g.automatic) {
    throw new AppError(
      'conflict',
      'GROUP_AUTOMATIC_MEMBERS',
      `"${g.name}" contains every ${g.automatic === 'allCustomers' ? 'customer' : 'internal user'} automatically; its members cannot be changed by hand`,
      {
        details: { groupId: g.id },
      },
    );
  }
  if (g.kind === 'dynamic') {
    throw new AppError('conflict', 'GROUP_DYNAMIC_MEMBERS', `"${g.name}" is a dynamic group: its rule decides its members, which cannot be changed by hand`, {
      details: { groupId: g.id },
    });
  }
}

/** The group, visible to the caller and whose members the caller may change (404, then 403). */
export async function groupForMemberChange(deps: GroupsDeps, access: Access, groupId: string): Promise<GroupRecord> {
  const g = await visibleGroup(deps, access, groupId);
  access.assert(access.canManageMembers(g), `manage the members of "${g.name}"`);
  return g;
}

async function membershipOf(deps: GroupsDeps, tenantId: string, groupId: string, userId: string): Promise<MembershipDoc | null> {
  return deps.memberships.find(tenantId, groupId, userId);
}

function memberView(m: { userId: string; role: MembershipRole; sources: string[] }, user?: UserProfile) {
  return { userId: m.userId, role: m.role, sources: m.sources, user: user ? userSummary(user) : null };
}

export async function addMember(deps: GroupsDeps, access: Access, groupId: string, input: MemberAddInput) {
  const { role } = input;
  const g = await groupForMemberChange(deps, access, groupId);
  assertNotIdpGroup(g);
  assertMembersEditable(g);
  assertAssignable(g);
  // Visibility first: a user the caller cannot see answers 404 whatever the group.
  const user = input.userId !== undefined ? await loadVisibleUser(deps.models, access, input.userId) : await loadVisibleUserByEmail(deps.models, access, input.email);
  const userId = user._id;
  assertAudience(g, user);
  await assertMayGrantMembership(deps.models, access, g, `add members to "${g.name}"`);
  const { tenantId } = access;
  const existing = await membershipOf(deps, tenantId, groupId, userId);
  if (existing?.sources.includes(MANUAL_SOURCE)) {
    throw new AppError('conflict', 'MEMBERSHIP_EXISTS', `User ${userId} is already a member of "${g.name}"`, { details: { groupId, userId, sources: existing.sources } });
  }
  await deps.memberships.addSource(tenantId, groupId, [userId], MANUAL_SOURCE, role ?? 'member');
  // A membership another source holds keeps its role unless this request names one.
  if (existing && role && existing.role !== role) {
    await deps.memberships.setRole(tenantId, membershipId(groupId, userId), role);
  }
  const after = await membershipOf(deps, tenantId, groupId, userId);
  if (!after) throw new AppError('conflict', 'MEMBERSHIP_CHANGED_CONCURRENTLY', 'The membership changed while it was added; retry');
  await auditAdminChange(
    deps,
    access.caller,
    'group.member.added',
    { type: 'Group', id: groupId },
    {
      before: existing ? { userId, role: existing.role, sources: existing.sources } : undefined,
      after: { userId, role: after.role, sources: after.sources },
      state: existing ? undefined : await membershipAccessState(permissionEngine(deps.models), tenantId, new Map([[userId, { joined: [{ groupId, source: MANUAL_SOURCE }], left: [] }]])),
    },
  );
  accessEvents.emit({ tenantId, kind: 'membership', groupId, userId });
  return memberView(after, user);
}

/**
 * Removes what the admin API granted ('manual' and 'import', or the one `source` names). The
 * owner cannot be removed; a membership held only by other sources is refused with the sources
 * that hold it. Ending a membership also ends a Group Administrator designation on the group.
 */
export async function removeMember(deps: GroupsDeps, access: Access, groupId: string, userId: string, source?: (typeof ADMIN_SOURCES)[number]) {
  const g = await groupForMemberChange(deps, access, groupId);
  assertMembersEditable(g);
  // A user outside the caller's view answers as unknown, whatever the group (issue 18 #3).
  const user = await loadMemberUser(deps.models, access, userId);
  await assertMayRevokeAdminGrant(deps.models, access, g, `remove members from "${g.name}"`);
  const { tenantId } = access;
  const existing = await membershipOf(deps, tenantId, groupId, userId);
  if (g.ownerId === userId || existing?.sources.includes(OWNER_SOURCE)) {
    throw new AppError('conflict', 'GROUP_OWNER_NOT_REMOVABLE', `User ${userId} owns "${g.name}" and cannot be removed from it; change the owner first`, { details: { groupId, userId } });
  }
  if (!existing) throw new AppError('notFound', 'MEMBERSHIP_NOT_FOUND', `User ${userId} is not a member of "${g.name}"`, { details: { groupId, userId } });
  const toRemove = existing.sources.filter((s) => (source ? s === source : (ADMIN_SOURCES as readonly string[]).includes(s)));
  if (toRemove.length === 0) {
    throw new AppError(
      'conflict',
      'MEMBERSHIP_NOT_ADMIN_MANAGED',
      `The membership of ${userId} in "${g.name}" is held by ${existing.sources.join(', ')}, not by the admin API; change it at its source`,
      {
        details: { groupId, userId, sources: existing.sources },
      },
    );
  }
  let ended = false;
  for (const s of toRemove) ended = (await deps.memberships.removeSource(tenantId, groupId, [userId], s)).length > 0 || ended;
  if (ended) await repositoriesOf(deps.models).groupAdministrators.delete(tenantId, groupId, userId);
  const remaining = existing.sources.filter((s) => !toRemove.includes(s));
  await auditAdminChange(
    deps,
    access.caller,
    'group.member.removed',
    { type: 'Group', id: groupId },
    {
      before: { userId, role: existing.role, sources: existing.sources },
      after: ended ? undefined : { userId, role: existing.role, sources: remaining },
      state: ended ? await membershipAccessState(permissionEngine(deps.models), tenantId, new Map([[userId, { joined: [], left: [groupId] }]])) : undefined,
    },
  );
  accessEvents.emit({ tenantId, kind: 'membership', groupId, userId });
  // The Member shape POST and PATCH answer too, as it stands now (sources [] once it ended), plus what went.
  return { ...memberView({ userId, role: existing.role, sources: ended ? [] : remaining }, user), removedSources: toRemove, membershipEnded: ended };
}

export async function changeMemberRole(deps: GroupsDeps, access: Access, groupId: string, userId: string, role: MembershipRole) {
  const g = await groupForMemberChange(deps, access, groupId);
  assertNotIdpGroup(g);
  // A user outside the caller's view answers as unknown, whatever the group (issue 18 #3).
  const user = await loadMemberUser(deps.models, access, userId);
  const { tenantId } = access;
  const existing = await membershipOf(deps, tenantId, groupId, userId);
  if (!existing) throw new AppError('notFound', 'MEMBERSHIP_NOT_FOUND', `User ${userId} is not a member of "${g.name}"`, { details: { groupId, userId } });
  if (existing.role === role) return memberView(existing, user);
  await deps.memberships.setRole(tenantId, existing._id, role);
  await auditAdminChange(
    deps,
    access.caller,
    'group.member.role_changed',
    { type: 'Group', id: groupId },
    {
      before: { userId, role: existing.role },
      after: { userId, role },
    },
  );
  accessEvents.emit({ tenantId, kind: 'membership', groupId, userId });
  return memberView({ ...existing, role }, user);
}

/**
 * A page of members ordered by user id, continued with `cursor` (the last user id returned).
 * Stored memberships page on the (tenantId, groupId, userId) index; the automatic groups page
 * over the users of their audience. A caller confined to a workspace (Access.confinedToWorkspace)
 * sees the members of their workspace only: the page is filled with those, reading on in batches
 * past the hidden ones, so neither the items nor the cursor (always a shown member) nor the total
 * tells anything about another workspace (issue 18 #11).
 */
export async function listMembers(deps: GroupsDeps, access: Access, groupId: string, query: { cursor?: string | undefined; limit?: number | undefined }) {
  const g = await visibleGroup(deps, access, groupId);
  const limit = query.limit ?? 50;
  const { tenantId } = access;
  const scoped = access.confinedToWorkspace;
  let rows: { userId: string; role: MembershipRole; sources: string[] }[];
  let users: UserProfile[];
  if (g.automatic) {
    const criteria: UserCriteria = {
      audience: g.automatic === 'allCustomers' ? 'customer' : 'user',
      activeOnly: true,
      ...(scoped ? { workspace: access.workspace } : {}),
      ...(query.cursor ? { after: query.cursor } : {}),
    };
    users = await repositoriesOf(deps.models).users.pageMatching(tenantId, criteria, limit + 1);
    rows = users.map((u) => ({ userId: u._id, role: 'member', sources: [AUTOMATIC_SOURCE] }));
  } else {
    ({ rows, users } = await storedMembersPage(deps, access, groupId, query.cursor || undefined, limit, scoped));
  }
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  const byId = new Map(users.map((u) => [u._id, u]));
  // Stored memberships are not counted per workspace: a scoped page says no total rather than a wrong one.
  const total = (await visibleMemberCountOf(deps, access, g)) ?? null;
  return {
    items: page.map((r) => memberView(r, byId.get(r.userId))),
    total,
    nextCursor: more ? page[page.length - 1]!.userId : null,
  };
}

/** Up to limit + 1 stored members the caller may see (all of them unless `scoped`), from `after` on. */
async function storedMembersPage(deps: GroupsDeps, access: Access, groupId: string, after: string | undefined, limit: number, scoped: boolean) {
  const { tenantId } = access;
  const rows: { userId: string; role: MembershipRole; sources: string[] }[] = [];
  const users: UserProfile[] = [];
  const batch = scoped ? Math.max(limit + 1, 200) : limit + 1;
  for (;;) {
    const docs = await deps.memberships.pageOfGroup(tenantId, groupId, after, batch);
    const ids = docs.map((m) => m.userId);
    const profiles = ids.length ? await repositoriesOf(deps.models).users.profilesMatching(tenantId, { ids }) : [];
    const byId = new Map(profiles.map((u) => [u._id, u]));
    for (const m of docs) {
      const u = byId.get(m.userId);
      if (scoped && (u === undefined || !access.withinWorkspace(u))) continue;
      rows.push({ userId: m.userId, role: m.role, sources: m.sources });
      if (u) users.push(u);
      if (rows.length > limit) return { rows, users };
    }
    if (docs.length < batch) return { rows, users };
    after = docs[docs.length - 1]!.userId;
  }
}
