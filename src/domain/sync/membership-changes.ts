import type { AuditEventDoc, Models } from '../../persistence/models';
import type { MembershipsRepository } from '../../persistence/memberships-repository';
import { newId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import type { AccessEvents } from '../access-events';

/** One rule's delta on one group: add its source for some users, remove it for others. */
export interface SourceChange {
  groupId: string;
  source: string;
  /** The rule that decided (a dynamic group's rule for source 'dynamic'): the audit actor. */
  ruleId: string;
  add: readonly string[];
  remove: readonly string[];
  /**
   * Of `add`, users known to have no membership in the group at all (a full run reads the
   * group's members once): they are inserted in one batch, without the per-user lookup.
   */
  fresh?: ReadonlySet<string>;
  /** The rule's expression, when known: the audit event says what the user matched (or stopped matching). */
  expression?: string;
  /** What made the user's evaluation run (their last change), for the audit events of `add` and `remove`. */
  trigger?: Record<string, unknown>;
}

export interface AppliedTotals {
  added: number;
  removed: number;
}

export interface MembershipWriter {
  models: Models;
  memberships: MembershipsRepository;
  accessEvents?: AccessEvents;
  /** Once aborted (the worker is being killed or stopped), no further membership is written. */
  signal?: AbortSignal;
}

/** Above this many users in one change, permission caches are told "this group changed" once instead of per user. */
const PER_USER_EVENTS_UP_TO = 100;

/**
 * Applies rule-derived source changes with the memberships repository (bulk upserts and pulls,
 * so one source never removes another's), then writes one audit event per membership a rule
 * added or removed, actor `{type: 'rule', id}`: an operator filters the log on actor type 'rule'
 * or on actions `membership.added` / `membership.removed` to see every auto-assignment.
 */
export async function applySourceChanges(writer: MembershipWriter, tenantId: string, changes: readonly SourceChange[]): Promise<AppliedTotals> {
  const totals: AppliedTotals = { added: 0, removed: 0 };
  // One audit write for the whole call: a user matching many rules costs one insert, not one per rule.
  const events: AuditEventDoc[] = [];
  try {
    for (const change of changes) {
      if (change.add.length === 0 && change.remove.length === 0) continue;
      if (writer.signal?.aborted) throw new Error('membership changes aborted: the worker is stopping');
      const created = change.add.length ? await addSource(writer, tenantId, change) : new Set<string>();
      const ended = change.remove.length ? new Set(await writer.memberships.removeSource(tenantId, change.groupId, change.remove, change.source)) : new Set<string>();
      const at = new Date();
      const actor = { type: 'rule' as const, id: change.ruleId };
      const why = { ...(change.expression !== undefined ? { expression: change.expression } : {}), ...(change.trigger ? { trigger: change.trigger } : {}) };
      const object = { type: 'Group', id: change.groupId };
      events.push(
        ...change.add.map((userId) => ({
          _id: newId('evt', 16), tenantId, at, actor, object, action: 'membership.added',
          after: { userId, source: change.source, membershipCreated: created.has(userId), ...why },
        })),
        ...change.remove.map((userId) => ({
          _id: newId('evt', 16), tenantId, at, actor, object, action: 'membership.removed',
          before: { userId, source: change.source }, after: { userId, membershipEnded: ended.has(userId), ...why },
        })),
      );
      totals.added += change.add.length;
      totals.removed += change.remove.length;
      notifyAccessChanges(writer.accessEvents, tenantId, change.groupId, [...created, ...ended]);
    }
  } finally {
    // Written even when a later change fails: the ones applied are audited.
    await repositoriesOf(writer.models).auditEvents.insertMany(events);
  }
  return totals;
}

/**
 * Adds the change's source: users known to be fresh are inserted in one unordered batch; one
 * whose membership appeared meanwhile (duplicate key) and everyone else go through the
 * repository's addSource, which looks memberships up first.
 */
async function addSource(writer: MembershipWriter, tenantId: string, change: SourceChange): Promise<Set<string>> {
  const fresh = change.fresh ? change.add.filter((u) => change.fresh!.has(u)) : [];
  const rest = change.fresh ? change.add.filter((u) => !change.fresh!.has(u)) : [...change.add];
  const created = new Set<string>();
  if (fresh.length > 0) {
    for (const u of await writer.memberships.createIfAbsent(tenantId, change.groupId, fresh, change.source, 'member')) created.add(u);
    rest.push(...fresh.filter((u) => !created.has(u)));
  }
  if (rest.length > 0) for (const u of await writer.memberships.addSource(tenantId, change.groupId, rest, change.source)) created.add(u);
  return created;
}

function notifyAccessChanges(events: AccessEvents | undefined, tenantId: string, groupId: string, userIds: readonly string[]) {
  if (!events || userIds.length === 0) return;
  if (userIds.length > PER_USER_EVENTS_UP_TO) {
    events.emit({ tenantId, kind: 'membership', groupId });
    return;
  }
  for (const userId of userIds) events.emit({ tenantId, kind: 'membership', groupId, userId });
}
