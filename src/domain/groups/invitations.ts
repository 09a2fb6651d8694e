import type { InvitationDoc, MembershipRole, Models } from '../../persistence/models';
import type { UserProfile } from '../../persistence/users-repository';
import type { InvitationListCriteria } from '../../persistence/invitations-repository';
import type { MembershipsRepository } from '../../persistence/memberships-repository';
import { newId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';
import { recordAudit } from '../audit';
import { Batcher, perTenant } from '../batcher';
import { markTenantUses } from '../tenants';
import { membershipAccessState } from '../permissions/access-difference';
import { permissionEngine } from '../permissions/engine';
import { accessEvents } from '../access-events';
import { loadAccess, type Access } from '../access/policy';
import { canSeeUser } from '../access/user-visibility';
import { adminGrantOf, assertMayGrantMembership } from '../access/admin-grant';
import { auditAdminChange, type GroupsDeps } from './deps';
import { readGroup, type GroupRecord } from './group-record';
import { assertAssignable, assertAudience, visibleGroup } from './groups';
import { assertMembersEditable, MANUAL_SOURCE } from './members';
import { audienceOf, emailsOf } from './user-identity';

/**
 * Invitations (product docs 000 and 004): an admin, a customer admin (customer groups) or a Group
 * Administrator (their groups) invites an e-mail address into groups. When a user with that address
 * is provisioned (SCIM POST /Users or the admin API), the pending memberships are applied with the
 * source 'manual' (an admin's decision, removable through the admin API). Inviting the address of
 * an existing user applies the invitation at once.
 */
export const INVITATION_MAX_GROUPS = 50;

function invitationView(doc: InvitationDoc & { result?: unknown; revokedAt?: Date }) {
  return {
    id: doc._id,
    email: doc.email,
    groupIds: doc.groupIds,
    role: doc.role,
    status: doc.status,
    invitedBy: doc.invitedBy,
    userId: doc.userId ?? null,
    result: doc.result ?? null,
    createdAt: doc.createdAt.toISOString(),
    acceptedAt: doc.acceptedAt ? doc.acceptedAt.toISOString() : null,
    revokedAt: doc.revokedAt ? doc.revokedAt.toISOString() : null,
  };
}

function assertInvitable(g: GroupRecord): void {
  if (g.origin !== 'internal') throw new AppError('conflict', 'GROUP_READ_ONLY', `Group ${g.id} is provisioned by the identity provider; invite into internal groups`);
  assertMembersEditable(g);
  assertAssignable(g);
}

/** An invitation to make (validated by the operation's schema: an e-mail address, 1 to INVITATION_MAX_GROUPS distinct group ids). */
export interface InvitationInput {
  email: string;
  groupIds: string[];
  role?: MembershipRole | undefined;
}

export async function createInvitation(deps: GroupsDeps, access: Access, input: InvitationInput) {
  const { email, groupIds } = input;
  const role = input.role ?? 'member';
  for (const groupId of groupIds) {
    const g = await visibleGroup(deps, access, groupId);
    access.assert(access.canInviteInto(g), `invite users into "${g.name}"`);
    assertInvitable(g);
    await assertMayGrantMembership(deps.models, access, g, `invite users into "${g.name}"`);
  }
  const { tenantId } = access;
  const emailLower = email.toLowerCase();
  const found = await repositoriesOf(deps.models).users.findProfileByEmail(tenantId, emailLower);
  // An existing user the caller cannot see is neither revealed nor pulled in: the invitation stays
  // pending, answered exactly as for an address no user has yet (an admin can add them).
  const existingUser = found && (await canSeeUser(deps.models, access, found)) ? found : null;
  if (existingUser) {
    for (const groupId of groupIds) assertAudience(await visibleGroup(deps, access, groupId), existingUser);
  }
  const doc: InvitationDoc = {
    _id: newId('inv'),
    tenantId,
    email,
    emailLower,
    groupIds,
    role,
    invitedBy: access.caller.userId,
    byAdmin: access.isAdmin,
    inviterRole: access.caller.role,
    inviterKind: access.caller.kind ?? 'user',
    status: 'pending',
    createdAt: new Date(),
  };
  await markTenantUses(deps.models, tenantId, 'invitations');
  await repositoriesOf(deps.models).invitations.insert(doc);
  await auditAdminChange(deps, access.caller, 'invitation.created', { type: 'Invitation', id: doc._id }, { after: { email, groupIds, role } });
  if (existingUser) await applyPendingInvitations(deps.models, deps.memberships, tenantId, existingUser);
  const stored = await repositoriesOf(deps.models).invitations.findOfTenant(tenantId, doc._id);
  return invitationView(stored ?? doc);
}

export async function listInvitations(
  deps: GroupsDeps,
  access: Access,
  query: { status?: InvitationDoc['status'] | undefined; email?: string | undefined; cursor?: string | undefined; limit?: number | undefined },
) {
  const limit = query.limit ?? 50;
  const criteria: InvitationListCriteria = {};
  // Admins see every invitation; anyone else the ones they sent.
  if (!access.isAdmin) criteria.invitedBy = access.caller.userId;
  if (query.status !== undefined) criteria.status = query.status;
  if (query.email) criteria.emailLower = query.email.toLowerCase();
  if (query.cursor) criteria.afterId = query.cursor;
  // One more than a page, to know whether another page follows.
  const docs = await repositoriesOf(deps.models).invitations.page(access.tenantId, criteria, limit + 1);
  const page = docs.slice(0, limit);
  return { items: page.map(invitationView), nextCursor: docs.length > limit ? page[page.length - 1]!._id : null };
}

async function loadInvitation(deps: GroupsDeps, access: Access, id: string): Promise<InvitationDoc> {
  const doc = await repositoriesOf(deps.models).invitations.findOfTenant(access.tenantId, id);
  if (!doc || (!access.isAdmin && doc.invitedBy !== access.caller.userId)) {
    throw new AppError('notFound', 'INVITATION_NOT_FOUND', `Invitation ${id} not found`, { details: { invitationId: id } });
  }
  return doc;
}

export async function getInvitation(deps: GroupsDeps, access: Access, id: string) {
  return invitationView(await loadInvitation(deps, access, id));
}

export async function revokeInvitation(deps: GroupsDeps, access: Access, id: string) {
  const before = await loadInvitation(deps, access, id);
  const revokedAt = new Date();
  const res = await repositoriesOf(deps.models).invitations.revokeIfPending(access.tenantId, id, revokedAt, access.caller.userId);
  if (!res) throw new AppError('conflict', 'INVITATION_NOT_PENDING', `Invitation ${id} is ${before.status}; only pending invitations can be revoked`, { details: { status: before.status } });
  await auditAdminChange(deps, access.caller, 'invitation.revoked', { type: 'Invitation', id }, { before: { status: before.status }, after: { status: 'revoked' } });
  return invitationView(res);
}

interface ApplyResult {
  groupId: string;
  outcome: 'added' | 'skipped';
  role?: MembershipRole;
  reason?: string;
}

/**
 * The inviter's rights now (Access from current state), or null for an invitation stored before the
 * inviter's role was kept, which is judged by `byAdmin` alone as it was then (issue 18 #9).
 */
async function inviterAccessOf(models: Models, tenantId: string, inv: InvitationDoc): Promise<Access | null> {
  if (inv.inviterKind === undefined && inv.byAdmin === true) return null;
  return loadAccess(models, { tenantId, userId: inv.invitedBy, role: inv.inviterRole ?? 'member', kind: inv.inviterKind ?? 'user' });
}

/** Why the inviter may no longer add `user` to `g`, or null: the policy, asked as if they added them now. */
function inviterRefusal(inviter: Access, g: GroupRecord, user: UserProfile): string | null {
  if (!inviter.canInviteInto(g)) return `the inviter (${inviter.caller.userId}) may no longer invite into "${g.name}"`;
  if (!inviter.withinWorkspace(user)) return `the inviter (${inviter.caller.userId}) may not add this user`;
  return null;
}

async function applyToGroup(
  models: Models,
  memberships: MembershipsRepository,
  tenantId: string,
  user: UserProfile,
  inv: InvitationDoc,
  groupId: string,
  inviter: Access | null,
): Promise<ApplyResult> {
  const role = inv.role;
  const doc = await repositoriesOf(models).groups.find(tenantId, groupId);
  if (!doc) return { groupId, outcome: 'skipped', reason: 'group no longer exists' };
  const g = readGroup(doc);
  try {
    assertInvitable(g);
    assertAudience(g, user);
  } catch (err) {
    return { groupId, outcome: 'skipped', reason: (err as Error).message };
  }
  // The inviter's rights are those they hold now: a designation removed or a user deleted since
  // the invitation was sent takes the invitation's power with it.
  const refusal = inviter ? inviterRefusal(inviter, g, user) : null;
  if (refusal) return { groupId, outcome: 'skipped', reason: refusal };
  // The group may have become admin-granting since a non-admin invited into it (an invitation
  // stored before `byAdmin` existed reads as a non-admin's: the safe reading).
  if (!(inviter ? inviter.isAdmin : inv.byAdmin === true) && (await adminGrantOf(models, tenantId, groupId))) {
    return { groupId, outcome: 'skipped', reason: 'the group now grants admin access, and only an admin can invite into it' };
  }
  // Reports what happened: a user already in the group keeps their membership and role as they are.
  const created = await memberships.createIfAbsent(tenantId, groupId, [user._id], MANUAL_SOURCE, role);
  if (created.length === 0) {
    const existing = await memberships.roleIn(tenantId, groupId, user._id);
    return { groupId, outcome: 'skipped', reason: `already a member${existing?.role ? ` (role ${existing.role})` : ''}` };
  }
  accessEvents.emit({ tenantId, kind: 'membership', groupId, userId: user._id });
  return { groupId, outcome: 'added', role };
}

const pendingReaders = new WeakMap<Models, Batcher<{ tenantId: string; emails: readonly string[] }, InvitationDoc[]>>();

/**
 * The pending invitations addressed to one of these (lower-cased) addresses, oldest first. Every
 * provisioned user asks, so concurrent creates share one read per tenant (Batcher: a flush starts
 * after every question it answers, so an invitation stored before a user's write is seen).
 */
function pendingInvitationsFor(models: Models, tenantId: string, emails: readonly string[]): Promise<InvitationDoc[]> {
  let reader = pendingReaders.get(models);
  if (!reader) {
    const invitations = repositoriesOf(models).invitations;
    reader = new Batcher(
      perTenant(async (tenantId, keys: { tenantId: string; emails: readonly string[] }[]) => {
        const pending = await invitations.pendingFor(tenantId, [...new Set(keys.flatMap((k) => k.emails))]);
        return keys.map((k) => pending.filter((inv) => k.emails.includes(inv.emailLower)).sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0)));
      }),
    );
    pendingReaders.set(models, reader);
  }
  return reader.one({ tenantId, emails });
}

