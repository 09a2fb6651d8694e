import type { Models, ResourceGrantDoc } from './models';

type GrantFields = Pick<ResourceGrantDoc, '_id' | 'groupId' | 'resourceId' | 'resourceType' | 'level'>;

/**
 * Resources given to groups at a level, one document per (group, resource) with an id the domain
 * derives from both (indexes: `_id`; `tenantId, groupId`; `tenantId, resourceId`).
 */
export class ResourceGrantsRepository {
  constructor(private readonly models: Models) {}

  private get collection() {
    return this.models.ResourceGrant.collection;
  }

  /** Every grant of the tenant (what a permission answer needs of each). */
  async ofTenant(tenantId: string): Promise<GrantFields[]> {
    return (await this.collection.find({ tenantId } as never, { projection: { groupId: 1, resourceId: 1, resourceType: 1, level: 1 } }).toArray()) as unknown as GrantFields[];
  }

  async ofResource(tenantId: string, resourceId: string): Promise<ResourceGrantDoc[]> {
    return (await this.collection.find({ tenantId, resourceId } as never).toArray()) as unknown as ResourceGrantDoc[];
  }

  async ofGroups(tenantId: string, groupIds: readonly string[]): Promise<ResourceGrantDoc[]> {
    return (await this.collection.find({ tenantId, groupId: { $in: groupIds } } as never).toArray()) as unknown as ResourceGrantDoc[];
  }

  /** The resources given to these groups, by id only. */
  async resourceIdsOfGroups(tenantId: string, groupIds: readonly string[]): Promise<Pick<ResourceGrantDoc, '_id' | 'resourceId'>[]> {
    return (await this.collection.find({ tenantId, groupId: { $in: groupIds } } as never, { projection: { resourceId: 1 } }).toArray()) as unknown as ResourceGrantDoc[];
  }

  async findOfTenant(tenantId: string, grantId: string): Promise<ResourceGrantDoc | null> {
    return (await this.collection.findOne({ _id: grantId, tenantId } as never)) as ResourceGrantDoc | null;
  }

  async findLevel(tenantId: string, grantId: string): Promise<Pick<ResourceGrantDoc, '_id' | 'resourceType' | 'level'> | null> {
    return (await this.collection.findOne({ _id: grantId, tenantId } as never, { projection: { resourceType: 1, level: 1 } })) as Pick<ResourceGrantDoc, '_id' | 'resourceType' | 'level'> | null;
  }

  /** Sets the grant's level, creating the grant when the group does not hold the resource yet. */
  async upsertLevel(grant: Omit<ResourceGrantDoc, 'createdAt'>): Promise<void> {
    const { _id, level, tenantId, groupId, resourceId, resourceType } = grant;
    await this.collection.updateOne({ _id } as never, { $set: { level }, $setOnInsert: { tenantId, groupId, resourceId, resourceType, createdAt: new Date() } }, { upsert: true });
  }

  async delete(tenantId: string, grantId: string): Promise<void> {
    await this.collection.deleteOne({ _id: grantId, tenantId } as never);
  }

  async deleteOfResource(tenantId: string, resourceId: string): Promise<void> {
    await this.collection.deleteMany({ tenantId, resourceId });
  }

  async deleteOfGroup(tenantId: string, groupId: string): Promise<void> {
    await this.collection.deleteMany({ tenantId, groupId });
  }
}
