import type { Models, PendingChangeDoc } from './models';

/** Recorded intents of multi-document changes (indexes: `_id`; `createdAt`, for the sweeper; `tenantId, objectId`). */
export class PendingChangesRepository {
  constructor(private readonly models: Models) {}

  private get collection() {
    return this.models.PendingChange.collection;
  }

  async insert(change: PendingChangeDoc): Promise<void> {
    await this.collection.insertOne(change as never);
  }

  // By id and tenant (the shard key): one shard answers.
  async delete(change: Pick<PendingChangeDoc, '_id' | 'tenantId'>): Promise<void> {
    await this.collection.deleteOne({ _id: change._id, tenantId: change.tenantId } as never);
  }

  /**
   * The oldest `limit` intents recorded at or before `cutoff`, oldest first. At, not only before: a
   * sweep with no delay (tests, an operator's forced sweep) must see an intent recorded in the same
   * millisecond, and the recovery cutoffs elsewhere (pendingAudit, pendingMembers, sync marks) agree.
   */
  async olderThan(cutoff: Date, limit: number): Promise<PendingChangeDoc[]> {
    return (await this.collection
      .find({ createdAt: { $lte: cutoff } } as never)
      .sort({ createdAt: 1 })
      .limit(limit)
      .toArray()) as unknown as PendingChangeDoc[];
  }

  async countAttempt(change: Pick<PendingChangeDoc, '_id' | 'tenantId'>): Promise<void> {
    await this.collection.updateOne({ _id: change._id, tenantId: change.tenantId } as never, { $inc: { attempts: 1 } });
  }

  /** Audit events the intents about these objects still have to write (their own and those they carry), id and time. */
  async waitingAuditsOf(tenantId: string, objectIds: readonly string[]): Promise<Map<string, { id: string; at: Date }[]>> {
    const intents = (await this.collection.find({ tenantId, objectId: { $in: [...objectIds] } } as never).toArray()) as unknown as PendingChangeDoc[];
    const out = new Map<string, { id: string; at: Date }[]>();
    for (const c of intents) {
      const waiting = [c.audit, ...(c.carriedAudits ?? [])].map((a) => ({ id: a._id, at: a.at }));
      out.set(c.objectId, [...(out.get(c.objectId) ?? []), ...waiting]);
    }
    return out;
  }
}
