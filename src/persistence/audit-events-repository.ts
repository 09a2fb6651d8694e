import { escapeRegex } from '../expressions/compile-mongo';
import { duplicateKeyIndexes, isDuplicateKeyError, unlessDuplicate } from './duplicate-key';
import type { AuditEventDoc, Models } from './models';

/** What the admin API's audit log may filter by; every field narrows (they are ANDed). */
export interface AuditEventCriteria {
  /** A troubleshooting category, as the actor type it stands for. */
  category?: { actorType: string };
  action?: { exact: string } | { prefix: string };
  actor?: { type?: string; id: string };
  /** Events by any of these actors (ids a name stood for). */
  actorIds?: readonly string[];
  objectId?: string;
  /** Events about any of these: the object, or the user a membership event names (after.userId). */
  aboutIds?: readonly string[];
  objectType?: string;
  from?: Date;
  to?: Date;
  /** Continue after this event of a previous page (newest first: strictly older, then smaller _id). */
  after?: { at: Date; id: string };
}

/** Every audit event is inserted here, marked for the change-event sequencer (docs/events.md). */
const toSequence = (event: AuditEventDoc): AuditEventDoc => ({ ...event, unsequenced: true });

/**
 * Audit events (indexes: `tenantId, at`; `tenantId, object.id, at`; `tenantId, action, at`;
 * `tenantId, after.userId, at, _id`; `tenantId, before.userId, at, _id`; `tenantId, actor.id, at, _id`; object.id with _id too).
 * Events are only ever inserted and read, newest first.
 */
/** The audit actions of IdP group changes that may deprovision (`after.deprovisions`). */
export const GROUP_DEPROVISION_ACTIONS = ['group.patched', 'group.replaced', 'group.deleted', 'group.deletion.ended'] as const;

export class AuditEventsRepository {
  constructor(private readonly models: Models) {}

  /** Writes the event once: its id is chosen before the change, so a retried write finds it there. */
  async insertOnce(event: AuditEventDoc): Promise<void> {
    await unlessDuplicate(() => this.models.AuditEvent.collection.insertOne(toSequence(event) as never));
  }

  /**
   * Writes each event once, in one round trip: unordered, so an event written before (a recovery
   * repeating a request's work) is skipped by its fixed id and the others still land.
   */
  /** Deletions of users that were active (by the IdP's view) since `since`: the deprovisioning breaker's window counts them. */
  async countActiveUserDeletionsSince(tenantId: string, since: Date): Promise<number> {
    return this.models.AuditEvent.collection.countDocuments({ tenantId, action: 'user.deleted', at: { $gte: since }, 'before.attrs.active': { $ne: false } });
  }

  /**
   * IdP group-member removals (mapping-relevant, applied) and group deletions since `since`: the
   * breaker's window counts them. Each group change's audit event says how many (`after.deprovisions`).
   */
  async countGroupDeprovisionsSince(tenantId: string, since: Date): Promise<number> {
    const docs = (await this.models.AuditEvent.collection
      .find({ tenantId, action: { $in: [...GROUP_DEPROVISION_ACTIONS] }, at: { $gte: since } } as never, { projection: { 'after.deprovisions': 1 } })
      .toArray()) as unknown as { after?: { deprovisions?: unknown } }[];
    return docs.reduce((n, d) => n + (typeof d.after?.deprovisions === 'number' ? d.after.deprovisions : 0), 0);
  }

  async insertMany(events: readonly AuditEventDoc[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.models.AuditEvent.collection.insertMany(events.map(toSequence) as never[], { ordered: false });
    } catch (err) {
      // Events written before (a recovery repeating a request's work) are skipped; the others landed.
      if (!duplicateKeyIndexes(err) && !isDuplicateKeyError(err)) throw err;
    }
  }

