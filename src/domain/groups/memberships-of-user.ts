import type { MembershipRole, Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { systemGroupIds } from './group-record';
import { audienceOf, isActive, type Audience } from './user-identity';
import { automaticGroupKeys } from '../default-groups';

/** Source name reported for the computed memberships of the automatic default groups. */
export const AUTOMATIC_SOURCE = 'automatic';

export interface UserGroupMembership {
  groupId: string;
  role: MembershipRole;
  sources: string[];
}

/** The ids of the automatic default groups that hold every active user of `audience` (design §2). */
export function automaticGroupIds(systemIds: ReadonlyMap<string, string>, audience: Audience): string[] {
  return automaticGroupKeys(audience).flatMap((key) => {
    const id = systemIds.get(key);
    return id ? [id] : [];
  });
}

/**
 * Every group a user belongs to: their stored memberships (any source) plus, while the user is
 * active, the automatic default groups of their audience (All Users and Platform Users, or
 * Customers), whose membership is computed from the user and never stored. One memberships query, one user read.
 */
export async function groupsOfUser(models: Models, tenantId: string, userId: string): Promise<UserGroupMembership[]> {
  const [stored, user] = await Promise.all([repositoriesOf(models).memberships.ofUser(tenantId, userId), repositoriesOf(models).users.findProfile(tenantId, userId)]);
  const out: UserGroupMembership[] = stored.map((m) => ({ groupId: m.groupId, role: m.role, sources: m.sources }));
  if (user && isActive(user)) {
    for (const automaticId of automaticGroupIds(await systemGroupIds(models, tenantId), audienceOf(user))) {
      if (!out.some((m) => m.groupId === automaticId)) out.push({ groupId: automaticId, role: 'member', sources: [AUTOMATIC_SOURCE] });
    }
  }
  return out;
}
