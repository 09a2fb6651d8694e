import type { GroupAdministratorDoc } from '../../persistence/models';
import { membershipId } from '../../persistence/memberships-repository';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';
import { accessEvents } from '../access-events';
import type { Access } from '../access/policy';
import { auditAdminChange, type GroupsDeps } from './deps';
import type { GroupRecord } from './group-record';
import { visibleGroup } from './groups';
import { loadMemberUser, loadVisibleUser } from '../access/user-visibility';
import { userSummary } from './user-identity';

/**
 * Group Administrators (product doc 004): members of a group designated to manage its users and
 * projects, who see nothing outside the groups they administer. Designated by admins and (for
 * customer groups) customer admins. Default groups take no administrators: Admins would make the
 * designation an admin grant, and the automatic groups hold everyone.
 */
function assertDesignatable(g: GroupRecord): void {
  if (g.origin !== 'internal') throw new AppError('conflict', 'GROUP_READ_ONLY', 'Identity-provider groups take no Group Administrators');
  if (g.system !== undefined) {
    throw new AppError('conflict', 'GROUP_ADMINISTRATOR_DEFAULT_GROUP', `"${g.name}" is a default group: Group Administrators are designated on custom groups only`);
  }
}

export async function listAdministrators(deps: GroupsDeps, access: Access, groupId: string) {
  const g = await visibleGroup(deps, access, groupId);
  const docs = await repositoriesOf(deps.models).groupAdministrators.ofGroup(access.tenantId, g.id);
  const users = docs.length ? await repositoriesOf(deps.models).users.profilesMatching(access.tenantId, { ids: docs.map((d) => d.userId) }) : [];
  const byId = new Map(users.map((u) => [u._id, u]));
  // A caller confined to a workspace sees the administrators of their workspace only.
  const shown = access.confinedToWorkspace
    ? docs.filter((d) => {
        const u = byId.get(d.userId);
        return u !== undefined && access.withinWorkspace(u);
      })
    : docs;
  return {
    items: shown.map((d) => {
      const u = byId.get(d.userId);
      return { userId: d.userId, user: u ? userSummary(u) : null, createdAt: d.createdAt.toISOString() };
    }),
  };
}

export async function addAdministrator(deps: GroupsDeps, access: Access, groupId: string, userId: string) {
  const g = await visibleGroup(deps, access, groupId);
  access.assert(access.canManageAdministrators(g), `designate Group Administrators of "${g.name}"`);
  assertDesignatable(g);
  // A user outside the caller's view answers as unknown (a customer admin names their workspace's customers only).
  await loadVisibleUser(deps.models, access, userId, 'userId');
  const { tenantId } = access;
  if (!(await deps.memberships.exists(tenantId, groupId, userId))) {
    throw new AppError('conflict', 'ADMINISTRATOR_NOT_MEMBER', `User ${userId} is not a member of "${g.name}": add them as a member first`, { details: { groupId, userId } });
  }
  const doc: GroupAdministratorDoc = { _id: membershipId(groupId, userId), tenantId, groupId, userId, createdAt: new Date() };
  if (!(await repositoriesOf(deps.models).groupAdministrators.insert(doc))) {
    throw new AppError('conflict', 'ADMINISTRATOR_EXISTS', `User ${userId} administers "${g.name}" already`, { details: { groupId, userId } });
  }
  await auditAdminChange(deps, access.caller, 'group.administrator.added', { type: 'Group', id: groupId }, { after: { userId } });
  accessEvents.emit({ tenantId, kind: 'membership', groupId, userId });
  return { userId, createdAt: doc.createdAt.toISOString() };
}

export async function removeAdministrator(deps: GroupsDeps, access: Access, groupId: string, userId: string) {
  const g = await visibleGroup(deps, access, groupId);
  access.assert(access.canManageAdministrators(g), `remove Group Administrators of "${g.name}"`);
  await loadMemberUser(deps.models, access, userId);
  const { tenantId } = access;
  if (!(await repositoriesOf(deps.models).groupAdministrators.delete(tenantId, groupId, userId))) {
    throw new AppError('notFound', 'ADMINISTRATOR_NOT_FOUND', `User ${userId} does not administer "${g.name}"`, { details: { groupId, userId } });
  }
  await auditAdminChange(deps, access.caller, 'group.administrator.removed', { type: 'Group', id: groupId }, { before: { userId } });
  accessEvents.emit({ tenantId, kind: 'membership', groupId, userId });
}