  /** Up to `limit` events of the tenant matching `criteria`, newest first (ties by _id, descending). */
  async newestFirst(tenantId: string, criteria: AuditEventCriteria, limit: number): Promise<AuditEventDoc[]> {
    if (!criteria.aboutIds) return this.newestFirstOne(tenantId, criteria, [], limit);
    // Three index-served reads (object.id; the user a membership event names, after or, once the
    // membership ended, before), each newest first from the same cursor, merged.
    const about = [...criteria.aboutIds];
    const reads = await Promise.all(['object.id', 'after.userId', 'before.userId'].map((field) => this.newestFirstOne(tenantId, criteria, [{ [field]: { $in: about } }], limit)));
    const byId = new Map(reads.flat().map((e) => [e._id, e]));
    return [...byId.values()].sort((a, b) => b.at.getTime() - a.at.getTime() || (a._id < b._id ? 1 : -1)).slice(0, limit);
  }

  private async newestFirstOne(tenantId: string, criteria: AuditEventCriteria, extra: Record<string, unknown>[], limit: number): Promise<AuditEventDoc[]> {
    const and: Record<string, unknown>[] = [{ tenantId }, ...extra];
    if (criteria.actorIds) and.push({ 'actor.id': { $in: [...criteria.actorIds] } });
    if (criteria.category) and.push({ 'actor.type': criteria.category.actorType });
    if (criteria.action) {
      and.push({ action: 'prefix' in criteria.action ? new RegExp(`^${escapeRegex(criteria.action.prefix)}`) : criteria.action.exact });
    }
    if (criteria.actor) {
      and.push(criteria.actor.type !== undefined ? { 'actor.type': criteria.actor.type, 'actor.id': criteria.actor.id } : { 'actor.id': criteria.actor.id });
    }
    if (criteria.objectId) and.push({ 'object.id': criteria.objectId });
    if (criteria.objectType) and.push({ 'object.type': criteria.objectType });
    const at: Record<string, Date> = {};
    if (criteria.from) at.$gte = criteria.from;
    if (criteria.to) at.$lt = criteria.to;
    if (Object.keys(at).length) and.push({ at });
    if (criteria.after) {
      const { at: afterAt, id } = criteria.after;
      and.push({ $or: [{ at: { $lt: afterAt } }, { at: afterAt, _id: { $lt: id } }] });
    }
    return (await this.models.AuditEvent.collection
      .find({ $and: and } as never)
      .sort({ at: -1, _id: -1 })
      .limit(limit)
      .toArray()) as unknown as AuditEventDoc[];
  }

  /**
   * The newest events about a user, newest first: their own (object.id, e.g. user.updated) and the
   * membership changes that name them (after.userId; before.userId once the membership ended). Three index-served reads, merged.
   */
  async newestAboutUser(tenantId: string, userId: string, limit: number): Promise<AuditEventDoc[]> {
    const newest = (filter: Record<string, unknown>) =>
      this.models.AuditEvent.collection
        .find(filter as never)
        .sort({ at: -1 })
        .limit(limit)
        .toArray() as unknown as Promise<AuditEventDoc[]>;
    const reads = await Promise.all([newest({ tenantId, 'object.id': userId }), newest({ tenantId, 'after.userId': userId }), newest({ tenantId, 'before.userId': userId })]);
    const byId = new Map(reads.flat().map((e) => [e._id, e]));
    return [...byId.values()].sort((a, b) => b.at.getTime() - a.at.getTime() || (a._id < b._id ? 1 : -1)).slice(0, limit);
  }

  /** Tenants with audit events the sequencer has yet to see. */
  async tenantsWithUnsequenced(): Promise<string[]> {
    return (await this.models.AuditEvent.collection.distinct('tenantId', { unsequenced: true } as never)) as string[];
  }

  /** The tenant's oldest `limit` audit events not yet sequenced, oldest first (ties by _id). */
  async unsequenced(tenantId: string, limit: number): Promise<AuditEventDoc[]> {
    return (await this.models.AuditEvent.collection
      .find({ unsequenced: true, tenantId } as never)
      .sort({ unsequenced: 1, tenantId: 1, at: 1, _id: 1 })
      .limit(limit)
      .toArray()) as unknown as AuditEventDoc[];
  }

  /** The sequencer has made these events' change events. */
  async markSequenced(tenantId: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.models.AuditEvent.collection.updateMany({ _id: { $in: [...ids] }, tenantId } as never, { $unset: { unsequenced: '' } });
  }
}
