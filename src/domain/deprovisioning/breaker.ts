import type { AuditEventDoc, HeldChange, Models, UserDoc } from '../../persistence/models';
import type { MembershipsRepository } from '../../persistence/memberships-repository';
import { repositoriesOf } from '../../persistence/repositories';
import { newId } from '../../persistence/ids';
import { auditEvent, writeUserAudits, type AuditActor } from '../audit';
import { writeTenantAudit } from '../recovery/pending-audits';
import { accessEvents } from '../access-events';
import type { JobEnqueuer } from '../sync/sync-deps';
import { breakerTripsTotal } from '../../observability/deprovisioning-metrics';
import { readSettings, type SettingsReader } from './settings';

/** What the breaker needs: the database, the memberships (exempt groups) and a queue (to restore access it holds back). */
export interface BreakerDeps {
  models: Models;
  memberships: MembershipsRepository;
  enqueuer: JobEnqueuer;
}

/** Who asked for the deprovision: its actor and request (kept with the held change). */
export interface DeprovisionCause {
  actor: AuditActor;
  requestId?: string;
}

/** A held change as recorded on the user. */
export function heldChange(kind: HeldChange['kind'], cause: DeprovisionCause, at: Date, retroactive = false): HeldChange {
  return { _id: newId('hld', 16), kind, at, actor: cause.actor, ...(cause.requestId !== undefined ? { requestId: cause.requestId } : {}), ...(retroactive ? { retroactive } : {}) };
}

/**
 * Whether the IdP's deprovision of `userId` (a deactivation or a deletion) is held rather than
 * applied. The sliding window counts the deprovisions applied within the last `windowMinutes`
 * (users whose `deprovisionedAt` is in it, and deletions of active users in the audit log); this one trips the breaker when it takes the count
 * above both `users` and `percentOfActive` of the active users. Once tripped, every further
 * deprovision is held until an admin has decided on every held change, and the deprovisions of the
 * window applied before the trip are put on hold too (their access restored): they are most
 * likely the start of the same mistake. Exempt users and members of exempt groups are never held.
 * `opts.settings`: the request's settings reader, when it read them already (one read per request).
 */
export async function shouldHoldDeprovision(
  deps: BreakerDeps,
  tenantId: string,
  userId: string,
  cause: DeprovisionCause,
  opts: { counted?: boolean; settings?: SettingsReader } = {},
  now = new Date(),
): Promise<boolean> {
  const read = await (opts.settings ?? (() => readSettings(deps.models, tenantId)))();
  const { settings, trippedAt } = read;
  const { breaker } = settings;
  if (!breaker.enabled) return false;
  if (settings.exemptUserIds.includes(userId)) return false;
  if (settings.exemptGroupIds.length > 0 && (await deps.memberships.inAnyOf(tenantId, userId, settings.exemptGroupIds))) return false;
  // The deletion of a user whose deactivation was applied already counted with the deactivation.
  if (!trippedAt && opts.counted === false) return false;
  return tripsOrTripped(deps, tenantId, 1, cause, read, now);
}

/**
 * Whether `count` more deprovisions are held: the breaker is tripped already, or they take the
 * window's count above the limit and trip it now (the trip and its audit event one write). A trip
 * also puts on hold the users' deprovisions applied earlier in the window.
 */
