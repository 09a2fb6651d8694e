import type { Model } from 'mongoose';
import type { AuditEventDoc, GroupDoc, PendingGroupChange, UserDoc } from './models';
import { conjunction } from './conjunction';
import { SyncMarks } from './sync-marks';
import { writeErrorsByIndex } from './duplicate-key';

/** Ids per outbox mark update (one `$in` list). */
const MARK_CHUNK = 1000;

/** A SCIM resource as stored: a user or a group. */
export type StoredResource = UserDoc | GroupDoc;

export interface ResourceChange {
  attrs: Record<string, unknown>;
  lc: Record<string, unknown>;
  /** The change's audit events, kept on the document in the same update until they are written (settleAuditMany). */
  audits?: AuditEventDoc[];
  /** A group's change: its member delta and audit event, kept on the group until done (pending-group-changes.ts). */
  groupChange?: PendingGroupChange;
  /** Further fields set, and removed, in the same update (a user's held deprovision: src/domain/deprovisioning). */
  set?: Record<string, unknown>;
  unset?: readonly string[];
}

/** The $push that records what a write leaves to do, in the write itself. */
function pendingPush(change: Pick<ResourceChange, 'audits' | 'groupChange'>): Record<string, unknown> {
  const push: Record<string, unknown> = {};
  if (change.audits?.length) push.pendingAudit = { $each: change.audits };
  if (change.groupChange) push.pendingMembers = change.groupChange;
  return Object.keys(push).length > 0 ? { $push: push } : {};
}

/** A document as inserted: attrs storable, its change's audit events kept on it until written (settleAuditMany). */
function storedWithAudits<D extends StoredResource>(doc: D, audits: readonly AuditEventDoc[]): D {
  return { ...doc, attrs: storableAttrs(doc.attrs), ...(audits.length ? { pendingAudit: audits } : {}) };
}

/**
 * The documents outside a store's scope, found without reading the rest: index-bounded reads whose
 * results include every document outside it (and maybe some inside), and the test that tells them
 * apart. Declared beside the scope it complements.
 */
export interface ScopeComplement {
  candidates: Record<string, unknown>[];
  projection: Record<string, 1>;
  outside(doc: Record<string, unknown>): boolean;
}

/** Documents read in batches from the database; close it to stop early. */
export interface DocumentStream<D> extends AsyncIterable<D> {
  close(): Promise<void>;
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
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !k.startsWith('$'))
        .map(([k, v]) => [k, strip(v)]),
    );
  };
  return strip(attrs) as Record<string, unknown>;
}

/**
 * Versioned single-document writes for SCIM resources. Each write bumps `version` and marks the
 * document pending for sync in the same update (the outbox, DESIGN.md §5): `sync.version` names
 * the version to process, and `$min` keeps the oldest `pendingSince` while work is outstanding.
 */
export class ResourceStore<D extends StoredResource> {
  /** The outbox marks of this collection (what the worker, the sweeper and monitoring read and clear). */
  readonly syncMarks: SyncMarks;

  /**
   * `complement`: how to find, by index-bounded reads, the few documents outside `scope`. A
   * tenant's whole scope is then counted as all its documents (from index entries: MongoDB's
   * COUNT_SCAN, the embedded server's covered count) less those, instead of reading every
   * document to test the scope's conditions (a list page's totalResults, O(tenant) otherwise).
   */
  constructor(
    private readonly model: Model<D>,
    private readonly scope: Record<string, unknown> = {},
    private readonly complement?: ScopeComplement,
  ) {
    this.syncMarks = new SyncMarks(model);
  }

  /** `query` (a filter the expression core compiled) within the tenant and this store's scope, flat (see conjunction). */
  private within(tenantId: string, query: Record<string, unknown>): Record<string, unknown> {
    return conjunction({ tenantId, ...this.scope }, query);
  }

  /** One page of the documents matching a compiled filter, in `sort` order. */
  async findByFilter(tenantId: string, query: Record<string, unknown>, page: { sort: Record<string, 1 | -1>; skip: number; limit: number }): Promise<D[]> {
    return (await this.model.collection
      .find(this.within(tenantId, query) as never)
      .sort(page.sort)
      .skip(page.skip)
      .limit(page.limit)
      .toArray()) as unknown as D[];
  }

  async countByFilter(tenantId: string, query: Record<string, unknown>): Promise<number> {
    if (this.complement && Object.keys(query).length === 0) return this.countScope(tenantId, this.complement);
    return this.model.collection.countDocuments(this.within(tenantId, query));
  }

