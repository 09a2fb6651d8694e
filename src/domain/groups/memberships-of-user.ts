import type { MembershipDoc, MembershipRole, Models, UserDoc } from '../../persistence/models';
import { systemGroupIds } from './group-record';
import { audienceOf, isActive } from './user-identity';

/** Source name reported for the computed memberships of the automatic default groups. */
export const AUTOMATIC_SOURCE = 'automatic';

export interface UserGroupMembership {
  groupId: string;
  role: MembershipRole;
  sources: string[];
}

/** Which automatic default group holds every user of an audience (design §2). */
export const AUTOMATIC_GROUP_KEY = { user: 'platform-users', customer: 'customers' } as const;

/**
 * Every group a user belongs to: their stored memberships (any source) plus, while the user is
 * active, the automatic default group of their audience (Platform Users or Customers), whose
 * membership is computed from the user and never stored. One memberships query, one user read.
 */
export async function groupsOfUser(models: Models, tenantId: string, userId: string): Promise<UserGroupMembership[]> {
  const [stored, user] = await Promise.all([
    models.Membership.collection.find({ tenantId, userId } as never, { projection: { groupId: 1, role: 1, sources: 1 } }).toArray() as unknown as Promise<MembershipDoc[]>,
    models.User.collection.findOne({ _id: userId, tenantId } as never, { projection: { attrs: 1 } }) as Promise<UserDoc | null>,
  ]);
  const out: UserGroupMembership[] = stored.map((m) => ({ groupId: m.groupId, role: m.role, sources: m.sources }));
  if (user && isActive(user)) {
    const automaticId = (await systemGroupIds(models, tenantId)).get(AUTOMATIC_GROUP_KEY[audienceOf(user)]);
    if (automaticId && !out.some((m) => m.groupId === automaticId)) out.push({ groupId: automaticId, role: 'member', sources: [AUTOMATIC_SOURCE] });
  }
  return out;
}
