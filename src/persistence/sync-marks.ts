import type { Model } from 'mongoose';
import type { DocumentStream } from './resource-store';
import { readOptions, type ReadFrom } from './read-preference';

/** The earliest date there is (JavaScript's): `$gte` it matches every date and nothing else, as an index range. */
export const EARLIEST_DATE = new Date(-8_640_000_000_000_000);

/** A document's sync mark as the sweeper reads it. */
export interface PendingSyncDoc {
  _id: string;
  tenantId: string;
  sync: { version: number; pendingSince?: Date; failedJob?: { id: string; version: number } };
  /** The document's last write (absent on documents that never had one recorded). */
  updatedAt?: Date;
}

/**
 * The outbox marks (`sync` on users, groups and rules, DESIGN §5), read and cleared the same way on
 * each collection: `sync.version` names the version to process, `sync.pendingSince` is set while
 * work is outstanding (index `sync.pendingSince`). Writes that set the mark belong to each
 * repository's versioned updates; this is everything the worker, the sweeper and monitoring do with it.
 */
export class SyncMarks {
  constructor(private readonly model: Pick<Model<object>, 'collection'>) {}

  private collection() {
    return this.model.collection;
  }

  /**
   * Pending: `sync.pendingSince` is a date (it is never anything else). Said as a date range, not
   * `$exists`, so the index `tenantId, sync.pendingSince` (or `sync.pendingSince` for all tenants)
   * answers a count from its entries alone, without reading a document: MongoDB's COUNT_SCAN, and
   * the embedded server's covered count (at 100,000 pending users on its H2 file: 30 s through the
   * documents).
   */
  private pendingFilter(tenantId?: string): Record<string, unknown> {
    return { ...(tenantId !== undefined ? { tenantId } : {}), 'sync.pendingSince': { $gte: EARLIEST_DATE } };
  }

  /** The document's mark, or null when there is no such document. */
  async markOf(tenantId: string, id: string): Promise<PendingSyncDoc['sync'] | null> {
    const doc = (await this.collection().findOne({ _id: id, tenantId } as never, { projection: { sync: 1 } })) as Pick<PendingSyncDoc, 'sync'> | null;
    return doc ? doc.sync : null;
  }

  /**
   * `acknowledge` for many documents in one round trip (and one read of their marks when some were
   * not acknowledged): per item, whether its mark is clear at its version now, else the mark found
   * (null when the document is gone). Clear because of an earlier acknowledgement counts as clear.
   */
  async acknowledgeMany(items: readonly { tenantId: string; id: string; version: number }[]): Promise<({ acknowledged: true } | { acknowledged: false; mark: PendingSyncDoc['sync'] | null })[]> {
    if (items.length === 0) return [];
    const res = await this.collection().bulkWrite(
      items.map(({ tenantId, id, version }) => ({
        updateOne: {
          filter: { _id: id, tenantId, 'sync.version': version } as never,
          update: { $unset: { 'sync.pendingSince': '', 'sync.doneParts': '', 'sync.failedJob': '' } } as never,
        },
      })),
      { ordered: false },
    );
    if (res.modifiedCount === items.length) return items.map(() => ({ acknowledged: true }));
    const docs = (await this.collection()
      .find({ _id: { $in: items.map((i) => i.id) }, tenantId: { $in: [...new Set(items.map((i) => i.tenantId))] } } as never, { projection: { tenantId: 1, sync: 1 } })
      .toArray()) as unknown as PendingSyncDoc[];
    const marks = new Map(docs.map((d) => [`${d.tenantId}\t${d._id}`, d.sync]));
    return items.map(({ tenantId, id, version }) => {
      const mark = marks.get(`${tenantId}\t${id}`) ?? null;
      return mark && mark.version === version && !mark.pendingSince ? { acknowledged: true } : { acknowledged: false, mark };
    });
  }

  /** Documents with work pending, of one tenant or of all. */
  async countPending(tenantId?: string, from: ReadFrom = 'primary'): Promise<number> {
    return this.collection().countDocuments(this.pendingFilter(tenantId), readOptions(from));
  }

