import type { Models } from '../../persistence/models';
import type { MembershipsRepository } from '../../persistence/memberships-repository';
import { newId } from '../../persistence/ids';
import type { AccessEvents } from '../access-events';

/** One rule's delta on one group: add its source for some users, remove it for others. */
export interface SourceChange {
  groupId: string;
  source: string;
  /** The rule that decided (a dynamic group's rule for source 'dynamic'): the audit actor. */
  ruleId: string;
  add: readonly string[];
  remove: readonly string[];
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
  const events: Record<string, unknown>[] = [];
  try {
    for (const change of changes) {
      if (change.add.length === 0 && change.remove.length === 0) continue;
      if (writer.signal?.aborted) throw new Error('membership changes aborted: the worker is stopping');
      const created = change.add.length ? new Set(await writer.memberships.addSource(tenantId, change.groupId, change.add, change.source)) : new Set<string>();
      const ended = change.remove.length ? new Set(await writer.memberships.removeSource(tenantId, change.groupId, change.remove, change.source)) : new Set<string>();
      const at = new Date();
      const actor = { type: 'rule' as const, id: change.ruleId };
      const object = { type: 'Group', id: change.groupId };
      events.push(
        ...change.add.map((userId) => ({
          _id: newId('evt', 16), tenantId, at, actor, object, action: 'membership.added',
          after: { userId, source: change.source, membershipCreated: created.has(userId) },
        })),
        ...change.remove.map((userId) => ({
          _id: newId('evt', 16), tenantId, at, actor, object, action: 'membership.removed',
          before: { userId, source: change.source }, after: { userId, membershipEnded: ended.has(userId) },
        })),
      );
      totals.added += change.add.length;
      totals.removed += change.remove.length;
      notifyAccessChanges(writer.accessEvents, tenantId, change.groupId, [...created, ...ended]);
    }
  } finally {
    // Written even when a later change fails: the ones applied are audited.
    if (events.length) await writer.models.AuditEvent.collection.insertMany(events as never[], { ordered: false });
  }
  return totals;
}

function notifyAccessChanges(events: AccessEvents | undefined, tenantId: string, groupId: string, userIds: readonly string[]) {
  if (!events || userIds.length === 0) return;
  if (userIds.length > PER_USER_EVENTS_UP_TO) {
    events.emit({ tenantId, kind: 'membership', groupId });
    return;
  }
  for (const userId of userIds) events.emit({ tenantId, kind: 'membership', groupId, userId });
}
