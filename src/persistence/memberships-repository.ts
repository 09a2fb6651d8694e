import type { Models, MembershipDoc, MembershipRole } from './models';

const CHUNK = 1000;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const membershipId = (groupId: string, userId: string) => `${groupId}|${userId}`;

/**
 * Memberships live in their own collection (DESIGN.md §2, §6), one document per (group, user)
 * with the set of sources holding it. Adding a source is one atomic upsert; removing one is a
 * $pull followed by deleting documents left with no source, so one source never removes another's.
 * Large changes go through unordered bulk writes in chunks.
 */
export class MembershipsRepository {
  constructor(private readonly models: Models) {}

  /** Adds `source` to each (group, user); returns the user ids that were not members before. */
  async addSource(tenantId: string, groupId: string, userIds: readonly string[], source: string, role: MembershipRole = 'member'): Promise<string[]> {
    const created: string[] = [];
    const now = new Date();
    for (const part of chunks([...new Set(userIds)])) {
      const res = await this.models.Membership.collection.bulkWrite(
        part.map((userId) => ({
          updateOne: {
            filter: { _id: membershipId(groupId, userId) } as never,
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
      for (const [index] of Object.entries(res.upsertedIds)) created.push(part[Number(index)]!);
    }
    return created;
  }

  /** Removes `source` from each (group, user); returns the user ids whose membership ended. */
  async removeSource(tenantId: string, groupId: string, userIds: readonly string[], source: string): Promise<string[]> {
    const ended: string[] = [];
    for (const part of chunks([...new Set(userIds)])) {
      const ids = part.map((u) => membershipId(groupId, u));
      await this.models.Membership.collection.bulkWrite(
        ids.map((_id) => ({
          updateOne: { filter: { _id, tenantId } as never, update: { $pull: { sources: source } as never, $set: { updatedAt: new Date() } } },
        })),
        { ordered: false },
      );
      const empty = await this.models.Membership.collection
        .find({ _id: { $in: ids }, sources: { $size: 0 } } as never, { projection: { userId: 1 } })
        .toArray();
      if (empty.length > 0) {
        // Deleting only documents still without a source: a concurrent add keeps its membership.
        await this.models.Membership.collection.deleteMany({ _id: { $in: empty.map((d) => d._id) }, sources: { $size: 0 } } as never);
        for (const d of empty) ended.push((d as unknown as MembershipDoc).userId);
      }
    }
    return ended;
  }

  /** Makes `source` hold exactly `userIds` in the group (a full list, e.g. Okta's PUT), applied as a delta. */
  async replaceSource(tenantId: string, groupId: string, userIds: readonly string[], source: string): Promise<{ added: string[]; removed: string[] }> {
    const current = new Set(await this.userIdsOf(tenantId, groupId, source));
    const wanted = new Set(userIds);
    const toAdd = [...wanted].filter((u) => !current.has(u));
    const toRemove = [...current].filter((u) => !wanted.has(u));
    const added = toAdd.length ? await this.addSource(tenantId, groupId, toAdd, source) : [];
    const removed = toRemove.length ? await this.removeSource(tenantId, groupId, toRemove, source) : [];
    return { added, removed };
  }

  async userIdsOf(tenantId: string, groupId: string, source?: string): Promise<string[]> {
    const filter: Record<string, unknown> = { tenantId, groupId };
    if (source) filter.sources = source;
    const docs = await this.models.Membership.collection.find(filter as never, { projection: { userId: 1, _id: 0 } }).toArray();
    return docs.map((d) => (d as unknown as MembershipDoc).userId);
  }

  async countMembers(tenantId: string, groupId: string): Promise<number> {
    return this.models.Membership.countDocuments({ tenantId, groupId });
  }

  /** Group ids per user, for a page of users in one query. */
  async groupIdsOfUsers(tenantId: string, userIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(userIds.map((u) => [u, []]));
    if (userIds.length === 0) return out;
    const docs = await this.models.Membership.collection
      .find({ tenantId, userId: userIds.length === 1 ? userIds[0] : { $in: [...userIds] } } as never, { projection: { userId: 1, groupId: 1 } })
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
}
