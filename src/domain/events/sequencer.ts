import type { AuditEventDoc, ChangeEventDoc, Models } from '../../persistence/models';
import { newId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import { isDoubleWrite } from '../../persistence/change-events-repository';
import { membershipId } from '../../persistence/memberships-repository';
import { changeEventsOf } from './catalogue';

/** Audit events read per pass. */
export const SEQUENCE_BATCH = 500;
/** How long a pass may hold a tenant's writer lease: longer than any pass, short enough that a dead pass delays the feed little. */
const LEASE_MS = 15_000;

/** This process's name as a lease owner (one per process: passes of one process for one tenant are serialized below). */
const processOwner = newId('seqr', 9);
const running = new Map<string, Promise<PassResult>>();

export interface PassResult {
  /** Audit events handled (sequenced, or found sequenced already). */
  handled: number;
  /** Change events committed. */
  committed: number;
  /** Audit events left for a later pass because an older event of their object is still being written. */
  held: number;
  /** Another writer held the lease. */
  busy: boolean;
}

/**
 * One sequencing pass for a tenant (docs/events.md): turns up to SEQUENCE_BATCH audit events
 * into change events with the next `seq` numbers and commits them by advancing the high-water
 * mark. Single writer per tenant by a lease; a concurrent call of this process for the same tenant
 * waits for the running pass instead of starting another.
 */
export function sequenceTenant(models: Models, tenantId: string): Promise<PassResult> {
  const key = tenantId;
  const previous = running.get(key);
  const next = (previous ?? Promise.resolve()).catch(() => undefined).then(() => pass(models, tenantId));
  running.set(key, next);
  void next
    .finally(() => {
      if (running.get(key) === next) running.delete(key);
    })
    .catch(() => undefined);
  return next;
}

/** Passes until the tenant has nothing waiting that can go now (bounded by `maxPasses`). */
export async function sequenceTenantFully(models: Models, tenantId: string, maxPasses = 20): Promise<PassResult> {
  const total: PassResult = { handled: 0, committed: 0, held: 0, busy: false };
  for (let i = 0; i < maxPasses; i++) {
    const r = await sequenceTenant(models, tenantId);
    total.handled += r.handled;
    total.committed += r.committed;
    total.held = r.held;
    total.busy = r.busy;
    if (r.busy || r.handled === 0 || r.handled + r.held < SEQUENCE_BATCH) break;
  }
  return total;
}

/** Every tenant with audit events waiting (the sweeper's tick). */
export async function sequenceAllTenants(models: Models): Promise<number> {
  let committed = 0;
  for (const tenantId of await repositoriesOf(models).auditEvents.tenantsWithUnsequenced()) {
    committed += (await sequenceTenantFully(models, tenantId)).committed;
  }
  return committed;
}

async function pass(models: Models, tenantId: string): Promise<PassResult> {
  const repos = repositoriesOf(models);
  const feed = repos.changeEvents;
  const state = await feed.takeLease(tenantId, processOwner, LEASE_MS);
  if (!state) return { handled: 0, committed: 0, held: 0, busy: true };
  try {
    // Slots above the mark are a dead pass's: never served, so free to reuse.
    await feed.deleteUncommitted(tenantId, state.committed);
    const first = await repos.auditEvents.unsequenced(tenantId, SEQUENCE_BATCH);
    if (first.length === 0) return { handled: 0, committed: 0, held: 0, busy: false };
    const keys = [...new Set(first.flatMap(holdKeysOf))];
    // Documents before the second read: an event inserted and pulled from its document meanwhile is in the second read.
    const waiting = await waitingAudits(models, tenantId, keys);
    const batch = causesFirst(await repos.auditEvents.unsequenced(tenantId, SEQUENCE_BATCH));
    const { ready, held } = withoutHeld(batch, new Set(keys), waiting);

    const done = await feed.sequencedAuditIds(
      tenantId,
      ready.map((a) => a._id),
    );
    const todo = ready.filter((a) => !done.has(a._id));
    const sequencedAt = new Date();
    const events: ChangeEventDoc[] = [];
    for (const audit of todo) {
      changeEventsOf(audit).forEach((e, part) => {
        events.push({
          _id: part === 0 ? audit._id : `${audit._id}.${part}`,
          tenantId,
          seq: state.committed + events.length + 1,
          auditId: audit._id,
          part,
          type: e.type,
          occurredAt: audit.at,
          sequencedAt,
          actor: audit.actor,
          object: e.object,
          data: e.data,
        });
      });
    }
    try {
      await feed.insert(events);
    } catch (err) {
      // Another writer took the lease and wrote these slots: our events are its garbage now.
      if (isDoubleWrite(err)) return { handled: 0, committed: 0, held: held.length, busy: true };
      throw err;
    }
    if (events.length > 0 && !(await feed.commit(tenantId, processOwner, state.committed, state.committed + events.length))) {
      return { handled: 0, committed: 0, held: held.length, busy: true };
    }
    await repos.auditEvents.markSequenced(
      tenantId,
      ready.map((a) => a._id),
    );
    return { handled: ready.length, committed: events.length, held: held.length, busy: false };
  } finally {
    await feed.releaseLease(tenantId, processOwner);
  }
}

/**
 * Audit events of one instant in cause order: the automatic memberships a user change starts
 * carry its time and name it (`trigger`), and come after it rather than in id order.
 */
function causesFirst(batch: AuditEventDoc[]): AuditEventDoc[] {
  const caused = (a: AuditEventDoc) => ((a.after as { trigger?: unknown } | undefined)?.trigger !== undefined ? 1 : 0);
  return [...batch].sort((a, b) => a.at.getTime() - b.at.getTime() || caused(a) - caused(b) || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
}

type Waiting = Map<string, { id: string; at: Date }[]>;

const MEMBERSHIP_AUDITS = new Set(['membership.added', 'membership.removed', 'group.member.added', 'group.member.removed']);

/**
 * The documents whose waiting audit events an audit event must not overtake: its object's; and
 * for a membership change (object: the group) also the user's (automatic memberships travel on
 * the user's write) and the membership's own (`pendingAudit` of a rule, mapping or dynamic-group
 * change: exactly-once audit recovery writes those a crash left behind, possibly after a later
 * change of the same membership was written).
 */
export function holdKeysOf(audit: Pick<AuditEventDoc, 'action' | 'object' | 'before' | 'after'>): string[] {
  if (audit.action === 'invitation.accepted') return invitationHoldKeys(audit);
  if (!MEMBERSHIP_AUDITS.has(audit.action)) return [audit.object.id];
  const userId = (audit.after as { userId?: unknown } | undefined)?.userId ?? (audit.before as { userId?: unknown } | undefined)?.userId;
  if (typeof userId !== 'string') return [audit.object.id];
  return [audit.object.id, userId, membershipId(audit.object.id, userId)];
}

/**
 * An accepted invitation adds the user to groups as the user is created (both at once): its
 * member events wait for the user's own older event (its `user.created`), for the groups' and for
 * the memberships' (a consumer drops a member event of a user it does not know yet).
 */
function invitationHoldKeys(audit: Pick<AuditEventDoc, 'object' | 'after'>): string[] {
  const after = (audit.after ?? {}) as { userId?: unknown; groups?: unknown };
  if (typeof after.userId !== 'string') return [audit.object.id];
  const userId = after.userId;
  const groupIds = (Array.isArray(after.groups) ? (after.groups as { groupId?: unknown }[]) : []).map((g) => g.groupId).filter((g): g is string => typeof g === 'string');
  return [audit.object.id, userId, ...groupIds, ...groupIds.map((g) => membershipId(g, userId))];
}

/** Audit events still waiting on these documents to be written (users, groups, memberships, deletion intents), per key. */
async function waitingAudits(models: Models, tenantId: string, keys: string[]): Promise<Waiting> {
  const repos = repositoriesOf(models);
  const documentIds = keys.filter((k) => !k.includes('|'));
  const [users, groups, intents, memberships] = await Promise.all([
    repos.users.waitingAuditsOf(tenantId, documentIds),
    repos.groups.waitingAuditsOf(tenantId, documentIds),
    repos.pendingChanges.waitingAuditsOf(tenantId, documentIds),
    repos.memberships.waitingAuditsOf(
      tenantId,
      keys.filter((k) => k.includes('|')),
    ),
  ]);
  const all: Waiting = new Map();
  for (const source of [users, groups, intents, memberships]) for (const [id, list] of source) all.set(id, [...(all.get(id) ?? []), ...list]);
  return all;
}

/**
 * The batch without the events that must wait: of objects whose documents were not read (they
 * joined in the second read: next pass), and of objects with an older audit event still waiting
 * to be written and not in the batch (an object's events go in its commit order).
 */
function withoutHeld(batch: AuditEventDoc[], checked: Set<string>, waiting: Waiting): { ready: AuditEventDoc[]; held: AuditEventDoc[] } {
  const inBatch = new Set(batch.map((a) => a._id));
  const holdFrom = new Map<string, number>();
  for (const [objectId, list] of waiting) {
    const outstanding = list.filter((w) => !inBatch.has(w.id)).map((w) => w.at.getTime());
    if (outstanding.length) holdFrom.set(objectId, Math.min(...outstanding));
  }
  const ready: AuditEventDoc[] = [];
  const held: AuditEventDoc[] = [];
  for (const a of batch) {
    const keys = holdKeysOf(a);
    const from = Math.min(...keys.map((k) => holdFrom.get(k) ?? Infinity));
    if (!keys.every((k) => checked.has(k)) || a.at.getTime() >= from) held.push(a);
    else ready.push(a);
  }
  return { ready, held };
}
