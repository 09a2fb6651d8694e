import { duplicateKeyIndexes, isDuplicateKeyError } from './duplicate-key';
import type { ChangeEventDoc, EventSequenceDoc, Models } from './models';

/** Whether a write failed on a unique index (another writer got the slot or the audit event first). */
export const isDoubleWrite = (err: unknown): boolean => duplicateKeyIndexes(err) !== undefined || isDuplicateKeyError(err);

/**
 * The change-event feed (`events`, unique indexes `{tenantId, seq}` and `{tenantId, auditId,
 * part}`) and each tenant's sequencer state (`event_sequences`: the committed high-water mark and
 * the writer's lease). See docs/events.md for why readers never see past `committed`. Every
 * query names the tenant (`_id` of a sequence is its tenant, and it carries `tenantId` too), so a
 * cluster sharded by tenant sends each to one shard.
 */
export class ChangeEventsRepository {
  constructor(private readonly models: Models) {}

  private get events() {
    return this.models.ChangeEvent.collection;
  }

  private get sequences() {
    return this.models.EventSequence.collection;
  }

  /**
   * Takes the tenant's writer lease when it is free, expired or already `owner`'s, and returns the
   * sequencer state; null when another writer holds it. The state document is created on first use.
   */
  async takeLease(tenantId: string, owner: string, leaseMs: number, now = new Date()): Promise<EventSequenceDoc | null> {
    await this.sequences.updateOne({ _id: tenantId, tenantId } as never, { $setOnInsert: { committed: 0, purgedThrough: 0 } }, { upsert: true }).catch((err) => {
      if (!isDoubleWrite(err)) throw err; // two first uses at once: the other created it
    });
    const free = { $or: [{ lease: { $exists: false } }, { 'lease.until': { $lt: now } }, { 'lease.owner': owner }] };
    return (await this.sequences.findOneAndUpdate(
      { _id: tenantId, tenantId, ...free } as never,
      { $set: { lease: { owner, until: new Date(now.getTime() + leaseMs) } } },
      { returnDocument: 'after' },
    )) as unknown as EventSequenceDoc | null;
  }

  async releaseLease(tenantId: string, owner: string): Promise<void> {
    await this.sequences.updateOne({ _id: tenantId, tenantId, 'lease.owner': owner } as never, { $unset: { lease: '' } });
  }

  /** The committed high-water mark and what retention removed (zeros for a tenant without events). */
  async state(tenantId: string): Promise<Pick<EventSequenceDoc, 'committed' | 'purgedThrough'>> {
    const doc = (await this.sequences.findOne({ _id: tenantId, tenantId } as never, { projection: { committed: 1, purgedThrough: 1 } })) as unknown as EventSequenceDoc | null;
    return { committed: doc?.committed ?? 0, purgedThrough: doc?.purgedThrough ?? 0 };
  }

  /** Events a dead pass wrote above the mark: never served, so removed before the slots are reused. */
  async deleteUncommitted(tenantId: string, committed: number): Promise<void> {
    await this.events.deleteMany({ tenantId, seq: { $gt: committed } });
  }

  /** Which of these audit events have their change events already (a pass died after committing). */
  async sequencedAuditIds(tenantId: string, auditIds: readonly string[]): Promise<Set<string>> {
    if (auditIds.length === 0) return new Set();
    const found = (await this.events.find({ tenantId, auditId: { $in: [...auditIds] } } as never, { projection: { auditId: 1 } }).toArray()) as unknown as Pick<ChangeEventDoc, 'auditId'>[];
    return new Set(found.map((e) => e.auditId));
  }

  /** Writes a pass's events (above the mark), in one ordered insert. */
  async insert(events: readonly ChangeEventDoc[]): Promise<void> {
    if (events.length > 0) await this.events.insertMany(events as never[], { ordered: true });
  }

  /** Advances the mark from `from` to `to`, only for the lease's owner: false when the pass lost its lease. */
  async commit(tenantId: string, owner: string, from: number, to: number): Promise<boolean> {
    const r = await this.sequences.updateOne({ _id: tenantId, tenantId, committed: from, 'lease.owner': owner } as never, { $set: { committed: to } });
    return r.modifiedCount === 1;
  }

  /** One committed event by id (null when unknown, not committed yet, or past retention). */
  async findCommitted(tenantId: string, id: string, committed: number): Promise<ChangeEventDoc | null> {
    return (await this.events.findOne({ _id: id, tenantId, seq: { $lte: committed } } as never)) as unknown as ChangeEventDoc | null;
  }

  /** Committed events after `afterSeq`, in order, of the given types (all when none), at most `limit`. */
  async page(tenantId: string, afterSeq: number, committed: number, types: readonly string[] | undefined, limit: number): Promise<ChangeEventDoc[]> {
    const filter: Record<string, unknown> = { tenantId, seq: { $gt: afterSeq, $lte: committed } };
    if (types?.length) filter.type = { $in: [...types] };
    return (await this.events
      .find(filter as never)
      .sort({ tenantId: 1, seq: 1 })
      .limit(limit)
      .toArray()) as unknown as ChangeEventDoc[];
  }

  /**
   * Retention: removes the tenant's committed events sequenced before `cutoff` (a prefix of the
   * feed: `sequencedAt` grows with `seq`), recording how far so that older cursors can be told apart.
   */
  async purgeBefore(tenantId: string, cutoff: Date): Promise<number> {
    const { committed } = await this.state(tenantId);
    const [last] = (await this.events
      .find({ tenantId, seq: { $lte: committed }, sequencedAt: { $lt: cutoff } } as never, { projection: { seq: 1 } })
      .sort({ tenantId: 1, seq: -1 })
      .limit(1)
      .toArray()) as unknown as Pick<ChangeEventDoc, 'seq'>[];
    if (!last) return 0;
    await this.sequences.updateOne({ _id: tenantId, tenantId } as never, { $max: { purgedThrough: last.seq } });
    const r = await this.events.deleteMany({ tenantId, seq: { $lte: last.seq } });
    return r.deletedCount;
  }

  /** Tenants that have a feed (for retention). */
  async tenants(): Promise<string[]> {
    return (await this.sequences.distinct('_id')) as unknown as string[];
  }
}
