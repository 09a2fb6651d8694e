import { unlessDuplicate } from './duplicate-key';
import type { Models, TenantDoc } from './models';

/** The counters kept on the tenant document (absent until first bumped). */
export interface TenantCounters {
  accessVersion?: number;
  grantsVersion?: number;
  ruleSetVersion?: number;
}

/** Tenants (indexes: `_id`; `nameLower` unique). Counters are read and bumped by `_id` only. */
export class TenantsRepository {
  constructor(private readonly models: Models) {}

  /** Inserts the tenant; false when another tenant has the same name (ignoring case). */
  async insert(doc: TenantDoc): Promise<boolean> {
    return unlessDuplicate(() => this.models.Tenant.create(doc));
  }

  async exists(tenantId: string): Promise<boolean> {
    return (await this.models.Tenant.collection.findOne({ _id: tenantId } as never, { projection: { _id: 1 } })) !== null;
  }

  /** The tenant's name, or null when there is no such tenant. */
  async nameOf(tenantId: string): Promise<string | null> {
    const doc = (await this.models.Tenant.collection.findOne({ _id: tenantId } as never, { projection: { name: 1 } })) as Pick<TenantDoc, 'name'> | null;
    return doc?.name ?? null;
  }

  /** Every tenant's id, name and creation time (the CLI's listing; tenants are few). */
  async list(): Promise<Pick<TenantDoc, '_id' | 'name' | 'createdAt'>[]> {
    return (await this.models.Tenant.collection.find({}, { projection: { name: 1, createdAt: 1 } }).toArray()) as unknown as Pick<TenantDoc, '_id' | 'name' | 'createdAt'>[];
  }

  /** Whether any tenant exists (the collection's metadata count: no scan). */
  async any(): Promise<boolean> {
    return (await this.models.Tenant.estimatedDocumentCount()) > 0;
  }

  async findByName(name: string): Promise<TenantDoc | null> {
    return (await this.models.Tenant.findOne({ nameLower: name.trim().toLowerCase() }).lean());
  }

  /** Adds one to the access counter (and to the grants counter too when asked); null when there is no such tenant. */
  async bumpAccessVersion(tenantId: string, grantsChanged: boolean): Promise<Pick<TenantCounters, 'accessVersion' | 'grantsVersion'> | null> {
    return (await this.models.Tenant.collection.findOneAndUpdate(
      { _id: tenantId } as never,
      { $inc: grantsChanged ? { accessVersion: 1, grantsVersion: 1 } : { accessVersion: 1 } },
      { returnDocument: 'after', projection: { accessVersion: 1, grantsVersion: 1 } },
    )) as Pick<TenantCounters, 'accessVersion' | 'grantsVersion'> | null;
  }

  async readAccessVersion(tenantId: string): Promise<Pick<TenantCounters, 'accessVersion' | 'grantsVersion'> | null> {
    return (await this.models.Tenant.collection.findOne({ _id: tenantId } as never, { projection: { accessVersion: 1, grantsVersion: 1 } })) as Pick<
      TenantCounters,
      'accessVersion' | 'grantsVersion'
    > | null;
  }

  async bumpRuleSetVersion(tenantId: string): Promise<void> {
    await this.models.Tenant.collection.updateOne({ _id: tenantId } as never, { $inc: { ruleSetVersion: 1 } });
  }

  /** The rule-set versions of these tenants, in one read (a tenant that does not exist is absent). */
  async readRuleSetVersions(tenantIds: readonly string[]): Promise<Map<string, Pick<TenantCounters, 'ruleSetVersion'>>> {
    const docs = (await this.models.Tenant.collection
      .find({ _id: { $in: [...tenantIds] } } as never, { projection: { ruleSetVersion: 1 } })
      .toArray()) as unknown as (Pick<TenantCounters, 'ruleSetVersion'> & { _id: string })[];
    return new Map(docs.map((d) => [d._id, d]));
  }
}
