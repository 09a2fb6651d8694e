import type { UserDoc } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { completePendingChange, recordPendingChange, type RecoveryDeps } from '../recovery/pending-changes';
import { readSettings, resolveSettings } from './settings';

const BATCH = 500;

/** Deletes one user as SCIM's DELETE does (recorded intent, memberships and grants released, audited once); false when it changed meanwhile. */
async function deleteUser(deps: RecoveryDeps, user: UserDoc, actorId: string, why: string): Promise<boolean> {
  const change = await recordPendingChange(
    deps.models,
    'user.delete',
    user._id,
    {
      tenantId: user.tenantId,
      actor: { type: 'system', id: actorId },
      action: 'user.deleted',
      object: { type: 'User', id: user._id },
      before: { attrs: user.attrs, version: user.version },
      after: { why },
    },
    user.pendingAudit,
  );
  const deleted = await repositoriesOf(deps.models).users.deleteIfVersion(user.tenantId, user._id, user.version);
  if (!deleted) {
    await repositoriesOf(deps.models).pendingChanges.delete(change);
    return false;
  }
  await completePendingChange(deps, change, { eventsLeft: deleted.pendingAudit ?? [] });
  return true;
}

/**
 * The lifecycle's periodic work, per tenant (run by the worker's sweeper): deletions the IdP asked
 * for while the user's deactivation was in the breaker's window are finished once the window has
 * passed; with `inactiveUsers: purge`, users inactive for `purgeAfterDays` are deleted. Held users
 * are never touched. Idempotent. Returns how many users were deleted.
 */
export async function runLifecycle(deps: RecoveryDeps, now = new Date()): Promise<number> {
  const repos = repositoriesOf(deps.models);
  let done = 0;
  // Deferred deletions, across tenants (the shortest window is a minute); each tenant's own window decides.
  const candidates = await repos.users.deferredDeletionsBefore(new Date(now.getTime() - 60_000), BATCH);
  const tenantState = new Map<string, Awaited<ReturnType<typeof repos.tenants.deprovisioningOf>>>();
  for (const user of candidates) {
    if (user.hold) continue;
    if (!tenantState.has(user.tenantId)) tenantState.set(user.tenantId, await repos.tenants.deprovisioningOf(user.tenantId));
    const state = tenantState.get(user.tenantId);
    const settings = resolveSettings(state?.deprovisioning);
    // While the breaker is tripped the window's deletions wait for it (it holds them).
    if (state?.breakerTrippedAt || user.scimDeletedAt! > new Date(now.getTime() - settings.breaker.windowMinutes * 60_000)) continue;
    if (await deleteUser(deps, user, 'lifecycle', 'deferred IdP deletion')) done++;
  }
  for (const tenantId of await repos.tenants.purgingInactiveUsers()) {
    const { settings } = await readSettings(deps.models, tenantId).catch(() => ({ settings: undefined }));
    if (!settings || settings.lifecycle.inactiveUsers !== 'purge') continue;
    const cutoff = new Date(now.getTime() - settings.lifecycle.purgeAfterDays * 86_400_000);
    for (const { _id } of await repos.users.inactiveBefore(tenantId, cutoff, BATCH)) {
      const user = await repos.users.find(tenantId, _id);
      if (user && !user.hold && user.attrs.active === false && (await deleteUser(deps, user, 'lifecycle', `inactive for ${settings.lifecycle.purgeAfterDays} days`))) done++;
    }
  }
  return done;
}
