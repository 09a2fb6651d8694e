import { unlessDuplicate } from './duplicate-key';
import { membershipId } from './memberships-repository';
import type { GroupAdministratorDoc, Models } from './models';

/**
 * Group Administrator designations, one per (group, user) with the membership's id
 * (indexes: `_id`; `tenantId, userId`; `tenantId, groupId`).
 */
export class GroupAdministratorsRepository {
  constructor(private readonly models: Models) {}

  private get collection() {
    return this.models.GroupAdministrator.collection;
  }

  /** The groups this user administers. */
  async groupIdsOfUser(tenantId: string, userId: string): Promise<{ groupId: string }[]> {
    return (await this.collection.find({ tenantId, userId } as never, { projection: { groupId: 1 } }).toArray()) as unknown as { groupId: string }[];
  }

  /** The group's administrators, by user id. */
  async ofGroup(tenantId: string, groupId: string): Promise<GroupAdministratorDoc[]> {
    return (await this.collection
      .find({ tenantId, groupId } as never)
      .sort({ userId: 1 })
      .toArray()) as unknown as GroupAdministratorDoc[];
  }

  /** Designates the user; false when they administer the group already. */
  async insert(doc: GroupAdministratorDoc): Promise<boolean> {
    return unlessDuplicate(() => this.collection.insertOne(doc as never));
  }

  /** Ends one designation; false when there was none. */
  async delete(tenantId: string, groupId: string, userId: string): Promise<boolean> {
    const res = await this.collection.deleteOne({ _id: membershipId(groupId, userId), tenantId } as never);
    return res.deletedCount > 0;
  }

  async deleteOfGroup(tenantId: string, groupId: string): Promise<void> {
    await this.collection.deleteMany({ tenantId, groupId });
  }

  /** Ends the user's designations in `groupIds`, or in every group when undefined. */
  async deleteOfUser(tenantId: string, userId: string, groupIds?: readonly string[]): Promise<void> {
    const scope = groupIds === undefined ? {} : { groupId: { $in: [...groupIds] } };
    await this.collection.deleteMany({ tenantId, userId, ...scope });
  }
}
