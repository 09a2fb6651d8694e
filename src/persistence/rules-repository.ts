import type { Models, RuleKind, RuleProgress, RuleRunResult, SyncedRuleDoc } from './models';
import { SyncMarks } from './sync-marks';

/** What an edit of a rule may set (besides `updatedAt`). */
export type RuleEdit = Partial<Pick<SyncedRuleDoc, 'name' | 'expression' | 'targetGroupId' | 'enabled' | 'priority'>>;

/**
 * Rules, SSO mappings and dynamic groups' rules (indexes: `_id`; `tenantId, targetGroupId`;
 * `tenantId, enabled`; `sync.pendingSince`). Every change bumps `version` and `sync.version` and
 * marks the rule pending in the same single-document update (the outbox, DESIGN §5); a full run
 * writes only while `sync.version` is the one it serves, so a newer change supersedes it.
 */
export class RulesRepository {
  /** The outbox marks of rules (what the worker, the sweeper and monitoring read and clear). */
  readonly syncMarks: SyncMarks;

  constructor(private readonly models: Models) {
    this.syncMarks = new SyncMarks(models.Rule);
  }

  private get collection() {
    return this.models.Rule.collection;
  }

  /** The rule, tombstone included, or null. */
  async findOfTenant(tenantId: string, ruleId: string): Promise<SyncedRuleDoc | null> {
    return (await this.collection.findOne({ _id: ruleId, tenantId } as never)) as SyncedRuleDoc | null;
  }

  /** Every rule of the tenant, tombstones included. */
  async allOfTenant(tenantId: string): Promise<SyncedRuleDoc[]> {
    return (await this.collection.find({ tenantId } as never).toArray()) as unknown as SyncedRuleDoc[];
  }

  /** The tenant's rules that are not deleted. */
  async liveOfTenant(tenantId: string): Promise<SyncedRuleDoc[]> {
    return (await this.collection.find({ tenantId, deletedAt: { $exists: false } } as never).toArray()) as unknown as SyncedRuleDoc[];
  }

  /**
   * The tenant's live rules of a kind: without a kind, all but dynamic groups' own rules; kind
   * 'rule' also covers rules stored before kinds existed (no `kind` field).
   */
  async liveOfKind(tenantId: string, kind: RuleKind | undefined): Promise<SyncedRuleDoc[]> {
    const filter: Record<string, unknown> = { tenantId, deletedAt: { $exists: false } };
    filter.kind = kind === undefined ? { $ne: 'dynamic' } : kind === 'rule' ? { $nin: ['dynamic', 'mapping'] } : kind;
    return (await this.collection.find(filter as never).toArray()) as unknown as SyncedRuleDoc[];
  }

  /** Ids of the enabled, live rules and mappings (not dynamic groups' rules) that target the group. */
  async enabledIdsTargeting(tenantId: string, groupId: string): Promise<{ _id: string }[]> {
    return (await this.collection
      .find({ tenantId, targetGroupId: groupId, kind: { $ne: 'dynamic' }, enabled: true, deletedAt: { $exists: false } } as never, { projection: { _id: 1 } })
      .toArray()) as unknown as { _id: string }[];
  }

  /** Names, expressions and kinds of these rules (to explain a membership). */
  async summariesOf(tenantId: string, ruleIds: readonly string[]): Promise<SyncedRuleDoc[]> {
    return (await this.collection
      .find({ _id: { $in: ruleIds }, tenantId } as never, { projection: { name: 1, expression: 1, kind: 1, enabled: 1, idpGroup: 1 } })
      .toArray()) as unknown as SyncedRuleDoc[];
  }

  async insert(doc: SyncedRuleDoc): Promise<void> {
    await this.collection.insertOne(doc as never);
  }

