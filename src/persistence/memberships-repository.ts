import { duplicateKeyIndexes, insertManyRefused } from './duplicate-key';
import type { AuditEventDoc, HeldMembership, Models, MembershipDoc, MembershipRole } from './models';

const CHUNK = 1000;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const membershipId = (groupId: string, userId: string) => `${groupId}|${userId}`;

type HeldBy = Pick<MembershipDoc, '_id' | 'userId' | 'sources'>;

/** What an ordered write reads first: a live membership (it has `groupId`), a tombstone, or nothing. */
type Positioned = Pick<MembershipDoc, '_id' | 'sources' | 'positions' | 'held'> & { groupId?: string };

/** Outcome of an ordered write: whose membership it created or ended, and for whom its position is now the recorded one. */
export interface OrderedWrite {
  changed: string[];
  applied: string[];
}

/** Attempts of an ordered write per chunk before giving up (each lost race re-reads; the change stays pending and is retried). */
const ORDERED_ATTEMPTS = 10;

/**
 * An ordered add of at most this many users tries the insert first (no read before it): a user who
 * was never a member has no document, so the insert is the whole write, one round trip where
 * read, insert and re-read were three (an IdP adds members one or a few at a time). Past it (a
 * full member list, mostly members already) the read comes first, as a failed insert of many costs more.
 */
const INSERT_FIRST_MAX = 100;

/** What an ordered write's step did: `changed` as OrderedWrite's; `settled`: users its result shows in effect (no re-read needed). */
interface WriteStep {
  changed: Set<string>;
  settled: Set<string>;
}

/**
 * Turns memberships into tombstones: no `groupId`, `userId`, `sources` (every query of members
 * filters on `groupId` or `userId`, so tombstones are invisible to them), `tenantId` kept (the
 * shard key: a tombstone stays on its tenant's shard and is found by targeted queries), the
 * `positions` kept, and `endedAt` for the TTL index that drops them after TOMBSTONE_TTL_SECONDS
 * (models.ts).
 */
const tombstoneUpdate = (now: Date) => ({
  $unset: { groupId: '', userId: '', role: '', sources: '', pendingAudit: '', held: '', createdAt: '', updatedAt: '' },
  $set: { endedAt: now },
});

/** The filter part "a tombstone": the document has no `groupId` (a live membership always has one). */
const TOMBSTONE = { groupId: { $exists: false } };

/** The filter part "this source's recorded position is older than `position`" (none counts as older). */
const olderThan = (source: string, position: number) => ({ $or: [{ [`positions.${source}`]: { $lt: position } }, { [`positions.${source}`]: { $exists: false } }] });
/** One membership change a rule, SSO mapping or dynamic group asks for, with the audit event that records it. */
export interface AuditedMembershipChange {
  tenantId: string;
  groupId: string;
  userId: string;
  source: string;
  op: 'add' | 'remove';
  event: AuditEventDoc;
  /** An add for a user known to have no membership of the group (one unordered insert instead of an upsert). */
  fresh?: boolean;
}

/** What one audited change did: nothing (the source was already there, or already gone), or the change, its event left on the membership. */
export interface AuditedOutcome {
  applied: boolean;
  /** An add that created the membership. */
  created?: boolean;
  /** A removal that left the membership without a source: it is deleted once its events are written. */
  ended?: boolean;
  /** With `ended`: every event waiting on the membership (this one, and any another writer has yet to write), to write before it goes. */
  waiting?: AuditEventDoc[];
}

/** A membership holding audit events a crash left unwritten. */
export type MembershipWithPendingAudit = Pick<MembershipDoc, '_id' | 'tenantId' | 'sources' | 'pendingAudit'>;

/**
 * Memberships live in their own collection (DESIGN.md §2, §6), one document per (group, user)
 * with the set of sources holding it. Adding a source inserts the memberships that do not exist
 * yet in one batch and $addToSet's it on the others; removing one deletes the memberships only
 * that source held and $pull's it from the others, so one source never removes another's. Writes
 * are batched (one insertMany, one bulkWrite per chunk) so a 1,000-member PATCH is a few round
 * trips, not a thousand.
 */
export class MembershipsRepository {
  constructor(private readonly models: Models) {}

  // Every query names the tenant (the shard key, src/persistence/shard-layout.ts): one shard answers it.
  private held(tenantId: string, groupId: string, userIds: readonly string[], filter: Record<string, unknown> = {}): Promise<HeldBy[]> {
    return this.models.Membership.collection
      .find({ _id: { $in: userIds.map((u) => membershipId(groupId, u)) }, tenantId, ...filter } as never, { projection: { userId: 1, sources: 1 } })
      .toArray() as unknown as Promise<HeldBy[]>;
  }

  /** Adds `source` to each (group, user); returns the user ids that were not members before. */
  async addSource(tenantId: string, groupId: string, userIds: readonly string[], source: string, role: MembershipRole = 'member'): Promise<string[]> {
    const created: string[] = [];
    const now = new Date();
    for (const part of chunks([...new Set(userIds)])) {
      const existing = new Map((await this.held(tenantId, groupId, part)).map((d) => [d.userId, d]));
      const fresh = part.filter((u) => !existing.has(u));
      const lacking = part.filter((u) => existing.get(u)?.sources.includes(source) === false);
      if (fresh.length > 0) {
        // Another writer may have created some of them meanwhile: those take the upsert path.
        const inserted = await this.insertNew(tenantId, groupId, fresh, source, role, now);
        created.push(...inserted.created);
        lacking.push(...inserted.taken);
      }
      if (lacking.length > 0) created.push(...(await this.upsertSource(tenantId, groupId, lacking, source, role, now)));
    }
    return created;
  }

  /**
   * Creates the memberships that do not exist yet, with `source` and `role`, and leaves existing ones
   * exactly as they are (no source added, no role changed): for writes that must report what they
   * did against the current state (an import confirmed after its preview, an invitation), and for a
   * rule run's users known to hold no membership yet (a full run read the group's members). One
   * unordered insert per chunk; a duplicate key means "already a member". Returns the user ids it created.
   */
  async createIfAbsent(tenantId: string, groupId: string, userIds: readonly string[], source: string, role: MembershipRole): Promise<string[]> {
    const created: string[] = [];
    const now = new Date();
    for (const part of chunks([...new Set(userIds)])) created.push(...(await this.insertNew(tenantId, groupId, part, source, role, now)).created);
    return created;
  }

