import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { recordAudit } from '../audit';

/**
 * A tenant's directory sync health, as change events (docs/events.md): `directory.sync_failed`
 * when a sync job of the tenant fails for good (its last attempt) while the tenant's sync was
 * healthy; `directory.sync_recovered` when, after that, no change of the tenant is held by a failed
 * job any more (an operator's retry succeeded, a newer change of the same document was synced, or
 * the failed job was removed and the sweeper re-ran the change). Each is one audit event
 * (`directory.sync_failed` / `directory.sync_recovered`, object `Directory` = the tenant), so
 * each is one change event, once: the transitions are compare-and-set on the tenant document.
 */

export interface FailedJob {
  name: string;
  id: string;
  /** What the job was processing (a user, group or rule id). */
  objectId?: string;
  error: string;
}

const actor = { type: 'system' as const, id: 'sync' };

/** A job failed for good: the tenant's sync turns failing (audited once per turn). */
export async function recordSyncFailed(models: Models, tenantId: string, job: FailedJob, now = new Date()): Promise<boolean> {
  if (!(await repositoriesOf(models).tenants.markSyncFailing(tenantId, now))) return false;
  await recordAudit(models, {
    tenantId,
    actor,
    action: 'directory.sync_failed',
    object: { type: 'Directory', id: tenantId },
    after: { job: { name: job.name, id: job.id, ...(job.objectId !== undefined && { objectId: job.objectId }) }, error: job.error.slice(0, 500) },
  });
  return true;
}

/** Failing tenants with no change held by a failed job any more turn healthy (audited). Returns how many recovered. */
export async function checkSyncRecovered(models: Models, now = new Date()): Promise<number> {
  const repos = repositoriesOf(models);
  let recovered = 0;
  for (const tenantId of await repos.tenants.syncFailing()) {
    const held = (await Promise.all([repos.users.syncMarks, repos.groups.syncMarks, repos.rules.syncMarks].map((m) => m.countFailed(tenantId)))).reduce((a, b) => a + b, 0);
    if (held > 0) continue;
    const since = await repos.tenants.markSyncHealthy(tenantId, now);
    if (since === null) continue;
    await recordAudit(models, {
      tenantId,
      actor,
      action: 'directory.sync_recovered',
      object: { type: 'Directory', id: tenantId },
      after: { failingSince: since.toISOString(), failingForSeconds: Math.round((now.getTime() - since.getTime()) / 1000) },
    });
    recovered++;
  }
  return recovered;
}
