import type { AuditEventDoc, Models } from '../../persistence/models';
import { membershipId, type AuditedMembershipChange, type AuditedOutcome, type MembershipsRepository } from '../../persistence/memberships-repository';
import { newTimeOrderedId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import type { AccessEvents } from '../access-events';
import { Batcher } from '../batcher';
import { membershipDifferences } from '../permissions/access-difference';
import { permissionEngine } from '../permissions/engine';

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
 * Applies rule-derived source changes, each audited exactly once: one event per membership a rule
 * added or removed, actor `{type: 'rule', id}` (an operator filters the log on actor type 'rule'
 * or on actions `membership.added` / `membership.removed` to see every auto-assignment).
 *
 * The event is committed with the change it describes: the membership's own update carries it
 * (`pendingAudit`), and applies only if it changes something (an add where the source is missing,
 * a removal where it is present). Then the events go to the log and are pulled from the
 * memberships. A worker killed in between leaves them on the memberships for the sweeper; a
 * resumed run finds those changes made and makes no second event; two writers of the same
 * membership (a rule run and a user's job) make one change, so one event. Concurrent callers share
 * the round trips (group commit, as the API's user audit events): a user's job costs a share of
 * one bulk write, one insert of events and one settle, whatever its number of rules.
 */
export async function applySourceChanges(writer: MembershipWriter, tenantId: string, changes: readonly SourceChange[]): Promise<AppliedTotals> {
  const totals: AppliedTotals = { added: 0, removed: 0 };
  if (writer.signal?.aborted) throw new Error('membership changes aborted: the worker is stopping');
  const at = new Date();
  const items: AuditedMembershipChange[] = [];
  for (const change of changes) {
    const actor = { type: 'rule' as const, id: change.ruleId };
    const why = { ...(change.expression !== undefined ? { expression: change.expression } : {}), ...(change.trigger ? { trigger: change.trigger } : {}) };
    const object = { type: 'Group', id: change.groupId };
    const { groupId, source } = change;
    for (const userId of change.add) {
      items.push({
        tenantId,
        groupId,
        userId,
        source,
        op: 'add',
        fresh: change.fresh?.has(userId) ?? false,
        event: { _id: newTimeOrderedId('evt', 16), tenantId, at, actor, object, action: 'membership.added', after: { userId, source, ...why } },
      });
    }
    for (const userId of change.remove) {
      items.push({
        tenantId,
        groupId,
        userId,
        source,
        op: 'remove',
        event: { _id: newTimeOrderedId('evt', 16), tenantId, at, actor, object, action: 'membership.removed', before: { userId, source }, after: { userId, ...why } },
      });
    }
  }
  const outcomes = await auditedWriterOf(writer).submit(items);
  const touched = new Map<string, string[]>();
  items.forEach((item, i) => {
    const outcome = outcomes[i]!;
    if (!outcome.applied) return;
    if (item.op === 'add') totals.added++;
    else totals.removed++;
    if (outcome.created || outcome.ended) (touched.get(item.groupId) ?? touched.set(item.groupId, []).get(item.groupId)!).push(item.userId);
  });
  for (const [groupId, userIds] of touched) notifyAccessChanges(writer.accessEvents, tenantId, groupId, userIds);
  return totals;
}

/**
 * Two flushes may run at once: each is a complete unit (its memberships, their events, their
 * settle), ordered against other writers by the memberships' own updates as a second worker's
 * would be, so a rule run's next chunk uses the database while its last one is being written.
 */
const AUDITED_FLUSHES = { concurrentFlushes: 2 };

const auditedWriters = new WeakMap<MembershipsRepository, Batcher<AuditedMembershipChange, AuditedOutcome>>();

/** One group-commit writer per memberships repository (i.e. per database connection of the process). */
function auditedWriterOf(writer: MembershipWriter): Batcher<AuditedMembershipChange, AuditedOutcome> {
  let batcher = auditedWriters.get(writer.memberships);
  if (!batcher) {
    const { memberships } = writer;
    const auditEvents = repositoriesOf(writer.models).auditEvents;
    batcher = new Batcher(async (items) => {
      const outcomes = await memberships.applyAudited(items);
      const done = items.flatMap((item, i) => (outcomes[i]!.applied ? [{ item, outcome: outcomes[i]!, id: membershipId(item.groupId, item.userId) }] : []));
      const events = new Map(done.map(({ item, outcome }) => [item.event._id, withOutcome(item.event, outcome)]));
      await withAccessDifferences(writer.models, done, events);
      // A membership this flush ended goes once every event on it is written, other writers' too (fixed ids: once).
      const emptied = done.filter(({ outcome }) => outcome.ended);
      for (const { outcome } of emptied) for (const e of outcome.waiting ?? []) if (!events.has(e._id)) events.set(e._id, e);
      await auditEvents.insertMany([...events.values()]);
      await memberships.settleAudited(
        done.map(({ item, id }) => ({ tenantId: item.tenantId, membershipId: id, eventId: item.event._id })),
        [...new Map(emptied.map(({ item, id }) => [id, { tenantId: item.tenantId, membershipId: id }])).values()],
      );
      return outcomes;
    }, AUDITED_FLUSHES);
    auditedWriters.set(writer.memberships, batcher);
  }
  return batcher;
}

/**
 * `access.changed` of the memberships this flush created or ended: per user, their access now
 * against their access without the groups they joined and with those they left (computed here,
 * where the moves are known, not from history: src/domain/permissions/access-difference.ts). A
 * source added to or removed from a membership that stays changes no access.
 */
async function withAccessDifferences(models: Models, done: readonly { item: AuditedMembershipChange; outcome: AuditedOutcome }[], events: Map<string, AuditEventDoc>): Promise<void> {
  const moves = done.flatMap(({ item, outcome }): MembershipMove[] => {
    if (outcome.created) return [{ tenantId: item.tenantId, userId: item.userId, groupId: item.groupId, source: item.source, joined: true, eventId: item.event._id }];
    if (outcome.ended) return [{ tenantId: item.tenantId, userId: item.userId, groupId: item.groupId, source: item.source, joined: false, eventId: item.event._id }];
    return [];
  });
  await attachAccessDifferences(models, moves, events);
}

/** A membership a write created (`joined`) or ended, and the audit event that says so. */
export interface MembershipMove {
  tenantId: string;
  userId: string;
  groupId: string;
  source: string;
  joined: boolean;
  eventId: string;
}

/**
 * Puts each moved user's access difference on their last event of `moves` (`state.effective`),
 * so that their `access.changed` follows the membership change in the feed. Used by the worker's
 * membership write and by the recovery of its events (src/domain/recovery/pending-membership-audits.ts).
 */
export async function attachAccessDifferences(models: Models, moves: readonly MembershipMove[], events: Map<string, AuditEventDoc>): Promise<void> {
  const byTenant = new Map<string, Map<string, { joined: { groupId: string; source: string }[]; left: string[]; lastEvent: string }>>();
  for (const m of moves) {
    const users = byTenant.get(m.tenantId) ?? byTenant.set(m.tenantId, new Map()).get(m.tenantId)!;
    const move = users.get(m.userId) ?? users.set(m.userId, { joined: [], left: [], lastEvent: m.eventId }).get(m.userId)!;
    if (m.joined) move.joined.push({ groupId: m.groupId, source: m.source });
    else move.left.push(m.groupId);
    move.lastEvent = m.eventId;
  }
  const engine = permissionEngine(models);
  for (const [tenantId, users] of byTenant) {
    const differences = await membershipDifferences(engine, tenantId, users);
    for (const [userId, difference] of differences) {
      const id = users.get(userId)!.lastEvent;
      const event = events.get(id);
      if (event) events.set(id, { ...event, state: { ...(event.state as Record<string, unknown> | undefined), effective: [difference] } });
    }
  }
}

/** The event as logged: with what the write found (the copy on the membership was made before it knew). */
function withOutcome(event: AuditEventDoc, outcome: AuditedOutcome): AuditEventDoc {
  const after = { ...(event.after as Record<string, unknown>) };
  if (outcome.created !== undefined) after.membershipCreated = outcome.created;
  if (outcome.ended !== undefined) after.membershipEnded = outcome.ended;
  return { ...event, after };
}

function notifyAccessChanges(events: AccessEvents | undefined, tenantId: string, groupId: string, userIds: readonly string[]) {
  if (!events || userIds.length === 0) return;
  if (userIds.length > PER_USER_EVENTS_UP_TO) {
    events.emit({ tenantId, kind: 'membership', groupId });
    return;
  }
  for (const userId of userIds) events.emit({ tenantId, kind: 'membership', groupId, userId });
}
