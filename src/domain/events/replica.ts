/**
 * A consumer of the change-event feed that rebuilds users, SCIM groups and memberships from it
 * (docs/events.md, "Rebuilding state from events"): the reference for vendors, and what the replay
 * test and the crash test check the feed with. Apply events in feed order, from the start.
 */
export interface FeedEvent {
  type: string;
  object: { id: string; version?: number };
  data: Record<string, unknown>;
}

/** A string field of an event's data ('' when absent: the feed's payloads are documented in docs/events.md). */
const text = (data: Record<string, unknown>, key: string): string => (typeof data[key] === 'string' ? data[key] : '');
const record = (value: unknown): Record<string, unknown> => (value && typeof value === 'object' ? (value as Record<string, unknown>) : {});

export class EventReplica {
  readonly users = new Map<string, { attrs: Record<string, unknown>; version?: number }>();
  readonly groups = new Map<string, Record<string, unknown>>();
  /** `groupId|userId` → the membership's sources; a membership lasts while it has one. */
  readonly memberships = new Map<string, Set<string>>();

  apply(e: FeedEvent): void {
    const id = e.object.id;
    switch (e.type) {
      case 'user.created':
      case 'user.updated':
      case 'user.deactivated':
      case 'user.reactivated':
        this.users.set(id, { attrs: record(record(e.data.user).attrs), version: e.object.version });
        break;
      case 'user.deleted':
        this.users.delete(id);
        this.dropWhere((groupId, userId) => userId === id);
        break;
      case 'group.created':
      case 'group.updated':
        this.groups.set(id, record(e.data.group));
        // A recovered full-list change names the whole list (what its dead request wrote is not known).
        if (Array.isArray(e.data.membersReplacedWith)) this.replaceSource(id, 'scim', e.data.membersReplacedWith as string[]);
        break;
      case 'group.deleted':
        this.groups.delete(id);
        this.dropWhere((groupId) => groupId === id);
        break;
      case 'group.member_added': {
        // An invitation's membership is kept under `membershipSource` (manual), what its removal names.
        const [groupId, userId, source] = [text(e.data, 'groupId'), text(e.data, 'userId'), typeof e.data.membershipSource === 'string' ? e.data.membershipSource : text(e.data, 'source')];
        // A recovered change lists the users it asked for; one deleted since is not a member.
        if (this.users.has(userId)) this.sources(groupId, userId, true).add(source);
        break;
      }
      case 'group.member_removed': {
        const [groupId, userId, source] = [text(e.data, 'groupId'), text(e.data, 'userId'), text(e.data, 'source')];
        const sources = this.sources(groupId, userId, false);
        sources.delete(source);
        if (sources.size === 0) this.memberships.delete(`${groupId}|${userId}`);
        break;
      }
    }
  }

  /** The users holding `source` in the group, sorted. */
  holders(groupId: string, source: string): string[] {
    return [...this.memberships]
      .filter(([key, sources]) => key.startsWith(`${groupId}|`) && sources.has(source))
      .map(([key]) => key.split('|')[1]!)
      .sort();
  }

  private sources(groupId: string, userId: string, create: boolean): Set<string> {
    const key = `${groupId}|${userId}`;
    let set = this.memberships.get(key);
    if (!set) {
      set = new Set();
      if (create) this.memberships.set(key, set);
    }
    return set;
  }

  private replaceSource(groupId: string, source: string, userIds: string[]): void {
    const want = new Set(userIds.filter((u) => this.users.has(u)));
    for (const u of this.holders(groupId, source)) if (!want.has(u)) this.apply({ type: 'group.member_removed', object: { id: groupId }, data: { groupId, userId: u, source } });
    for (const u of want) this.sources(groupId, u, true).add(source);
  }

  private dropWhere(match: (groupId: string, userId: string) => boolean): void {
    for (const key of [...this.memberships.keys()]) {
      const [groupId, userId] = key.split('|') as [string, string];
      if (match(groupId, userId)) this.memberships.delete(key);
    }
  }
}