  /** Every document of the tenant in this store's scope, counted without reading them (see the constructor). */
  private async countScope(tenantId: string, complement: ScopeComplement): Promise<number> {
    const [all, ...candidates] = await Promise.all([
      this.model.collection.countDocuments({ tenantId }),
      ...complement.candidates.map((filter) => this.model.collection.find({ tenantId, ...filter } as never, { projection: complement.projection }).toArray()),
    ]);
    const outside = new Set<string>();
    for (const doc of candidates.flat()) if (complement.outside(doc)) outside.add(String(doc._id));
    return all - outside.size;
  }

  /**
   * The documents matching a compiled filter, streamed in batches (in `sort` order when given).
   * The caller closes it when it stops early.
   */
  streamByFilter(tenantId: string, query: Record<string, unknown>, opts: { sort?: Record<string, 1 | -1>; batchSize?: number } = {}): DocumentStream<D> {
    const cursor = this.model.collection.find(this.within(tenantId, query) as never);
    if (opts.sort) cursor.sort(opts.sort);
    if (opts.batchSize) cursor.batchSize(opts.batchSize);
    return cursor as unknown as DocumentStream<D>;
  }

  /** Ids of the documents (in this store's scope) written since `since`, streamed. */
  async *idsUpdatedSince(tenantId: string, since: Date): AsyncGenerator<string> {
    const cursor = this.model.collection.find(this.within(tenantId, { updatedAt: { $gte: since } }) as never, { projection: { _id: 1 } });
    try {
      for await (const doc of cursor) yield (doc as unknown as { _id: string })._id;
    } finally {
      await cursor.close();
    }
  }

  async find(tenantId: string, id: string): Promise<D | null> {
    return (await this.model.collection.findOne({ _id: id, tenantId, ...this.scope } as never)) as D | null;
  }

  /** Whether the document exists. */
  async exists(tenantId: string, id: string): Promise<boolean> {
    return (await this.model.collection.findOne({ _id: id, tenantId, ...this.scope } as never, { projection: { _id: 1 } })) !== null;
  }

  /** Which of `ids` exist in the tenant (and this store's scope). One query for the whole list. */
  async existingIds(tenantId: string, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const found = (await this.model.collection.find(this.within(tenantId, { _id: { $in: [...ids] } }) as never, { projection: { _id: 1 } }).toArray()) as unknown as { _id: string }[];
    return new Set(found.map((d) => d._id));
  }

  /** The documents among `ids` with only the named attributes (`attrs.<name>`) read. */
  async attributesOf(tenantId: string, ids: readonly string[], names: readonly string[]): Promise<Pick<D, '_id' | 'attrs'>[]> {
    if (ids.length === 0 || names.length === 0) return [];
    const projection = Object.fromEntries(names.map((n) => [`attrs.${n}`, 1]));
    return (await this.model.collection.find(this.within(tenantId, { _id: { $in: [...ids] } }) as never, { projection }).toArray()) as unknown as Pick<D, '_id' | 'attrs'>[];
  }

  /** The documents among `ids` (in no particular order; missing ones are left out). */
  async findMany(tenantId: string, ids: readonly string[]): Promise<D[]> {
    return (await this.model.collection.find({ _id: { $in: ids }, tenantId, ...this.scope } as never).toArray()) as unknown as D[];
  }

  async insert(doc: D, audits: AuditEventDoc[] = []): Promise<void> {
    await this.model.collection.insertOne(storedWithAudits(doc, audits) as never);
  }

  /**
   * Several documents (each with its audit events, as `insert`) in one unordered insertMany; each
   * gets its own outcome, in order: null when stored, else its write error (`code` 11000 when a
   * unique index refused it). Throws only when the outcome of each is unknown (the command failed).
   */
  async insertEach(writes: readonly { doc: D; audits: AuditEventDoc[] }[]): Promise<(Error | null)[]> {
    if (writes.length === 0) return [];
    try {
      await this.model.collection.insertMany(writes.map((w) => storedWithAudits(w.doc, w.audits)) as never[], { ordered: false });
      return writes.map(() => null);
    } catch (err) {
      const failed = writeErrorsByIndex(err);
      if (!failed) throw err;
      return writes.map((_, i) => failed.get(i) ?? null);
    }
  }

  /** Documents holding audit events older than `cutoff` that a crashed request left unwritten. */
  async withAuditsPendingBefore(cutoff: Date, limit: number): Promise<D[]> {
    return (await this.model.collection
      .find({ 'pendingAudit.at': { $lte: cutoff }, ...this.scope } as never, { projection: { tenantId: 1, pendingAudit: 1 } })
      .limit(limit)
      .toArray()) as unknown as D[];
  }

