import type { Model } from 'mongoose';
import type { AuditEventDoc, GroupDoc, UserDoc } from './models';

type ResourceDoc = UserDoc | GroupDoc;

export interface ResourceChange {
  attrs: Record<string, unknown>;
  lc: Record<string, unknown>;
  /** Extra top-level fields to set (passwordHash). */
  extra?: Record<string, unknown>;
  /** The change's audit events, kept on the document in the same update until they are written (settleAudit). */
  audits?: AuditEventDoc[];
}

/**
 * Attrs as they can be stored: without keys starting with '$' (manager.$ref), which MongoDB
 * cannot address in queries or update paths. `$ref` is derivable from `value`, so nothing is lost (filters and
 * rendering treat it as derived, see compile-mongo.ts isStoredPath).
 */
export function storableAttrs(attrs: Record<string, unknown>): Record<string, unknown> {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== 'object' || value === null || value instanceof Date) return value;
    return Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('$')).map(([k, v]) => [k, strip(v)]));
  };
  return strip(attrs) as Record<string, unknown>;
}

/**
 * Versioned single-document writes for SCIM resources. Each write bumps `version` and marks the
 * document pending for sync in the same update (the outbox, DESIGN.md §5): `sync.version` names
 * the version to process, and `$min` keeps the oldest `pendingSince` while work is outstanding.
 */
export class ResourceStore<D extends ResourceDoc> {
  constructor(private readonly model: Model<D>, private readonly scope: Record<string, unknown> = {}) {}

  async find(tenantId: string, id: string): Promise<D | null> {
    return (await this.model.collection.findOne({ _id: id, tenantId, ...this.scope } as never)) as D | null;
  }

  async insert(doc: D, audits: AuditEventDoc[] = []): Promise<void> {
    await this.model.collection.insertOne({ ...doc, attrs: storableAttrs(doc.attrs), ...(audits.length ? { pendingAudit: audits } : {}) } as never);
  }

  /** The change's audit events are written: they no longer need to wait on the document. */
  async settleAudit(tenantId: string, id: string, eventIds: string[]): Promise<void> {
    await this.model.collection.updateOne({ _id: id, tenantId } as never, { $pull: { pendingAudit: { _id: { $in: eventIds } } } } as never);
  }

  /** Applies the change only if the stored version is still `version`; false when another write won. */
  async updateIfVersion(tenantId: string, id: string, version: number, change: ResourceChange, now = new Date()): Promise<D | null> {
    // One filtered update: the database applies it atomically, so of two writers holding the same
    // version exactly one wins, across processes. The audit event travels with the change.
    const next = version + 1;
    const res = await this.model.collection.findOneAndUpdate(
      { _id: id, tenantId, version, ...this.scope } as never,
      {
        $set: { attrs: storableAttrs(change.attrs), lc: change.lc, updatedAt: now, version: next, 'sync.version': next, ...change.extra },
        $min: { 'sync.pendingSince': now },
        ...(change.audits?.length ? { $push: { pendingAudit: { $each: change.audits } } } : {}),
      } as never,
      { returnDocument: 'after' },
    );
    return (res as D | null) ?? null;
  }

  /**
   * Bumps the version and the sync mark whatever the stored version is: for a change stored outside
   * the document (a group's memberships), where concurrent changes commute and need no
   * compare-and-set. `version` and `sync.version` move together, as in updateIfVersion.
   */
  async bumpVersion(tenantId: string, id: string, now = new Date()): Promise<D | null> {
    const res = await this.model.collection.findOneAndUpdate(
      { _id: id, tenantId, ...this.scope } as never,
      { $inc: { version: 1, 'sync.version': 1 }, $set: { updatedAt: now }, $min: { 'sync.pendingSince': now } } as never,
      { returnDocument: 'after' },
    );
    return (res as D | null) ?? null;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const res = await this.model.collection.deleteOne({ _id: id, tenantId, ...this.scope } as never);
    return res.deletedCount === 1;
  }
}