  /** One unordered insert of new memberships: those created, and those a duplicate key showed to exist already. */
  private async insertNew(tenantId: string, groupId: string, userIds: readonly string[], source: string, role: MembershipRole, now: Date): Promise<{ created: string[]; taken: string[] }> {
    const taken = await insertManyRefused(
      this.models.Membership.collection,
      userIds.map((userId) => ({ _id: membershipId(groupId, userId), tenantId, groupId, userId, role, sources: [source], createdAt: now, updatedAt: now })),
    );
    if (taken.size === 0) return { created: [...userIds], taken: [] };
    const revived = await this.reviveTombstones(
      tenantId,
      groupId,
      userIds.filter((_, i) => taken.has(i)),
      source,
      role,
      now,
    );
    return { created: userIds.filter((u, i) => !taken.has(i) || revived.has(u)), taken: userIds.filter((u, i) => taken.has(i) && !revived.has(u)) };
  }

  /**
   * A membership that ended with a position kept (a tombstone, see removeSourceAt) comes back as a
   * new membership of `source`, its positions kept: an older ordered write still loses to them.
   */
  private async reviveTombstones(tenantId: string, groupId: string, userIds: readonly string[], source: string, role: MembershipRole, now: Date): Promise<Set<string>> {
    const revived = new Set<string>();
    if (userIds.length === 0) return revived;
    const tombstones = await this.collection.find({ _id: { $in: userIds.map((u) => membershipId(groupId, u)) }, tenantId, ...TOMBSTONE } as never, { projection: { _id: 1 } }).toArray();
    for (const { _id } of tombstones as unknown as { _id: string }[]) {
      const userId = _id.slice(groupId.length + 1);
      const res = await this.collection.updateOne({ _id, tenantId, ...TOMBSTONE } as never, {
        $set: { groupId, userId, role, sources: [source], createdAt: now, updatedAt: now },
        $unset: { endedAt: '' },
      });
      if (res.modifiedCount > 0) revived.add(userId);
    }
    return revived;
  }

  /** One atomic upsert per membership; returns the user ids whose membership it created. */
  private async upsertSource(tenantId: string, groupId: string, userIds: readonly string[], source: string, role: MembershipRole, now: Date): Promise<string[]> {
    const res = await this.models.Membership.collection.bulkWrite(
      userIds.map((userId) => ({
        updateOne: {
          // The shard key in the filter (MongoDB requires it of an upsert on a sharded collection); and
          // `groupId`: a tombstone (none) is never written into: the upsert then fails on the key and the caller revives it.
          filter: { _id: membershipId(groupId, userId), tenantId, groupId } as never,
          update: {
            $addToSet: { sources: source },
            $set: { updatedAt: now },
            $setOnInsert: { tenantId, groupId, userId, role, createdAt: now },
          },
          upsert: true,
        },
      })),
      { ordered: false },
    );
    return Object.keys(res.upsertedIds).map((index) => userIds[Number(index)]!);
  }

  /** Removes `source` from each (group, user); returns the user ids whose membership ended. */
  async removeSource(tenantId: string, groupId: string, userIds: readonly string[], source: string): Promise<string[]> {
    const ended: string[] = [];
    const collection = this.models.Membership.collection;
    for (const part of chunks([...new Set(userIds)])) {
      const holding = await this.held(tenantId, groupId, part, { sources: source });
      if (holding.length === 0) continue;
      const shared = holding.filter((d) => d.sources.length > 1).map((d) => d.userId);
      const sole = holding.filter((d) => d.sources.length === 1).map((d) => d.userId);
      if (sole.length > 0) {
        // Guarded by "still held by this source alone": a source added meanwhile keeps the membership.
        const soleIds = sole.map((u) => membershipId(groupId, u));
        await this.endMemberships({ _id: { $in: soleIds }, tenantId, $and: [{ sources: source }, { sources: { $size: 1 } }] });
        const kept = new Set((await this.held(tenantId, groupId, sole)).map((d) => d.userId));
        for (const u of sole) (kept.has(u) ? shared : ended).push(u);
      }
      if (shared.length === 0) continue;
      const ids = shared.map((u) => membershipId(groupId, u));
      await collection.bulkWrite(
        ids.map((_id) => ({
          updateOne: { filter: { _id, tenantId } as never, update: { $pull: { sources: source } as never, $set: { updatedAt: new Date() } } },
        })),
        { ordered: false },
      );
      const empty = await collection.find({ _id: { $in: ids }, tenantId, sources: { $size: 0 } } as never, { projection: { userId: 1 } }).toArray();
      if (empty.length > 0) {
        // Deleting only documents still without a source: a concurrent add keeps its membership.
        await this.endMemberships({ _id: { $in: empty.map((d) => d._id) }, tenantId, sources: { $size: 0 } });
        for (const d of empty) ended.push((d as unknown as MembershipDoc).userId);
      }
    }
    return ended;
  }

  /**
   * Deletes the memberships `filter` matches; those carrying ordered-write positions become
   * tombstones instead, so that an older ordered write of their source still loses to them.
   */
  private async endMemberships(filter: Record<string, unknown>): Promise<void> {
    await this.collection.updateMany({ ...filter, positions: { $exists: true } }, tombstoneUpdate(new Date()));
    await this.collection.deleteMany(filter);
  }

  /** The membership documents of these users, live or tombstone, by id. */
  private async positioned(tenantId: string, groupId: string, userIds: readonly string[]): Promise<Map<string, Positioned>> {
    const docs = (await this.collection
      .find({ _id: { $in: userIds.map((u) => membershipId(groupId, u)) }, tenantId } as never, { projection: { groupId: 1, sources: 1, positions: 1, 'held.changes._id': 1 } })
      .toArray()) as unknown as Positioned[];
    return new Map(docs.map((d) => [d._id.slice(groupId.length + 1), d]));
  }

