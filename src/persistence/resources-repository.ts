import { escapeRegex } from '../expressions/compile-mongo';
import type { Models, ResourceDoc, ResourceType } from './models';

/** What the resource list may filter by; every field narrows. */
export interface ResourceListCriteria {
  type?: ResourceType;
  /** A substring of the name, ignoring case. */
  nameContains?: string;
  /** Only these resources (those granted to the groups in scope). */
  ids?: readonly string[];
}

/** Product resources: agents, data sources, projects (indexes: `_id`; `tenantId, type, name`). */
export class ResourcesRepository {
  constructor(private readonly models: Models) {}

  private get collection() {
    return this.models.Resource.collection;
  }

  async findOfTenant(tenantId: string, resourceId: string): Promise<ResourceDoc | null> {
    return (await this.collection.findOne({ _id: resourceId, tenantId } as never)) as ResourceDoc | null;
  }

  /** The resource's type and name only (what a permission answer shows), or null. */
  async findInfo(tenantId: string, resourceId: string): Promise<Pick<ResourceDoc, '_id' | 'type' | 'name'> | null> {
    return (await this.collection.findOne({ _id: resourceId, tenantId } as never, { projection: { type: 1, name: 1 } })) as Pick<ResourceDoc, '_id' | 'type' | 'name'> | null;
  }

  /** The resource's type only, or null. */
  async findType(tenantId: string, resourceId: string): Promise<Pick<ResourceDoc, 'type'> | null> {
    return (await this.collection.findOne({ _id: resourceId, tenantId } as never, { projection: { type: 1 } })) as Pick<ResourceDoc, 'type'> | null;
  }

  async exists(tenantId: string, resourceId: string): Promise<boolean> {
    return (await this.collection.findOne({ _id: resourceId, tenantId } as never, { projection: { _id: 1 } })) !== null;
  }

  /** A resource of `type` with this name, ignoring case (names are unique per type within a tenant). */
  async findByName(tenantId: string, type: ResourceType, name: string): Promise<{ _id: string } | null> {
    return (await this.collection.findOne({ tenantId, type, name: new RegExp(`^${escapeRegex(name)}$`, 'i') } as never, {
      projection: { _id: 1 },
    })) as { _id: string } | null;
  }

  async findManyOfTenant(tenantId: string, resourceIds: readonly string[]): Promise<ResourceDoc[]> {
    return (await this.collection.find({ _id: { $in: resourceIds }, tenantId } as never).toArray()) as unknown as ResourceDoc[];
  }

  /** Names by id of the tenant's resources among `resourceIds`. */
  async namesOf(tenantId: string, resourceIds: readonly string[]): Promise<{ _id: string; name: string }[]> {
    return (await this.collection.find({ _id: { $in: resourceIds }, tenantId } as never, { projection: { name: 1 } }).toArray()) as unknown as {
      _id: string;
      name: string;
    }[];
  }

  /** One page by name (then id), with the total count of matches. */
  async page(tenantId: string, criteria: ResourceListCriteria, page: number, limit: number): Promise<{ total: number; docs: ResourceDoc[] }> {
    const and: Record<string, unknown>[] = [{ tenantId }];
    if (criteria.type) and.push({ type: criteria.type });
    if (criteria.nameContains) and.push({ name: new RegExp(escapeRegex(criteria.nameContains), 'i') });
    if (criteria.ids) and.push({ _id: { $in: [...criteria.ids] } });
    const filter = { $and: and };
    const [total, docs] = await Promise.all([
      this.collection.countDocuments(filter as never),
      this.collection
        .find(filter as never)
        .sort({ name: 1, _id: 1 })
        .skip((page - 1) * limit)
        .limit(limit)
        .toArray() as unknown as Promise<ResourceDoc[]>,
    ]);
    return { total, docs };
  }

  async insert(doc: ResourceDoc): Promise<void> {
    await this.collection.insertOne(doc as never);
  }

  async rename(tenantId: string, resourceId: string, name: string, updatedAt: Date): Promise<void> {
    await this.collection.updateOne({ _id: resourceId, tenantId } as never, { $set: { name, updatedAt } });
  }

  async delete(tenantId: string, resourceId: string): Promise<void> {
    await this.collection.deleteOne({ _id: resourceId, tenantId } as never);
  }
}