  /** Documents of the tenant whose change is held by a job that failed for good (`sync.failedJob`). */
  async countFailed(tenantId: string): Promise<number> {
    return this.collection().countDocuments({ ...this.pendingFilter(tenantId), 'sync.failedJob': { $exists: true } });
  }

  /** When the oldest pending change was made, or null when nothing is pending. */
  async oldestPendingSince(tenantId?: string, from: ReadFrom = 'primary'): Promise<Date | null> {
    const doc = (await this.collection()
      .find(this.pendingFilter(tenantId) as never, { projection: { 'sync.pendingSince': 1 }, ...readOptions(from) })
      .sort({ 'sync.pendingSince': 1 })
      .limit(1)
      .next()) as Pick<PendingSyncDoc, 'sync'> | null;
    return doc?.sync?.pendingSince ?? null;
  }

  /**
   * Documents pending since before `cutoff` (the sweeper's candidates), and since `from` or later
   * when given (what became stale since an earlier sweep), oldest mark first (index
   * `sync.pendingSince`), at most `limit`, read in batches.
   */
  stalePending(cutoff: Date, limit: number, batchSize: number, from?: Date): DocumentStream<PendingSyncDoc> {
    const range = from ? { $gte: from, $lte: cutoff } : { $lte: cutoff };
    return this.collection()
      .find({ 'sync.pendingSince': range } as never, { projection: { tenantId: 1, sync: 1, updatedAt: 1 } })
      .sort({ 'sync.pendingSince': 1 })
      .limit(limit)
      .batchSize(batchSize) as unknown as DocumentStream<PendingSyncDoc>;
  }

  /** The marks of those of `ids` (of one tenant) that are still pending: the sweeper's second look at a document whose job is gone. */
  async pendingOf(tenantId: string, ids: readonly string[]): Promise<PendingSyncDoc[]> {
    if (ids.length === 0) return [];
    return (await this.collection()
      .find({ _id: { $in: [...ids] }, ...this.pendingFilter(tenantId) } as never, { projection: { tenantId: 1, sync: 1, updatedAt: 1 } })
      .toArray()) as unknown as PendingSyncDoc[];
  }

  /**
   * Clears the mark, but only for the version that was processed: a write that landed meanwhile
   * bumped `sync.version`, so its mark stays and the change is picked up again.
   */
  async acknowledge(tenantId: string, id: string, version: number): Promise<boolean> {
    const res = await this.collection().updateOne({ _id: id, tenantId, 'sync.version': version } as never, { $unset: { 'sync.pendingSince': '', 'sync.doneParts': '', 'sync.failedJob': '' } });
    return res.modifiedCount === 1;
  }

  /** Records one finished part of `version`'s work; the parts of that version done so far, or null when a newer version exists. */
  async recordDonePart(tenantId: string, id: string, version: number, part: number): Promise<number | null> {
    const doc = (await this.collection().findOneAndUpdate(
      { _id: id, tenantId, 'sync.version': version } as never,
      { $addToSet: { 'sync.doneParts': `${version}:${part}` } },
      { returnDocument: 'after' },
    )) as { sync?: { doneParts?: string[] } } | null;
    if (!doc) return null;
    return (doc.sync?.doneParts ?? []).filter((p) => p.startsWith(`${version}:`)).length;
  }

  /**
   * Names the job that failed for good on `version`'s work (kept in Redis for an operator to retry):
   * the sweeper leaves the change to that job while it exists. Nothing is written when a newer
   * version exists (that one's work is lost work, for the sweeper).
   */
  async markFailed(tenantId: string, id: string, version: number, jobId: string): Promise<boolean> {
    const res = await this.collection().updateOne({ _id: id, tenantId, 'sync.version': version, 'sync.pendingSince': { $exists: true } } as never, {
      $set: { 'sync.failedJob': { id: jobId, version } },
    });
    return res.modifiedCount === 1;
  }
}

/** The failed job that holds a pending change, if its mark is for the pending version. */
export function failedJobHolding(doc: PendingSyncDoc): string | undefined {
  const failed = doc.sync.failedJob;
  return failed && failed.version === doc.sync.version ? failed.id : undefined;
}