  /**
   * Applies an edit if the rule is still at `expectedVersion` and not deleted; the rule after it, or
   * null when another writer got there first. A changed target is remembered as stale.
   */
  async editIfVersion(tenantId: string, ruleId: string, expectedVersion: number, set: RuleEdit, now: Date, previousTarget?: string): Promise<SyncedRuleDoc | null> {
    const update: Record<string, unknown> = {
      $set: { ...set, updatedAt: now },
      $inc: { version: 1, 'sync.version': 1 },
      $min: { 'sync.pendingSince': now },
    };
    // The old target keeps the rule's memberships until the next run removes them there.
    if (previousTarget !== undefined) update.$addToSet = { staleTargets: previousTarget };
    return (await this.collection.findOneAndUpdate({ _id: ruleId, tenantId, version: expectedVersion, deletedAt: { $exists: false } } as never, update, {
      returnDocument: 'after',
    })) as SyncedRuleDoc | null;
  }

  /** Gives a dynamic group's rule a (new) expression, enabled, undeleted; the rule after it. */
  async reviveWithExpression(tenantId: string, ruleId: string, expression: string, now: Date): Promise<SyncedRuleDoc> {
    return (await this.collection.findOneAndUpdate(
      { _id: ruleId, tenantId } as never,
      {
        $set: { expression, enabled: true, updatedAt: now },
        $unset: { deletedAt: '' },
        $inc: { version: 1, 'sync.version': 1 },
        $min: { 'sync.pendingSince': now },
      },
      { returnDocument: 'after' },
    )) as unknown as SyncedRuleDoc;
  }

  /** Turns a live rule into a tombstone (disabled, pending); the rule after it, or null when it was deleted already. */
  async tombstone(tenantId: string, ruleId: string, now: Date): Promise<SyncedRuleDoc | null> {
    return (await this.collection.findOneAndUpdate(
      { _id: ruleId, tenantId, deletedAt: { $exists: false } } as never,
      { $set: { deletedAt: now, enabled: false, updatedAt: now }, $inc: { version: 1, 'sync.version': 1 }, $min: { 'sync.pendingSince': now } },
      { returnDocument: 'after' },
    )) as SyncedRuleDoc | null;
  }

  /** Asks for a new full run without an edit: the new sync version, or null when the rule is gone. */
  async requestRun(tenantId: string, ruleId: string): Promise<number | null> {
    const doc = (await this.collection.findOneAndUpdate(
      { _id: ruleId, tenantId } as never,
      { $inc: { 'sync.version': 1 }, $min: { 'sync.pendingSince': new Date() } },
      { returnDocument: 'after' },
    )) as { sync?: { version: number } } | null;
    return doc?.sync ? doc.sync.version : null;
  }

  // ---- a full run of one sync version: each write is refused (false) once a newer version exists ----

  async saveProgress(tenantId: string, ruleId: string, syncVersion: number, progress: RuleProgress): Promise<boolean> {
    const res = await this.collection.updateOne({ _id: ruleId, tenantId, 'sync.version': syncVersion } as never, { $set: { progress } });
    return res.matchedCount > 0;
  }

  async deleteTombstone(tenantId: string, ruleId: string, syncVersion: number): Promise<boolean> {
    const res = await this.collection.deleteOne({ _id: ruleId, tenantId, 'sync.version': syncVersion } as never);
    return res.deletedCount > 0;
  }

  /** Records the finished run, clears the pending mark and forgets the stale targets it cleaned. */
  async finishRun(tenantId: string, ruleId: string, syncVersion: number, result: RuleRunResult, cleanedTargets: readonly string[]): Promise<boolean> {
    const res = await this.collection.updateOne(
      { _id: ruleId, tenantId, 'sync.version': syncVersion } as never,
      {
        $set: { lastRun: result },
        $unset: { progress: '', 'sync.pendingSince': '', 'sync.failedJob': '' },
        $pullAll: { staleTargets: [...cleanedTargets] },
      } as never,
    );
    return res.matchedCount > 0;
  }
}