  /**
   * Audit events still waiting on these documents to be written (a user's `pendingAudit`, a
   * group's `pendingMembers`), id and time, per document: the change-event sequencer holds the
   * documents' later events until these are written.
   */
  async waitingAuditsOf(tenantId: string, ids: readonly string[]): Promise<Map<string, { id: string; at: Date }[]>> {
    const docs = (await this.model.collection
      .find({ _id: { $in: [...ids] }, tenantId, ...this.scope } as never, { projection: { 'pendingAudit._id': 1, 'pendingAudit.at': 1, 'pendingMembers._id': 1, 'pendingMembers.at': 1 } })
      .toArray()) as unknown as { _id: string; pendingAudit?: { _id: string; at: Date }[]; pendingMembers?: { _id: string; at: Date }[] }[];
    const out = new Map<string, { id: string; at: Date }[]>();
    for (const d of docs) {
      const waiting = [...(d.pendingAudit ?? []), ...(d.pendingMembers ?? [])].map((w) => ({ id: w._id, at: w.at }));
      if (waiting.length) out.set(d._id, waiting);
    }
    return out;
  }

  /** The changes' audit events are written: they no longer need to wait on their documents (one round trip, each pull alone). */
  async settleAuditMany(settled: readonly { tenantId: string; id: string; eventIds: readonly string[] }[]): Promise<void> {
    if (settled.length === 0) return;
    await this.model.collection.bulkWrite(
      settled.map(({ tenantId, id, eventIds }) => ({
        updateOne: { filter: { _id: id, tenantId } as never, update: { $pull: { pendingAudit: { _id: { $in: [...eventIds] } } } } as never },
      })),
      { ordered: false },
    );
  }

  /** Applies the change only if the stored version is still `version`; false when another write won. */
  async updateIfVersion(tenantId: string, id: string, version: number, change: ResourceChange, now = new Date()): Promise<D | null> {
    // One filtered update: the database applies it atomically, so of two writers holding the same
    // version exactly one wins, across processes. The audit event travels with the change.
    const next = version + 1;
    const res = await this.model.collection.findOneAndUpdate(
      { _id: id, tenantId, version, ...this.scope } as never,
      {
        $set: { ...change.set, attrs: storableAttrs(change.attrs), lc: change.lc, updatedAt: now, version: next, 'sync.version': next },
        $min: { 'sync.pendingSince': now },
        ...(change.unset?.length ? { $unset: Object.fromEntries(change.unset.map((f) => [f, ''])) } : {}),
        ...pendingPush(change),
      },
      { returnDocument: 'after' },
    );
    return (res as D | null) ?? null;
  }

  /**
   * Bumps the version and the sync mark whatever the stored version is: for a change stored outside
   * the document (a group's memberships), where concurrent changes commute and need no
   * compare-and-set. `version` and `sync.version` move together, as in updateIfVersion. Concurrent
   * bumps each $push their own pending entry, so none loses another's.
   */
  async bumpVersion(tenantId: string, id: string, pending: Pick<ResourceChange, 'groupChange'> = {}, now = new Date()): Promise<D | null> {
    const res = await this.model.collection.findOneAndUpdate(
      { _id: id, tenantId, ...this.scope } as never,
      { $inc: { version: 1, 'sync.version': 1 }, $set: { updatedAt: now }, $min: { 'sync.pendingSince': now }, ...pendingPush(pending) },
      { returnDocument: 'after' },
    );
    return (res as D | null) ?? null;
  }

  /**
   * Marks documents pending in the outbox without changing them: `$min` keeps an older pending
   * time and the versions are left as they are (DESIGN §5).
   */
  async markPending(tenantId: string, ids: readonly string[], now = new Date()): Promise<void> {
    for (let i = 0; i < ids.length; i += MARK_CHUNK) {
      const part = ids.slice(i, i + MARK_CHUNK);
      await this.model.collection.updateMany({ tenantId, _id: part.length === 1 ? part[0] : { $in: part }, ...this.scope } as never, { $min: { 'sync.pendingSince': now } });
    }
  }

  /** Deletes the document, reading nothing back; false when it was not there (a recovery finishing a deletion again). */
  async delete(tenantId: string, id: string): Promise<boolean> {
    const res = await this.model.collection.deleteOne({ _id: id, tenantId, ...this.scope } as never);
    return res.deletedCount > 0;
  }

  /** Deletes the document if it is still at `version`, returning it as it was deleted; null when another write won. */
  async deleteIfVersion(tenantId: string, id: string, version: number): Promise<D | null> {
    return (await this.model.collection.findOneAndDelete({ _id: id, tenantId, version, ...this.scope } as never)) as D | null;
  }

  /** Deletes and returns the document as it was deleted (with whatever was still pending on it). */
  async deleteReturning(tenantId: string, id: string): Promise<D | null> {
    return (await this.model.collection.findOneAndDelete({ _id: id, tenantId, ...this.scope } as never)) as D | null;
  }
}
