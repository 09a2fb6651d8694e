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
  const owned = (await models.Group.collection
    .find({ tenantId, ownerId: userId, ...(groupIds === undefined ? {} : { _id: { $in: [...groupIds] } }) } as never, { projection: { _id: 1 } })
    .toArray()) as unknown as { _id: string }[];
  const cleared: string[] = [];
  for (const { _id } of owned) {
    // Conditional on the owner still being this user: a concurrent owner change wins.
    const res = await models.Group.collection.updateOne(
      { _id, tenantId, ownerId: userId } as never,
      { $unset: { ownerId: '' }, $inc: { version: 1 }, $set: { updatedAt: new Date() } } as never,
    );
    if (res.modifiedCount === 1) cleared.push(_id);
  }
  return cleared;
}
