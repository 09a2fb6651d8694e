import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';

/**
 * What a group keeps about a user besides the membership: its `ownerId` and a Group Administrator
 * designation. When the user leaves the group for good (deleted, or their audience no longer fits
 * the group), both go too, so no group names an owner who is not there and no designation waits
 * to come back with a later membership. Idempotent: running it again changes nothing.
 *
 * `groupIds` limits it to those groups; without it, every group of the tenant.
 * Returns the groups whose owner was cleared.
 */
export async function releaseUserFromGroups(models: Models, tenantId: string, userId: string, groupIds?: readonly string[]): Promise<string[]> {
  await repositoriesOf(models).groupAdministrators.deleteOfUser(tenantId, userId, groupIds);
  const groups = repositoriesOf(models).groups;
  const owned = await groups.ownedBy(tenantId, userId, groupIds);
  const cleared: string[] = [];
  for (const groupId of owned) {
    // Conditional on the owner still being this user: a concurrent owner change wins.
    if (await groups.clearOwnerIf(tenantId, groupId, userId)) cleared.push(groupId);
  }
  return cleared;
}
