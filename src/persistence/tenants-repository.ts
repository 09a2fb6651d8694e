import { unlessDuplicate } from './duplicate-key';
import type { AuditEventDoc, DeprovisioningSettingsDoc, Models, TenantDoc, TenantUses } from './models';

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

  /** The tenant's sync turns failing (a job failed for good); false when it was failing already. */
  async markSyncFailing(tenantId: string, since: Date): Promise<boolean> {
    const r = await this.models.Tenant.collection.updateOne({ _id: tenantId, 'syncHealth.failing': { $ne: true } } as never, { $set: { syncHealth: { failing: true, since } } });
    return r.modifiedCount === 1;
  }

  /** The tenant's sync is healthy again; the time it had been failing since, or null when it was not failing. */
  async markSyncHealthy(tenantId: string, now: Date): Promise<Date | null> {
    const before = (await this.models.Tenant.collection.findOneAndUpdate(
      { _id: tenantId, 'syncHealth.failing': true } as never,
      { $set: { syncHealth: { failing: false, since: now } } },
      { returnDocument: 'before', projection: { syncHealth: 1 } },
    )) as unknown as { syncHealth?: { since: Date } } | null;
    return before?.syncHealth?.since ?? null;
  }

  /** Tenants whose sync is failing (index `syncHealth.failing`, sparse). */
  async syncFailing(): Promise<string[]> {
    return ((await this.models.Tenant.collection.find({ 'syncHealth.failing': true } as never, { projection: { _id: 1 } }).toArray()) as unknown as { _id: string }[]).map((t) => t._id);
  }

  /** Every tenant's id, name and creation time (the CLI's listing; tenants are few). */
  async list(): Promise<Pick<TenantDoc, '_id' | 'name' | 'createdAt'>[]> {
    return (await this.models.Tenant.collection.find({}, { projection: { name: 1, createdAt: 1 } }).toArray()) as unknown as Pick<TenantDoc, '_id' | 'name' | 'createdAt'>[];
  }

  /** The tenants whose users' search terms are not known to be at `version` (tenants are few; walked in the `_id` index's order). */
  async withoutSearchTerms(version: number): Promise<string[]> {
    const docs = (await this.models.Tenant.collection
      .find({}, { projection: { searchTermsVersion: 1 } })
      .sort({ _id: 1 })
      .toArray()) as unknown as Pick<TenantDoc, '_id' | 'searchTermsVersion'>[];
    return docs.filter((d) => d.searchTermsVersion !== version).map((d) => d._id);
  }

  async markSearchTerms(tenantId: string, version: number): Promise<void> {
    await this.models.Tenant.collection.updateOne({ _id: tenantId } as never, { $set: { searchTermsVersion: version, updatedAt: new Date() }, $unset: { searchTermsClaim: '' } });
  }

  /** The tenant's search-terms version and the claim on bringing it up to date (by _id). */
  async searchTermsState(tenantId: string): Promise<Pick<TenantDoc, 'searchTermsVersion' | 'searchTermsClaim'> | null> {
    return (await this.models.Tenant.collection.findOne({ _id: tenantId } as never, { projection: { searchTermsVersion: 1, searchTermsClaim: 1 } })) as Pick<
      TenantDoc,
      'searchTermsVersion' | 'searchTermsClaim'
    > | null;
  }

  /**
   * Takes the work of bringing the tenant's users to `version` (compare-and-set: only when not at
   * it and nobody holds an unexpired claim); answers where to continue (a claim that expired keeps
   * how far its holder got), or null when not taken.
   */
  async claimSearchTerms(tenantId: string, version: number, by: string, until: Date, now = new Date()): Promise<{ after?: string } | null> {
    const doc = (await this.models.Tenant.collection.findOneAndUpdate(
      { _id: tenantId, searchTermsVersion: { $ne: version }, $or: [{ searchTermsClaim: { $exists: false } }, { 'searchTermsClaim.until': { $lt: now } }] } as never,
      { $set: { 'searchTermsClaim.by': by, 'searchTermsClaim.until': until } },
      { returnDocument: 'after', projection: { searchTermsClaim: 1 } },
    )) as Pick<TenantDoc, 'searchTermsClaim'> | null;
    if (!doc) return null;
    return doc.searchTermsClaim?.after !== undefined ? { after: doc.searchTermsClaim.after } : {};
  }

  /** Extends the claim and records progress; false when the claim is no longer this holder's. */
  async renewSearchTermsClaim(tenantId: string, by: string, until: Date, after: string): Promise<boolean> {
    const r = await this.models.Tenant.collection.updateOne({ _id: tenantId, 'searchTermsClaim.by': by } as never, { $set: { 'searchTermsClaim.until': until, 'searchTermsClaim.after': after } });
    return r.matchedCount === 1;
  }

  /** Whether any tenant exists (the collection's metadata count: no scan). */
  async any(): Promise<boolean> {
    return (await this.models.Tenant.estimatedDocumentCount()) > 0;
  }

  async findByName(name: string): Promise<TenantDoc | null> {
    return await this.models.Tenant.findOne({ nameLower: name.trim().toLowerCase() }).lean();
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
    const docs = (await this.models.Tenant.collection.find({ _id: { $in: [...tenantIds] } } as never, { projection: { ruleSetVersion: 1 } }).toArray()) as unknown as (Pick<
      TenantCounters,
      'ruleSetVersion'
    > & { _id: string })[];
    return new Map(docs.map((d) => [d._id, d]));
  }

  /** The deprovisioning settings and breaker state of these tenants, by id (a tenant that does not exist is absent). */
  async deprovisioningOfMany(tenantIds: readonly string[]): Promise<Map<string, Pick<TenantDoc, 'deprovisioning' | 'breakerTrippedAt' | 'breakerResetAt' | 'uses'>>> {
    const docs = (await this.models.Tenant.collection
      .find({ _id: tenantIds.length === 1 ? tenantIds[0] : { $in: [...tenantIds] } } as never, { projection: { deprovisioning: 1, breakerTrippedAt: 1, breakerResetAt: 1, uses: 1 } })
      .toArray()) as unknown as (Pick<TenantDoc, 'deprovisioning' | 'breakerTrippedAt' | 'breakerResetAt' | 'uses'> & { _id: string })[];
    return new Map(docs.map((d) => [d._id, d]));
  }

  /** Records that the tenant uses `feature` (TenantDoc.uses); a tenant without the record keeps none (it uses everything). */
  async markUses(tenantId: string, feature: keyof TenantUses): Promise<void> {
    await this.models.Tenant.collection.updateOne({ _id: tenantId, uses: { $exists: true }, [`uses.${feature}`]: { $exists: false } } as never, { $set: { [`uses.${feature}`]: true } });
  }

  /** The tenant's deprovisioning settings and breaker state, or null when there is no such tenant. */
  async deprovisioningOf(tenantId: string): Promise<Pick<TenantDoc, 'deprovisioning' | 'breakerTrippedAt' | 'breakerResetAt'> | null> {
    return (await this.models.Tenant.collection.findOne({ _id: tenantId } as never, { projection: { deprovisioning: 1, breakerTrippedAt: 1, breakerResetAt: 1 } })) as Pick<
      TenantDoc,
      'deprovisioning' | 'breakerTrippedAt' | 'breakerResetAt'
    > | null;
  }

  /** The ids of the tenants whose lifecycle purges inactive users. */
  async purgingInactiveUsers(): Promise<string[]> {
    const docs = (await this.models.Tenant.collection.find({ 'deprovisioning.lifecycle.inactiveUsers': 'purge' } as never, { projection: { _id: 1 } }).toArray()) as unknown as { _id: string }[];
    return docs.map((d) => d._id);
  }

  async setDeprovisioning(tenantId: string, settings: DeprovisioningSettingsDoc): Promise<boolean> {
    const res = await this.models.Tenant.collection.updateOne({ _id: tenantId } as never, { $set: { deprovisioning: settings, updatedAt: new Date() } });
    return res.matchedCount > 0;
  }

  /**
   * Trips the breaker; true only for the call that tripped it (it was not tripped). The trip's
   * audit event travels with it (`pendingAudit`, one update): a crash before the event is written
   * leaves it for the sweeper (writeInterruptedAudits), never lost.
   */
  async tripBreaker(tenantId: string, at: Date, audit: AuditEventDoc): Promise<boolean> {
    const res = await this.models.Tenant.collection.updateOne(
      { _id: tenantId, breakerTrippedAt: { $exists: false } } as never,
      { $set: { breakerTrippedAt: at }, $push: { pendingAudit: audit } } as never,
    );
    return res.modifiedCount > 0;
  }

  /** Resets the breaker; true only for the call that reset it. Its audit event travels with it, as the trip's. */
  async resetBreaker(tenantId: string, audit: AuditEventDoc): Promise<boolean> {
    const res = await this.models.Tenant.collection.updateOne(
      { _id: tenantId, breakerTrippedAt: { $exists: true } } as never,
      { $unset: { breakerTrippedAt: '' }, $set: { breakerResetAt: audit.at }, $push: { pendingAudit: audit } } as never,
    );
    return res.modifiedCount > 0;
  }

  /** The tenant's audit events are written: they no longer wait on it. */
  async settleAudit(tenantId: string, eventIds: readonly string[]): Promise<void> {
    await this.models.Tenant.collection.updateOne({ _id: tenantId } as never, { $pull: { pendingAudit: { _id: { $in: [...eventIds] } } } } as never);
  }

  /** Tenants holding audit events older than `cutoff` that a crashed request left unwritten (the sweeper). */
  async withAuditsPendingBefore(cutoff: Date, limit: number): Promise<Pick<TenantDoc, '_id' | 'pendingAudit'>[]> {
    return (await this.models.Tenant.collection
      .find({ 'pendingAudit.at': { $lte: cutoff } } as never, { projection: { pendingAudit: 1 } })
      .limit(limit)
      .toArray()) as unknown as Pick<TenantDoc, '_id' | 'pendingAudit'>[];
  }
}