  /**
   * Ordered add (docs/decisions.md, "Acknowledged means final"): gives each user's membership
   * `source` at `position` only where the position recorded for that source is older (none
   * counts as older), in the same single-document update that records `position`. A write that
   * lost a race re-reads and tries again; one that finds a newer (or its own) position stops.
   * `changed`: users it made members; `applied`: users whose membership now holds `source` at
   * exactly `position` (this write's, or an earlier run of the same change).
   */
  async addSourceAt(tenantId: string, groupId: string, userIds: readonly string[], source: string, position: number): Promise<OrderedWrite> {
    const unique = [...new Set(userIds)];
    const inserted = unique.length <= INSERT_FIRST_MAX ? await this.insertMembers(tenantId, groupId, unique, source, position, new Date()) : new Set<string>();
    const rest = await this.orderedWrite(
      tenantId,
      groupId,
      unique.filter((u) => !inserted.has(u)),
      source,
      position,
      async (todo, docs, now) => {
        const fresh = todo.filter((u) => !docs.has(u));
        const changed = fresh.length > 0 ? await this.insertMembers(tenantId, groupId, fresh, source, position, now) : new Set<string>();
        const settled = new Set(changed);
        const existing = todo.filter((u) => docs.has(u));
        if (existing.length === 0) return { changed, settled };
        const res = await this.collection.bulkWrite(
          existing.map((userId) => {
            const _id = membershipId(groupId, userId);
            const live = docs.get(userId)!.groupId !== undefined;
            return {
              updateOne: live
                ? {
                    filter: { _id, tenantId, ...olderThan(source, position) } as never,
                    // The IdP adding back a member whose removal is held ends the hold (access was never removed).
                    update: { $addToSet: { sources: source }, $set: { updatedAt: now, [`positions.${source}`]: position }, $unset: { held: '' } } as never,
                  }
                : {
                    filter: { _id, tenantId, ...TOMBSTONE, ...olderThan(source, position) } as never,
                    update: { $set: { groupId, userId, role: 'member', sources: [source], createdAt: now, updatedAt: now, [`positions.${source}`]: position }, $unset: { endedAt: '' } } as never,
                  },
            };
          }),
          { ordered: false },
        );
        // A tombstone was no membership: if the re-read finds our position on it, this write made the user a member.
        for (const u of existing) if (docs.get(u)!.groupId === undefined || docs.get(u)!.held) changed.add(u);
        // Every update matched: each now holds the source at our position (none needs the re-read).
        if (res.matchedCount === existing.length) for (const u of existing) settled.add(u);
        return { changed, settled };
      },
      (doc) => doc.groupId !== undefined && (doc.sources ?? []).includes(source),
    );
    if (inserted.size === 0) return rest;
    const changed = new Set(rest.changed);
    const applied = new Set(rest.applied);
    return { changed: unique.filter((u) => inserted.has(u) || changed.has(u)), applied: unique.filter((u) => inserted.has(u) || applied.has(u)) };
  }