/**
 * Applies every pending invitation addressed to one of the user's e-mail addresses. Called once a
 * user is provisioned. Each invitation is claimed (pending → accepted) in one conditional write,
 * so it is applied for one user only; a failure puts it back to pending. Never throws: provisioning
 * the user must not fail because an invitation could not be applied (failures are returned).
 */
export async function applyPendingInvitations(models: Models, memberships: MembershipsRepository, tenantId: string, user: UserProfile): Promise<{ applied: string[]; failed: string[] }> {
  const applied: string[] = [];
  const failed: string[] = [];
  const emails = emailsOf(user);
  if (emails.length === 0) return { applied, failed };
  let pending: InvitationDoc[];
  try {
    pending = await pendingInvitationsFor(models, tenantId, emails);
  } catch {
    return { applied, failed };
  }
  for (const inv of pending) {
    const claimed = await repositoriesOf(models)
      .invitations.acceptIfPending(tenantId, inv._id, user._id)
      .catch(() => null);
    if (!claimed) continue;
    try {
      const results: ApplyResult[] = [];
      const inviter = await inviterAccessOf(models, tenantId, inv);
      for (const groupId of inv.groupIds) results.push(await applyToGroup(models, memberships, tenantId, user, inv, groupId, inviter));
      await repositoriesOf(models).invitations.setResult(tenantId, inv._id, results);
      await recordAudit(models, {
        tenantId,
        actor: { type: 'system', id: 'invitations' },
        action: 'invitation.accepted',
        object: { type: 'Invitation', id: inv._id },
        before: { status: 'pending' },
        after: { status: 'accepted', userId: user._id, audience: audienceOf(user), groups: results },
        state: await membershipAccessState(
          permissionEngine(models),
          tenantId,
          new Map([[user._id, { joined: results.filter((r) => r.outcome === 'added').map((r) => ({ groupId: r.groupId, source: MANUAL_SOURCE })), left: [] }]]),
        ),
      });
      applied.push(inv._id);
    } catch {
      await repositoriesOf(models)
        .invitations.reopen(tenantId, inv._id)
        .catch(() => undefined);
      failed.push(inv._id);
    }
  }
  return { applied, failed };
}
