import { unlessDuplicate } from './duplicate-key';
import type { Models, RoleDoc } from './models';

/** What a permission answer needs of a role. */
export type RoleGrantFields = Pick<RoleDoc, '_id' | 'name' | 'system' | 'privileges'>;

const GRANT_FIELDS = { name: 1, system: 1, privileges: 1 } as const;

/** Roles (indexes: `_id`; `tenantId, nameLower` unique). */
export class RolesRepository {
  constructor(private readonly models: Models) {}

  private get collection() {
    return this.models.Role.collection;
  }

  async findOfTenant(tenantId: string, roleId: string): Promise<RoleDoc | null> {
    return (await this.collection.findOne({ _id: roleId, tenantId } as never)) as RoleDoc | null;
  }

  async findGrantFields(tenantId: string, roleId: string): Promise<RoleGrantFields | null> {
    return (await this.collection.findOne({ _id: roleId, tenantId } as never, { projection: GRANT_FIELDS })) as RoleGrantFields | null;
  }

  async findAudience(tenantId: string, roleId: string): Promise<Pick<RoleDoc, 'audience'> | null> {
    return (await this.collection.findOne({ _id: roleId, tenantId } as never, { projection: { audience: 1 } })) as Pick<RoleDoc, 'audience'> | null;
  }

  /** The tenant's default role with this key, by id only. */
  async findDefault(tenantId: string, key: string): Promise<{ _id: string } | null> {
    return (await this.collection.findOne({ tenantId, system: key } as never, { projection: { _id: 1 } })) as { _id: string } | null;
  }

  async listOfTenant(tenantId: string): Promise<RoleDoc[]> {
    return (await this.collection.find({ tenantId } as never).toArray()) as unknown as RoleDoc[];
  }

  async grantFieldsOfTenant(tenantId: string): Promise<RoleGrantFields[]> {
    return (await this.collection.find({ tenantId } as never, { projection: GRANT_FIELDS }).toArray()) as unknown as RoleGrantFields[];
  }

  /** The default-role keys the tenant has (a role without one is the tenant's own). */
  async defaultKeysOfTenant(tenantId: string): Promise<Pick<RoleDoc, 'system'>[]> {
    return (await this.collection.find({ tenantId } as never, { projection: { system: 1 } }).toArray()) as unknown as Pick<RoleDoc, 'system'>[];
  }

  async findManyOfTenant(tenantId: string, roleIds: readonly string[]): Promise<RoleDoc[]> {
    return (await this.collection.find({ _id: { $in: roleIds }, tenantId } as never).toArray()) as unknown as RoleDoc[];
  }

  async grantFieldsOfMany(tenantId: string, roleIds: readonly string[]): Promise<RoleGrantFields[]> {
    return (await this.collection.find({ _id: { $in: roleIds }, tenantId } as never, { projection: GRANT_FIELDS }).toArray()) as unknown as RoleGrantFields[];
  }

  /** Inserts the role; false when the tenant has a role of that name already. */
  async insert(doc: RoleDoc): Promise<boolean> {
    return unlessDuplicate(() => this.collection.insertOne(doc as never));
  }

  /** Inserts the default roles in one unordered batch. */
  async insertMany(docs: readonly RoleDoc[]): Promise<void> {
    if (docs.length > 0) await this.collection.insertMany(docs as never[], { ordered: false });
  }

  /** Sets fields of the role; false when the new name is taken by another role. */
  async update(tenantId: string, roleId: string, set: Partial<RoleDoc>): Promise<boolean> {
    return unlessDuplicate(() => this.collection.updateOne({ _id: roleId, tenantId } as never, { $set: set }));
  }

  async delete(tenantId: string, roleId: string): Promise<void> {
    await this.collection.deleteOne({ _id: roleId, tenantId } as never);
  }
}
