import { repositoriesOf } from '../../persistence/repositories';
import type { UserCriteria } from '../../persistence/users-repository';
import type { GroupsDeps } from './deps';
import type { GroupRecord } from './group-record';
import type { Access } from '../access/policy';

/** Past this many groups, one grouped count beats one count per group. */
const PER_GROUP_COUNT_LIMIT = 200;

/**
 * Members of a group, counted without loading them: stored memberships are counted on the
 * (tenantId, groupId, userId) index; the automatic default groups count the active users of their
 * audience (their membership is computed, never stored), within `within` (a workspace) when given.
 */
export async function memberCountOf(deps: GroupsDeps, g: GroupRecord, within: Pick<UserCriteria, 'workspace'> = {}): Promise<number> {
  if (g.automatic) {
    return repositoriesOf(deps.models).users.countMatching(g.tenantId, { audience: g.automatic === 'allCustomers' ? 'customer' : 'user', activeOnly: true, ...within });
  }
  return deps.memberships.countMembers(g.tenantId, g.id);
}

export async function memberCountsOf(deps: GroupsDeps, groups: readonly GroupRecord[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const stored = groups.filter((g) => !g.automatic);
  const automatic = groups.filter((g) => g.automatic);
  await Promise.all(automatic.map(async (g) => counts.set(g.id, await memberCountOf(deps, g))));
  if (stored.length <= PER_GROUP_COUNT_LIMIT) {
    await Promise.all(stored.map(async (g) => counts.set(g.id, await memberCountOf(deps, g))));
    return counts;
  }
  const tenantId = stored[0]!.tenantId;
  const rows = await deps.memberships.countsOfGroups(
    tenantId,
    stored.map((g) => g.id),
  );
  for (const g of stored) counts.set(g.id, 0);
  for (const r of rows) counts.set(r._id, r.n);
  return counts;
}

/**
 * The member count a caller is shown: every member, except for a caller confined to a workspace
 * (Access.confinedToWorkspace), who is shown the members of their workspace in the automatic groups
 * and no count (undefined) for stored memberships, which are not counted per workspace: no count
 * rather than one that counts other workspaces (issue 18 #11).
 */
export async function visibleMemberCountOf(deps: GroupsDeps, access: Access, g: GroupRecord): Promise<number | undefined> {
  if (!access.confinedToWorkspace) return memberCountOf(deps, g);
  return g.automatic ? memberCountOf(deps, g, { workspace: access.workspace }) : undefined;
}

export async function visibleMemberCountsOf(deps: GroupsDeps, access: Access, groups: readonly GroupRecord[]): Promise<Map<string, number | undefined>> {
  if (!access.confinedToWorkspace) return memberCountsOf(deps, groups);
  const counts = new Map<string, number | undefined>();
  await Promise.all(groups.map(async (g) => counts.set(g.id, await visibleMemberCountOf(deps, access, g))));
  return counts;
}