  /** Inserts memberships of `source` at `position` for users without a document; the users inserted (the others have one: a member, or a tombstone). */
  private async insertMembers(tenantId: string, groupId: string, userIds: readonly string[], source: string, position: number, now: Date): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const docsOf = userIds.map((userId) => ({
      _id: membershipId(groupId, userId),
      tenantId,
      groupId,
      userId,
      role: 'member',
      sources: [source],
      positions: { [source]: position },
      createdAt: now,
      updatedAt: now,
    }));
    const taken = await insertManyRefused(this.collection, docsOf);
    return new Set(userIds.filter((_, i) => !taken.has(i)));
  }

  /**
   * Ordered removal, the counterpart of addSourceAt: takes `source` from each user's membership at
   * `position` where the recorded one is older. A membership left without a source becomes a
   * tombstone keeping the positions, and a user without a membership gets one, so that an older
   * add that arrives later (a recovery, a request that stalled) still finds the newer removal.
   * `changed`: users whose membership it ended; `applied` as for addSourceAt.
   */
  async removeSourceAt(tenantId: string, groupId: string, userIds: readonly string[], source: string, position: number): Promise<OrderedWrite> {
    return this.orderedWrite(
      tenantId,
      groupId,
      userIds,
      source,
      position,
      async (todo, docs, now) => {
        const changed = new Set<string>();
        const settled = new Set<string>();
        const absent = todo.filter((u) => !docs.has(u));
        if (absent.length > 0) {
          const tombstones = absent.map((u) => ({ _id: membershipId(groupId, u), tenantId, positions: { [source]: position }, endedAt: now }));
          // A tombstone inserted holds our position (nothing was there): no re-read for it.
          const taken = await insertManyRefused(this.collection, tombstones);
          absent.forEach((u, i) => !taken.has(i) && settled.add(u));
        }
        const present = todo.filter((u) => docs.has(u));
        if (present.length === 0) return { changed, settled };
        const sole = (d: Positioned) => d.groupId !== undefined && d.sources.length === 1 && d.sources[0] === source;
        const res = await this.collection.bulkWrite(
          present.map((userId) => {
            const d = docs.get(userId)!;
            const _id = membershipId(groupId, userId);
            const at = { [`positions.${source}`]: position };
            if (d.groupId === undefined) return { updateOne: { filter: { _id, tenantId, ...TOMBSTONE, ...olderThan(source, position) } as never, update: { $set: { ...at, endedAt: now } } as never } };
            // A removal held (or rejected) already is the IdP's state: the IdP repeating it changes nothing but the position.
            if (d.held) return { updateOne: { filter: { _id, tenantId, held: { $exists: true }, ...olderThan(source, position) } as never, update: { $set: { ...at, updatedAt: now } } as never } };
            if (sole(d)) {
              const update = tombstoneUpdate(now);
              return { updateOne: { filter: { _id, tenantId, sources: [source], ...olderThan(source, position) } as never, update: { ...update, $set: { ...update.$set, ...at } } as never } };
            }
            return {
              updateOne: { filter: { _id, tenantId, ...olderThan(source, position) } as never, update: { $pull: { sources: source }, $set: { ...at, updatedAt: now }, $unset: { held: '' } } as never },
            };
          }),
          { ordered: false },
        );
        for (const u of present) if (sole(docs.get(u)!) && !docs.get(u)!.held) changed.add(u);
        // A membership another source left meanwhile (its last source was ours): ended here, kept as a tombstone.
        await this.endMemberships({ _id: { $in: present.map((u) => membershipId(groupId, u)) }, tenantId, sources: { $size: 0 } });
        // Every update matched and none kept the source (a held removal does): each is out at our position, no re-read needed.
        if (res.matchedCount === present.length && present.every((u) => !docs.get(u)!.held)) for (const u of present) settled.add(u);
        return { changed, settled };
      },
      (doc) => !(doc.groupId !== undefined && (doc.sources ?? []).includes(source)),
    );
  }

  /**
   * Ordered held removal (the deprovisioning breaker, src/domain/deprovisioning/group-holds.ts): where
   * the user's membership holds `source` and its recorded position is older, records `position` and
   * the held change on the membership in one update, and keeps `source` (access stays). Members
   * without `source` have nothing to hold: their removal is an ordinary ordered removal.
   * `changed`: users whose removal it held; `applied`: users on whom it is in effect.
   */
  async holdSourceAt(
    tenantId: string,
    groupId: string,
    userIds: readonly string[],
    source: string,
    position: number,
    change: Omit<HeldMembership['changes'][number], 'position'>,
  ): Promise<OrderedWrite> {
    const docs = await this.positioned(tenantId, groupId, [...new Set(userIds)]);
    const live = (d: Positioned | undefined) => d?.groupId !== undefined && d.sources.includes(source);
    const holdable = userIds.filter((u) => live(docs.get(u)) || (docs.get(u)?.positions?.[source] ?? -1) >= position);
    const plain = userIds.filter((u) => !holdable.includes(u));
    const removed = plain.length ? await this.removeSourceAt(tenantId, groupId, plain, source, position) : { changed: [], applied: [] };
    const entry = { ...change, position };
    const held = await this.orderedWrite(
      tenantId,
      groupId,
      holdable,
      source,
      position,
      async (todo, current, now) => {
        const ours = todo.filter((u) => live(current.get(u)));
        if (ours.length > 0)
          await this.collection.bulkWrite(
            ours.map((userId) => ({
              updateOne: {
                filter: { _id: membershipId(groupId, userId), tenantId, sources: source, ...olderThan(source, position) } as never,
                update: { $set: { [`positions.${source}`]: position, 'held.state': 'held', updatedAt: now }, $min: { 'held.since': now }, $push: { 'held.changes': entry } } as never,
              },
            })),
            { ordered: false },
          );
        // Left without the source meanwhile (a newer removal won, or it never held it): an ordinary removal.
        const gone = todo.filter((u) => !live(current.get(u)));
        if (gone.length > 0) await this.removeSourceAt(tenantId, groupId, gone, source, position);
        return { changed: new Set(ours), settled: new Set<string>() };
      },
      (doc) => doc.groupId !== undefined && (doc.sources ?? []).includes(source) && (doc.held?.changes ?? []).some((c) => c._id === change._id),
    );
    return { changed: held.changed, applied: [...held.applied, ...removed.applied] };
  }

  /**
   * The loop both ordered writes share, per chunk: read the users' documents; leave out those whose
   * recorded position for `source` is this one or newer (done, or overtaken); `write` the rest;
   * read again those whose write's result does not show it in effect already (`settled`: an insert
   * that landed, an update that matched). `holds(doc)`: whether a document at exactly this position
   * shows the write in effect. `changed` counts only for users whose write took effect.
   */
  private async orderedWrite(
    tenantId: string,
    groupId: string,
    userIds: readonly string[],
    source: string,
    position: number,
    write: (todo: string[], docs: Map<string, Positioned>, now: Date) => Promise<WriteStep>,
    holds: (doc: Positioned) => boolean,
  ): Promise<OrderedWrite> {
    const out: OrderedWrite = { changed: [], applied: [] };
    for (const part of chunks([...new Set(userIds)])) {
      let changed = new Set<string>();
      let todo = part;
      for (let attempt = 0; ; attempt++) {
        const docs = await this.positioned(tenantId, groupId, todo);
        const next: string[] = [];
        for (const u of todo) {
          const d = docs.get(u);
          const recorded = d?.positions?.[source];
          if (recorded === undefined || recorded < position) next.push(u);
          else if (recorded === position && holds(d!)) {
            out.applied.push(u);
            if (changed.has(u)) out.changed.push(u);
          }
        }
        todo = next;
        if (todo.length === 0) break;
        if (attempt === ORDERED_ATTEMPTS) throw new Error(`ordered membership write of group ${groupId} lost ${ORDERED_ATTEMPTS} races in a row`);
        const step = await write(todo, docs, new Date());
        changed = step.changed;
        // In the order asked, as a re-read reports them.
        for (const u of todo.filter((t) => step.settled.has(t))) {
          out.applied.push(u);
          if (changed.has(u)) out.changed.push(u);
        }
        todo = todo.filter((u) => !step.settled.has(u));
        if (todo.length === 0) break;
      }
    }
    return out;
  }

  /** The group's member ids, streamed `batchSize` at a time (for groups too large to hold). */
  async *streamUserIdsOf(tenantId: string, groupId: string, batchSize?: number): AsyncGenerator<string> {
    const cursor = this.models.Membership.collection.find({ tenantId, groupId } as never, { projection: { _id: 0, userId: 1 } });
    if (batchSize) cursor.batchSize(batchSize);
    try {
      for await (const doc of cursor) yield (doc as unknown as Pick<MembershipDoc, 'userId'>).userId;
    } finally {
      await cursor.close();
    }
  }

  /**
   * The users whose IdP membership (source `scim`) of one of `groupIds` was written since
   * `since`: live memberships (added, held) by `updatedAt` (partial index `tenantId, groupId,
   * sources, updatedAt` of the `scim` source's memberships),
   * and ended ones by their tombstone's `endedAt` (partial index `tenantId, endedAt`; a tombstone
   * has no `groupId`, its `_id` names group and user). Reads only what changed, never a group's
   * unchanged members: a rule run's catch-up (workers/processors/rule-changed.ts). Streamed; a user
   * may come more than once.
   */
  async *userIdsWithMembershipChangedSince(tenantId: string, groupIds: readonly string[], since: Date, batchSize?: number): AsyncGenerator<string> {
    if (groupIds.length === 0) return;
    const live = this.models.Membership.collection.find({ tenantId, groupId: { $in: [...groupIds] }, sources: 'scim', updatedAt: { $gte: since } } as never, { projection: { _id: 0, userId: 1 } });
    if (batchSize) live.batchSize(batchSize);
    try {
      for await (const doc of live) yield (doc as unknown as Pick<MembershipDoc, 'userId'>).userId;
    } finally {
      await live.close();
    }
    const prefixes = new Set(groupIds);
    const ended = this.models.Membership.collection.find({ tenantId, endedAt: { $gte: since } } as never, { projection: { _id: 1 } });
    if (batchSize) ended.batchSize(batchSize);
    try {
      for await (const doc of ended) {
        const id = (doc as unknown as { _id: string })._id;
        const bar = id.indexOf('|');
        if (bar > 0 && prefixes.has(id.slice(0, bar))) yield id.slice(bar + 1);
      }
    } finally {
      await ended.close();
    }
  }

  /** `idpView`: as the IdP sees the group (held removals left out). */
  async userIdsOf(tenantId: string, groupId: string, source?: string, opts: { idpView?: boolean } = {}): Promise<string[]> {
    const filter: Record<string, unknown> = { tenantId, groupId };
    if (source) filter.sources = source;
    if (opts.idpView) filter.held = { $exists: false };
    const docs = await this.models.Membership.collection.find(filter as never, { projection: { userId: 1, _id: 0 } }).toArray();
    return docs.map((d) => (d as unknown as MembershipDoc).userId);
  }

  /** Member ids per group, for a page of groups in one query. */
  async userIdsOfGroups(tenantId: string, groupIds: readonly string[], opts: { idpView?: boolean } = {}): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(groupIds.map((g) => [g, []]));
    if (groupIds.length === 0) return out;
    const docs = await this.models.Membership.collection
      .find({ tenantId, groupId: groupIds.length === 1 ? groupIds[0] : { $in: [...groupIds] }, ...(opts.idpView && { held: { $exists: false } }) } as never, {
        projection: { groupId: 1, userId: 1, _id: 0 },
      })
      .toArray();
    for (const d of docs as unknown as MembershipDoc[]) out.get(d.groupId)?.push(d.userId);
    return out;
  }

  async countMembers(tenantId: string, groupId: string): Promise<number> {
    return this.models.Membership.countDocuments({ tenantId, groupId });
  }

  /** Group ids per user, for a page of users in one query. */
  async groupIdsOfUsers(tenantId: string, userIds: readonly string[], opts: { idpView?: boolean } = {}): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(userIds.map((u) => [u, []]));
    if (userIds.length === 0) return out;
    const docs = await this.models.Membership.collection
      .find({ tenantId, userId: userIds.length === 1 ? userIds[0] : { $in: [...userIds] }, ...(opts.idpView && { held: { $exists: false } }) } as never, { projection: { userId: 1, groupId: 1 } })
      .toArray();
    for (const d of docs as unknown as MembershipDoc[]) out.get(d.userId)?.push(d.groupId);
    return out;
  }

  async removeAllForUser(tenantId: string, userId: string): Promise<string[]> {
    const docs = await this.models.Membership.collection.find({ tenantId, userId } as never, { projection: { groupId: 1 } }).toArray();
    await this.models.Membership.deleteMany({ tenantId, userId });
    return (docs as unknown as MembershipDoc[]).map((d) => d.groupId);
  }

  async removeAllForGroup(tenantId: string, groupId: string): Promise<string[]> {
    const users = await this.userIdsOf(tenantId, groupId);
    await this.models.Membership.deleteMany({ tenantId, groupId });
    return users;
  }

  // ---- reads and single-membership writes for the domain (indexes: `_id`; `tenantId, groupId, userId`; `tenantId, userId`) ----

  private get collection() {
    return this.models.Membership.collection;
  }

  async find(tenantId: string, groupId: string, userId: string): Promise<MembershipDoc | null> {
    return (await this.collection.findOne({ _id: membershipId(groupId, userId), tenantId, groupId } as never)) as MembershipDoc | null;
  }

  async exists(tenantId: string, groupId: string, userId: string): Promise<boolean> {
    return (await this.collection.findOne({ _id: membershipId(groupId, userId), tenantId, groupId } as never, { projection: { _id: 1 } })) !== null;
  }

  /** The role held in the group, if a membership exists (null otherwise). */
  async roleIn(tenantId: string, groupId: string, userId: string): Promise<{ role?: string } | null> {
    return (await this.collection.findOne({ _id: membershipId(groupId, userId), tenantId, groupId } as never, { projection: { role: 1 } })) as { role?: string } | null;
  }

  /** The user's memberships: group, role and sources. */
  async ofUser(tenantId: string, userId: string): Promise<Pick<MembershipDoc, '_id' | 'groupId' | 'role' | 'sources'>[]> {
    return (await this.collection.find({ tenantId, userId } as never, { projection: { groupId: 1, role: 1, sources: 1 } }).toArray()) as unknown as MembershipDoc[];
  }

  /** ofUser for several users in one read: group, role and sources, per user (a user without any has an empty list). */
  async ofUsers(tenantId: string, userIds: readonly string[]): Promise<Map<string, Pick<MembershipDoc, 'groupId' | 'role' | 'sources'>[]>> {
    const out = new Map<string, Pick<MembershipDoc, 'groupId' | 'role' | 'sources'>[]>(userIds.map((u) => [u, []]));
    const docs = (await this.collection
      .find({ tenantId, userId: userIds.length === 1 ? userIds[0] : { $in: [...userIds] } } as never, { projection: { _id: 0, userId: 1, groupId: 1, role: 1, sources: 1 } })
      .toArray()) as unknown as Pick<MembershipDoc, 'userId' | 'groupId' | 'role' | 'sources'>[];
    for (const d of docs) out.get(d.userId)?.push({ groupId: d.groupId, role: d.role, sources: d.sources });
    return out;
  }

  /** These users' memberships: group and sources, per user (a user without any has an empty list), in one read. */
  async sourcesOfUsers(tenantId: string, userIds: readonly string[]): Promise<Map<string, Pick<MembershipDoc, 'groupId' | 'sources'>[]>> {
    const out = new Map<string, Pick<MembershipDoc, 'groupId' | 'sources'>[]>(userIds.map((u) => [u, []]));
    const docs = (await this.collection
      .find({ tenantId, userId: userIds.length === 1 ? userIds[0] : { $in: [...userIds] } } as never, { projection: { _id: 0, userId: 1, groupId: 1, sources: 1 } })
      .toArray()) as unknown as Pick<MembershipDoc, 'userId' | 'groupId' | 'sources'>[];
    for (const d of docs) out.get(d.userId)?.push({ groupId: d.groupId, sources: d.sources });
    return out;
  }

  /** Whether the user is a member of any of these groups. */
  async inAnyOf(tenantId: string, userId: string, groupIds: readonly string[]): Promise<boolean> {
    return (await this.collection.findOne({ tenantId, userId, groupId: { $in: groupIds } } as never, { projection: { _id: 1 } })) !== null;
  }

  /** Which of these users are members of any of these groups (one read). */
  async membersOfAny(tenantId: string, groupIds: readonly string[], userIds: readonly string[]): Promise<Set<string>> {
    if (groupIds.length === 0 || userIds.length === 0) return new Set();
    const docs = await this.collection.find({ tenantId, userId: { $in: [...userIds] }, groupId: { $in: [...groupIds] } } as never, { projection: { userId: 1 } }).toArray();
    return new Set((docs as unknown as Pick<MembershipDoc, 'userId'>[]).map((d) => d.userId));
  }

  /** Which of these users the IdP has in the group now (source 'scim', no held removal): by `_id`. */
  async idpMembersAmong(tenantId: string, groupId: string, userIds: readonly string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const docs = await this.collection
      .find({ _id: { $in: userIds.map((u) => membershipId(groupId, u)) }, tenantId, sources: 'scim', held: { $exists: false } } as never, { projection: { userId: 1 } })
      .toArray();
    return (docs as unknown as Pick<MembershipDoc, 'userId'>[]).map((d) => d.userId);
  }

  /** Memberships with a held IdP removal (the deprovisioning breaker), oldest hold first: held ones, rejected ones, or those of the users or groups named. */
  async withHolds(tenantId: string, opts: { state?: 'held' | 'rejected'; userIds?: readonly string[]; groupIds?: readonly string[]; limit?: number } = {}): Promise<MembershipDoc[]> {
    const filter: Record<string, unknown> = { tenantId, 'held.state': opts.state ?? { $in: ['held', 'rejected'] } };
    const or: Record<string, unknown>[] = [];
    if (opts.userIds) or.push({ userId: { $in: [...opts.userIds] } });
    if (opts.groupIds) or.push({ groupId: { $in: [...opts.groupIds] } });
    if (or.length === 1) Object.assign(filter, or[0]);
    else if (or.length > 1) filter.$or = or;
    const docs = (await this.collection
      .find(filter as never)
      .limit(opts.limit ?? 10_000)
      .toArray()) as unknown as MembershipDoc[];
    return docs.sort((a, b) => a.held!.since.getTime() - b.held!.since.getTime() || a._id.localeCompare(b._id));
  }

  /** How many IdP removals are held (undecided) in the tenant. */
  async countHeld(tenantId: string): Promise<number> {
    return this.collection.countDocuments({ tenantId, 'held.state': 'held' });
  }

  /**
   * Applies a held removal: takes `source` from the membership and ends the hold, with its audit
   * event (`pendingAudit`), if the hold is still the one read (a compare-and-set on its changes and
   * state). `emptied`: no source is left (the membership ends once the event is written).
   */
  async allowHeld(tenantId: string, doc: MembershipDoc, source: string, audit: AuditEventDoc): Promise<{ emptied: boolean } | null> {
    const held = doc.held!;
    const res = await this.collection.findOneAndUpdate(
      { _id: doc._id, tenantId, 'held.state': held.state, 'held.changes': { $size: held.changes.length }, 'held.changes._id': held.changes.at(-1)!._id } as never,
      { $pull: { sources: source }, $unset: { held: '' }, $set: { updatedAt: new Date() }, $push: { pendingAudit: audit } } as never,
      { returnDocument: 'after', projection: { sources: 1 } },
    );
    const after = res as unknown as Pick<MembershipDoc, 'sources'> | null;
    return after ? { emptied: after.sources.length === 0 } : null;
  }

  /** Rejects a held removal (access kept, the removal stays shown), with its audit event, if it is still held as read. */
  async rejectHeld(tenantId: string, doc: MembershipDoc, audit: AuditEventDoc, decidedBy: string): Promise<{ emptied: false } | null> {
    const held = doc.held!;
    const now = new Date();
    const res = await this.collection.updateOne(
      { _id: doc._id, tenantId, 'held.state': 'held', 'held.changes': { $size: held.changes.length } } as never,
      { $set: { 'held.state': 'rejected', 'held.decidedAt': now, 'held.decidedBy': decidedBy, updatedAt: now }, $push: { pendingAudit: audit } } as never,
    );
    return res.modifiedCount > 0 ? { emptied: false } : null;
  }

  /** The members of these groups, one row per membership (a user in two groups comes twice). */
  async memberRowsOfGroups(tenantId: string, groupIds: readonly string[]): Promise<Pick<MembershipDoc, 'userId'>[]> {
    return (await this.collection.find({ tenantId, groupId: { $in: groupIds } } as never, { projection: { userId: 1, _id: 0 } }).toArray()) as unknown as MembershipDoc[];
  }

  /** Which of these users are members of the group. */
  async membersAmong(tenantId: string, groupId: string, userIds: readonly string[]): Promise<Pick<MembershipDoc, '_id' | 'userId'>[]> {
    return (await this.collection.find({ tenantId, groupId, userId: { $in: userIds } } as never, { projection: { userId: 1 } }).toArray()) as unknown as MembershipDoc[];
  }

  /** Streams the memberships a source holds in these groups (group and user only). */
  heldBySourceInGroups(tenantId: string, groupIds: readonly string[], source: string): AsyncIterable<Pick<MembershipDoc, 'groupId' | 'userId'>> {
    return this.collection.find({ tenantId, groupId: { $in: groupIds }, sources: source } as never, { projection: { _id: 0, groupId: 1, userId: 1 } }) as unknown as AsyncIterable<
      Pick<MembershipDoc, 'groupId' | 'userId'>
    >;
  }

  /** Streams the memberships a source holds for these users (group and user only). */
  heldBySourceForUsers(tenantId: string, userIds: readonly string[], source: string): AsyncIterable<Pick<MembershipDoc, 'groupId' | 'userId'>> {
    return this.collection.find({ tenantId, userId: userIds.length === 1 ? userIds[0] : { $in: [...userIds] }, sources: source } as never, {
      projection: { _id: 0, groupId: 1, userId: 1 },
    }) as unknown as AsyncIterable<Pick<MembershipDoc, 'groupId' | 'userId'>>;
  }

  /** Streams the group's members with their sources. */
  membersWithSources(tenantId: string, groupId: string): AsyncIterable<Pick<MembershipDoc, 'userId' | 'sources'>> {
    return this.collection.find({ tenantId, groupId } as never, { projection: { _id: 0, userId: 1, sources: 1 } }) as unknown as AsyncIterable<Pick<MembershipDoc, 'userId' | 'sources'>>;
  }

  /** Up to `limit` memberships of the group in user id order, after `afterUserId` when given. */
  async pageOfGroup(tenantId: string, groupId: string, afterUserId: string | undefined, limit: number): Promise<MembershipDoc[]> {
    const filter = { tenantId, groupId, ...(afterUserId !== undefined ? { userId: { $gt: afterUserId } } : {}) };
    return (await this.collection
      .find(filter as never)
      .sort({ userId: 1 })
      .limit(limit)
      .toArray()) as unknown as MembershipDoc[];
  }

  /** Member counts of these groups (a group without members is absent). */
  async countsOfGroups(tenantId: string, groupIds: readonly string[]): Promise<{ _id: string; n: number }[]> {
    return (await this.collection.aggregate([{ $match: { tenantId, groupId: { $in: groupIds } } }, { $group: { _id: '$groupId', n: { $sum: 1 } } }]).toArray()) as { _id: string; n: number }[];
  }

  /** Sets the role of one membership (by its id). */
  async setRole(tenantId: string, id: string, role: MembershipRole): Promise<void> {
    await this.collection.updateOne({ _id: id, tenantId } as never, { $set: { role, updatedAt: new Date() } });
  }

  /** Sets the role of one membership and returns it as it is now (null when there is none). */
  async setRoleReturning(tenantId: string, groupId: string, userId: string, role: MembershipRole): Promise<MembershipDoc | null> {
    return (await this.collection.findOneAndUpdate(
      { _id: membershipId(groupId, userId), tenantId, groupId } as never,
      { $set: { role, updatedAt: new Date() } },
      { returnDocument: 'after' },
    )) as unknown as MembershipDoc | null;
  }

  // ---- rule-made changes with their audit events (exactly once, across crashes and concurrent writers) ----

  /**
   * Applies each change in one single-document update that also carries its audit event
   * (`pendingAudit`), and only if it changes something: an add where the membership lacks the
   * source, a removal where it holds it. So the event exists if and only if the change happened,
   * whoever else writes the same membership and wherever the process dies. Bulk: one unordered
   * insert for fresh adds, one unordered bulk of upserts for the other adds, one of pulls for the
   * removals and one read of the removed memberships. Outcomes are in the order of `changes`. The
   * events stay on the memberships until `settleAudited` (after the caller wrote them to the log).
   */
  async applyAudited(changes: readonly AuditedMembershipChange[]): Promise<AuditedOutcome[]> {
    const outcomes: AuditedOutcome[] = changes.map(() => ({ applied: false }));
    const now = new Date();
    const adds: number[] = [];
    const removes: number[] = [];
    changes.forEach((c, i) => (c.op === 'add' ? adds : removes).push(i));
    for (const part of chunks(adds)) {
      let upserts = part.filter((i) => !changes[i]!.fresh);
      const fresh = part.filter((i) => changes[i]!.fresh);
      if (fresh.length > 0) {
        const taken = await this.insertAudited(
          fresh.map((i) => changes[i]!),
          now,
        );
        fresh.forEach((i, k) => (taken.has(k) ? upserts.push(i) : (outcomes[i] = { applied: true, created: true })));
      }
      // A duplicate key on the upsert is "the membership holds the source already", a creation
      // that raced ours, or a tombstone (an ended membership keeping its ordered-write positions):
      // tombstones are revived, and the second round tells the others apart (the document exists by then).
      for (let round = 0; round < 2 && upserts.length > 0; round++) {
        const refused = await this.upsertAudited(
          upserts.map((i) => changes[i]!),
          now,
          (k, created) => (outcomes[upserts[k]!] = { applied: true, created }),
        );
        upserts = upserts.filter((_, k) => refused.has(k));
        const revived = await this.reviveAudited(
          upserts.map((i) => changes[i]!),
          now,
        );
        upserts.forEach((i, k) => revived.has(k) && (outcomes[i] = { applied: true, created: true }));
        upserts = upserts.filter((_, k) => !revived.has(k));
      }
    }
    for (const part of chunks(removes)) {
      const ids = part.map((i) => membershipId(changes[i]!.groupId, changes[i]!.userId));
      await this.collection.bulkWrite(
        part.map((i, k) => {
          const c = changes[i]!;
          return {
            updateOne: {
              filter: { _id: ids[k], tenantId: c.tenantId, sources: c.source } as never,
              update: { $pull: { sources: c.source }, $push: { pendingAudit: c.event }, $set: { updatedAt: now } } as never,
            },
          };
        }),
        { ordered: false },
      );
      // The removals that applied are the ones whose event is on the membership now.
      const tenants = [...new Set(part.map((i) => changes[i]!.tenantId))];
      const docs = (await this.collection.find({ _id: { $in: ids }, tenantId: { $in: tenants } } as never, { projection: { sources: 1, pendingAudit: 1 } }).toArray()) as unknown as MembershipDoc[];
      const byId = new Map(docs.map((d) => [d._id, d]));
      part.forEach((i, k) => {
        const doc = byId.get(ids[k]!);
        if (!doc?.pendingAudit?.some((e) => e._id === changes[i]!.event._id)) return;
        const ended = doc.sources.length === 0;
        outcomes[i] = ended ? { applied: true, ended, waiting: doc.pendingAudit } : { applied: true, ended };
      });
    }
    return outcomes;
  }

  /** Fresh adds in one unordered insert; returns the positions a duplicate key refused (the membership exists). */
  private async insertAudited(changes: readonly AuditedMembershipChange[], now: Date): Promise<Set<number>> {
    return insertManyRefused(
      this.collection,
      changes.map((c) => ({
        _id: membershipId(c.groupId, c.userId),
        tenantId: c.tenantId,
        groupId: c.groupId,
        userId: c.userId,
        role: 'member',
        sources: [c.source],
        pendingAudit: [c.event],
        createdAt: now,
        updatedAt: now,
      })),
    );
  }

  /** Adds by conditional upsert ("lacks the source"); reports each one applied, returns the positions a duplicate key refused. */
  private async upsertAudited(changes: readonly AuditedMembershipChange[], now: Date, applied: (position: number, created: boolean) => void): Promise<Set<number>> {
    const ops = changes.map((c) => ({
      updateOne: {
        // With `groupId`: a tombstone (none) is refused by the key and revived by reviveAudited.
        filter: { _id: membershipId(c.groupId, c.userId), tenantId: c.tenantId, groupId: c.groupId, sources: { $ne: c.source } } as never,
        update: {
          $addToSet: { sources: c.source },
          $push: { pendingAudit: c.event },
          $set: { updatedAt: now },
          $setOnInsert: { tenantId: c.tenantId, groupId: c.groupId, userId: c.userId, role: 'member', createdAt: now },
        } as never,
        upsert: true,
      },
    }));
    let upserted: Record<number, unknown>;
    let refused = new Set<number>();
    try {
      upserted = (await this.collection.bulkWrite(ops, { ordered: false })).upsertedIds;
    } catch (err) {
      const taken = duplicateKeyIndexes(err);
      const result = (err as { result?: { upsertedIds?: Record<number, unknown> } }).result;
      if (!taken || !result?.upsertedIds) throw err;
      refused = taken;
      upserted = result.upsertedIds;
    }
    // Every op the index did not refuse matched a membership lacking the source (so changed it) or created one.
    changes.forEach((_, k) => {
      if (!refused.has(k)) applied(k, upserted[k] !== undefined);
    });
    return refused;
  }

  /** Adds that find a tombstone make it a membership again, with the event; returns the positions revived. */
  private async reviveAudited(changes: readonly AuditedMembershipChange[], now: Date): Promise<Set<number>> {
    const revived = new Set<number>();
    if (changes.length === 0) return revived;
    const res = await this.collection.bulkWrite(
      changes.map((c) => ({
        updateOne: {
          filter: { _id: membershipId(c.groupId, c.userId), tenantId: c.tenantId, ...TOMBSTONE } as never,
          update: { $set: { groupId: c.groupId, userId: c.userId, role: 'member', sources: [c.source], pendingAudit: [c.event], createdAt: now, updatedAt: now }, $unset: { endedAt: '' } } as never,
        },
      })),
      { ordered: false },
    );
    if (res.modifiedCount === 0) return revived;
    // Which ones: the revived memberships carry this change's event.
    const docs = (await this.collection
      .find({ _id: { $in: changes.map((c) => membershipId(c.groupId, c.userId)) }, tenantId: { $in: [...new Set(changes.map((c) => c.tenantId))] } } as never, { projection: { pendingAudit: 1 } })
      .toArray()) as unknown as MembershipDoc[];
    const byId = new Map(docs.map((d) => [d._id, d]));
    changes.forEach((c, k) => {
      if (byId.get(membershipId(c.groupId, c.userId))?.pendingAudit?.some((e) => e._id === c.event._id)) revived.add(k);
    });
    return revived;
  }

  /**
   * These events are in the log: pulls each from its membership (one bulk), then deletes the
   * memberships `emptied` names if they are still without a source. Whoever ended a membership
   * deletes it, after writing every event waiting on it: an empty membership takes no new event
   * (an add makes it non-empty, a removal needs the source), so none is lost with it.
   */
  async settleAudited(pulls: readonly { tenantId: string; membershipId: string; eventId: string }[], emptied: readonly { tenantId: string; membershipId: string }[] = []): Promise<void> {
    for (const part of chunks(pulls)) {
      await this.collection.bulkWrite(
        part.map(({ tenantId, membershipId: _id, eventId }) => ({ updateOne: { filter: { _id, tenantId } as never, update: { $pull: { pendingAudit: { _id: eventId } } } as never } })),
        { ordered: false },
      );
    }
    // Ended memberships that carry ordered-write positions stay as tombstones (see endMemberships).
    for (const part of chunks(emptied)) {
      const tenants = [...new Set(part.map((e) => e.tenantId))];
      await this.endMemberships({ _id: { $in: part.map((e) => e.membershipId) }, tenantId: { $in: tenants }, sources: { $size: 0 } });
    }
  }

  /**
   * Audit events still waiting on these memberships to be written (`pendingAudit`), id and time,
   * per membership id: the change-event sequencer holds a (group, user)'s later events until these
   * are in the log. Served by `_id`.
   */
  async waitingAuditsOf(tenantId: string, ids: readonly string[]): Promise<Map<string, { id: string; at: Date }[]>> {
    const out = new Map<string, { id: string; at: Date }[]>();
    if (ids.length === 0) return out;
    const docs = (await this.collection.find({ _id: { $in: [...ids] }, tenantId } as never, { projection: { 'pendingAudit._id': 1, 'pendingAudit.at': 1 } }).toArray()) as unknown as {
      _id: string;
      pendingAudit?: { _id: string; at: Date }[];
    }[];
    for (const d of docs)
      if (d.pendingAudit?.length)
        out.set(
          d._id,
          d.pendingAudit.map((w) => ({ id: w._id, at: w.at })),
        );
    return out;
  }

  /** Memberships holding audit events older than `cutoff` that a crashed worker left unwritten. */
  async withAuditsPendingBefore(cutoff: Date, limit: number): Promise<MembershipWithPendingAudit[]> {
    return (await this.collection
      .find({ 'pendingAudit.at': { $lte: cutoff } } as never, { projection: { tenantId: 1, sources: 1, pendingAudit: 1 } })
      .limit(limit)
      .toArray()) as unknown as MembershipWithPendingAudit[];
  }

  /** Deletes these users' memberships of the group, whatever their sources. */
  async deleteOfUsers(tenantId: string, groupId: string, userIds: readonly string[]): Promise<void> {
    await this.collection.deleteMany({ _id: { $in: userIds.map((u) => membershipId(groupId, u)) }, tenantId } as never);
  }
}