export async function tripsOrTripped(deps: BreakerDeps, tenantId: string, count: number, cause: DeprovisionCause, read: Awaited<ReturnType<typeof readSettings>>, now = new Date()): Promise<boolean> {
  const { settings, trippedAt, resetAt } = read;
  const { breaker } = settings;
  if (!breaker.enabled) return false;
  // The sliding window, started afresh when the breaker last closed (an admin decided on everything held).
  const windowStart = now.getTime() - breaker.windowMinutes * 60_000;
  const since = new Date(resetAt && resetAt.getTime() > windowStart ? resetAt.getTime() : windowStart);
  if (!trippedAt) {
    const repos = repositoriesOf(deps.models);
    const [deactivated, deleted, groupRemovals] = await Promise.all([
      repos.users.countDeprovisionedSince(tenantId, since),
      repos.auditEvents.countActiveUserDeletionsSince(tenantId, since),
      repos.auditEvents.countGroupDeprovisionsSince(tenantId, since),
    ]);
    const applied = deactivated + deleted + groupRemovals;
    // Within the floor, the percentage cannot trip it: the active users (a count over the tenant's
    // users) are read only past it, so an ordinary deactivation costs a few small range counts.
    if (applied + count <= breaker.users) return false;
    const active = await repos.users.countActive(tenantId);
    // The percentage is of the users active before the window's deprovisions.
    const limit = Math.max(breaker.users, Math.floor((breaker.percentOfActive * (active + deactivated + deleted)) / 100));
    if (applied + count <= limit) return false;
    const audit = auditEvent(
      {
        tenantId,
        actor: cause.actor,
        action: 'directory.breaker_tripped',
        object: { type: 'Tenant', id: tenantId },
        after: { deprovisionsInWindow: applied + count, limit, windowMinutes: breaker.windowMinutes, activeUsers: active },
        ...(cause.requestId !== undefined ? { requestId: cause.requestId } : {}),
      },
      now,
    );
    // The trip and its audit event are one write: a crash after it leaves the event for the sweeper.
    if (await repos.tenants.tripBreaker(tenantId, now, audit)) {
      breakerTripsTotal.inc();
      await writeTenantAudit(deps.models, tenantId, audit);
    }
  }
  // Idempotent: a crash part-way through is finished by the next held deprovision.
  await holdAppliedSince(deps, tenantId, since, { actor: { type: 'system', id: 'deprovisioning-breaker' } }, now, settings.exemptUserIds);
  return true;
}

/**
 * Puts on hold the deprovisions applied since `since` (a tripping breaker): the user is active
 * again for access (the worker restores the memberships rules and mappings give), SCIM keeps
 * showing the IdP's state. Each user's change, its hold record and its audit event are one write.
 */
async function holdAppliedSince(deps: BreakerDeps, tenantId: string, since: Date, cause: DeprovisionCause, now: Date, exempt: readonly string[]): Promise<void> {
  const users = repositoriesOf(deps.models).users;
  for (const user of await users.deprovisionedSince(tenantId, since)) {
    if (user.hold || user.attrs.active !== false || exempt.includes(user._id)) continue;
    // The changes keep the request that made them (deprovisionedBy), and when they were made.
    const made = user.deprovisionedBy ?? cause;
    const change = heldChange('deactivate', made, user.deprovisionedAt ?? now, true);
    const changes = user.scimDeletedAt ? [change, heldChange('delete', cause, user.scimDeletedAt, true)] : [change];
    const audit: AuditEventDoc = auditEvent(
      {
        tenantId,
        actor: cause.actor,
        action: 'user.deprovision.held',
        object: { type: 'User', id: user._id },
        after: { kind: user.scimDeletedAt ? 'delete' : 'deactivate', retroactive: true, heldChangeIds: changes.map((c) => c._id) },
        state: { attrs: { ...user.attrs }, version: user.version + 1 },
      },
      now,
    );
    const updated = await users.updateIfVersion(
      tenantId,
      user._id,
      user.version,
      {
        attrs: { ...user.attrs, active: true },
        lc: user.lc,
        audits: [audit],
        set: { hold: { state: 'held', since: now, changes, ...(user.scimDeletedAt ? { deleted: true } : {}) } satisfies UserDoc['hold'] },
        unset: ['deprovisionedAt', 'deprovisionedBy', 'inactiveSince', 'scimDeletedAt'],
      },
      now,
    );
    if (!updated) continue; // changed meanwhile: the IdP's next deprovision of it is decided afresh
    accessEvents.emit({ tenantId, kind: 'membership', userId: user._id });
    await writeUserAudits(deps.models, tenantId, user._id, [audit]);
    await deps.enqueuer.enqueue('user.changed', { tenantId, userId: user._id, version: updated.version, reason: 'patched' });
  }
}
