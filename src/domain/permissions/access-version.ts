import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { accessEvents as processAccessEvents, type AccessEvents } from '../access-events';

/**
 * Per-tenant counters on the tenant document, bumped after every change that can alter an
 * authorization answer. The permission cache is per process; reading these counters on each
 * authorize (one `_id` lookup) tells a replica that another process
 * changed access, so no replica serves an answer older than the last completed bump.
 *
 * - `accessVersion` moves on every access change (memberships included);
 * - `grantsVersion` moves only on changes to what groups and roles give (roles, assignments,
 *   resource grants, hierarchy, group status), which are rare admin actions. A replica seeing only
 *   `accessVersion` move drops its cached users but keeps the tenant's grant data, so membership
 *   churn from an IdP does not make every replica reload the groups.
 */
export interface AccessVersion {
  access: number;
  grants: number;
}

interface VersionFields {
  accessVersion?: number;
  grantsVersion?: number;
}

const read = (doc: VersionFields | null): AccessVersion => ({ access: doc?.accessVersion ?? 0, grants: doc?.grantsVersion ?? 0 });

/** Bumps the counters; undefined when the tenant does not exist in this database. */
export async function bumpAccessVersion(models: Models, tenantId: string, grantsChanged: boolean): Promise<AccessVersion | undefined> {
  const doc = await repositoriesOf(models).tenants.bumpAccessVersion(tenantId, grantsChanged);
  return doc ? read(doc) : undefined;
}

export async function readAccessVersion(models: Models, tenantId: string): Promise<AccessVersion> {
  return read(await repositoriesOf(models).tenants.readAccessVersion(tenantId));
}

/** What publishAccessChanges returns: `settled` resolves once every change reported before the call is in a bump that has landed. */
export interface AccessChangePublisher {
  settled(): Promise<void>;
  stop(): void;
}

/**
 * For a process that changes access but answers no authorize (the worker, whose rules add and
 * remove memberships): bumps the tenant's counters after each change reported on its bus, so API
 * replicas see the change. An API process does not need it: its permission engine bumps already.
 *
 * Bumps of one tenant are coalesced: while one is in flight, the changes reported meanwhile ask
 * for one more after it (a bump that began before a change may have been read before it), so a
 * rule run's thousands of membership events cost a handful of writes, and the last bump always
 * follows the last change. The worker awaits `settled()` before it completes a job: once a job is
 * done (and sync status says so), every API replica answers with its changes. `settled` waits
 * only for the changes reported before it was called (each bump covers the changes numbered up to
 * its start), so other jobs' steady stream of changes cannot hold it.
 */
export function publishAccessChanges(models: Models, events: AccessEvents = processAccessEvents, onError: (err: unknown) => void = () => undefined): AccessChangePublisher {
  let reported = 0;
  const tenants = new Map<string, { requested: number; landed: number; grants: boolean; running: boolean }>();
  const waiters = new Set<{ targets: [string, number][]; resolve: () => void }>();
  const wake = () => {
    for (const w of waiters) {
      if (w.targets.every(([tenantId, target]) => (tenants.get(tenantId)?.landed ?? Infinity) >= target)) {
        waiters.delete(w);
        w.resolve();
      }
    }
  };
  const run = async (tenantId: string, state: { requested: number; landed: number; grants: boolean; running: boolean }) => {
    state.running = true;
    while (state.landed < state.requested) {
      const covers = state.requested;
      const grants = state.grants;
      state.grants = false;
      // A failed bump (logged) counts as landed: a job must not hang on it; the next change bumps again.
      await bumpAccessVersion(models, tenantId, grants).catch(onError);
      state.landed = covers;
      wake();
    }
    state.running = false;
    // Forgotten once idle (nothing waits on a tenant whose changes have all landed).
    tenants.delete(tenantId);
  };
  const stop = events.on((change) => {
    const state = tenants.get(change.tenantId) ?? { requested: 0, landed: 0, grants: false, running: false };
    tenants.set(change.tenantId, state);
    state.requested = ++reported;
    state.grants ||= change.kind !== 'membership';
    if (!state.running) void run(change.tenantId, state);
  });
  return {
    stop,
    settled() {
      const targets = [...tenants.entries()].filter(([, t]) => t.landed < t.requested).map(([tenantId, t]): [string, number] => [tenantId, t.requested]);
      if (targets.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.add({ targets, resolve }));
    },
  };
}

/**
 * Coalesces concurrent version reads of one tenant without ever answering from a read that began
 * before the caller asked: a caller joins the next read to start, which starts as soon as the one
 * in flight ends. Under load that is at most one read in flight per tenant (plus one queued), while
 * each answer still reflects every bump completed before its caller arrived.
 */
export class AccessVersionReader<V = AccessVersion> {
  private readonly pending = new Map<string, Slot<V>>();

  constructor(private readonly read: (tenantId: string) => Promise<V>) {}

  current(tenantId: string): Promise<V> {
    let slot = this.pending.get(tenantId);
    if (!slot) {
      slot = {};
      this.pending.set(tenantId, slot);
    }
    if (!slot.inFlight) return this.start(tenantId, slot);
    // A read is in flight and may have started before this call: wait for the one after it.
    if (!slot.next) {
      const s = slot;
      const settled = s.inFlight!.then(
        () => undefined,
        () => undefined,
      );
      s.next = settled.then(() => {
        s.next = undefined;
        return this.start(tenantId, s);
      });
    }
    return slot.next!;
  }

  private start(tenantId: string, slot: Slot<V>): Promise<V> {
    const p: Promise<V> = this.read(tenantId).finally(() => {
      if (slot.inFlight === p) slot.inFlight = undefined;
      if (!slot.inFlight && !slot.next && this.pending.get(tenantId) === slot) this.pending.delete(tenantId);
    });
    slot.inFlight = p;
    return p;
  }
}

interface Slot<V> {
  inFlight?: Promise<V>;
  next?: Promise<V>;
}
