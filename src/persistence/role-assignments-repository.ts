import { unlessDuplicate } from './duplicate-key';
import type { Models, RoleAssignmentDoc } from './models';

type Holders = Pick<RoleAssignmentDoc, '_id' | 'roleId' | 'groupId' | 'userId'>;

/**
 * Roles assigned to groups and to users, one document per (holder, role) with an id the domain
 * derives from both (indexes: `_id`; `tenantId, groupId`; `tenantId, userId`; `tenantId, roleId`).
 */
export class RoleAssignmentsRepository {
  constructor(private readonly models: Models) {}

  private get collection() {
    return this.models.RoleAssignment.collection;
  }

  /** Every assignment of the tenant: which role each group or user holds. */
  async holdersOfTenant(tenantId: string): Promise<Holders[]> {
    return (await this.collection.find({ tenantId } as never, { projection: { roleId: 1, groupId: 1, userId: 1 } }).toArray()) as unknown as Holders[];
  }

  async ofRole(tenantId: string, roleId: string): Promise<Pick<RoleAssignmentDoc, '_id' | 'groupId' | 'userId' | 'createdAt'>[]> {
    return (await this.collection.find({ tenantId, roleId } as never, { projection: { groupId: 1, userId: 1, createdAt: 1 } }).toArray()) as unknown as RoleAssignmentDoc[];
  }

  async ofGroups(tenantId: string, groupIds: readonly string[]): Promise<RoleAssignmentDoc[]> {
    return (await this.collection.find({ tenantId, groupId: { $in: groupIds } } as never).toArray()) as unknown as RoleAssignmentDoc[];
  }

  /** The roles of these groups, without the rest of each assignment. */
  async rolesOfGroups(tenantId: string, groupIds: readonly string[]): Promise<Pick<RoleAssignmentDoc, '_id' | 'roleId' | 'groupId'>[]> {
    return (await this.collection.find({ tenantId, groupId: { $in: groupIds } } as never, { projection: { roleId: 1, groupId: 1 } }).toArray()) as unknown as RoleAssignmentDoc[];
  }

  async ofUser(tenantId: string, userId: string): Promise<RoleAssignmentDoc[]> {
    return (await this.collection.find({ tenantId, userId } as never).toArray()) as unknown as RoleAssignmentDoc[];
  }

  async exists(tenantId: string, assignmentId: string): Promise<boolean> {
    return (await this.collection.findOne({ _id: assignmentId, tenantId } as never, { projection: { _id: 1 } })) !== null;
  }

  /** Inserts the assignment; false when it exists already (assigning again changes nothing). */
  async insertIfAbsent(doc: RoleAssignmentDoc): Promise<boolean> {
    return unlessDuplicate(() => this.collection.insertOne(doc as never));
  }

  /** Inserts the assignment; a duplicate is an error (the holder is new). */
  async insert(doc: RoleAssignmentDoc): Promise<void> {
    await this.collection.insertOne(doc as never);
  }

  /** Ends one assignment; false when there was none. */
  async delete(tenantId: string, assignmentId: string): Promise<boolean> {
    return (await this.collection.deleteOne({ _id: assignmentId, tenantId } as never)).deletedCount > 0;
  }

  async deleteOfRole(tenantId: string, roleId: string): Promise<void> {
    await this.collection.deleteMany({ tenantId, roleId });
  }

  async deleteOfGroup(tenantId: string, groupId: string): Promise<void> {
    await this.collection.deleteMany({ tenantId, groupId });
  }
}
