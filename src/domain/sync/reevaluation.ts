import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import type { RuleChangeReason } from '../../queue/jobs';
import type { JobEnqueuer } from './sync-deps';

/**
 * Marks users pending in the outbox without changing them (a rule run met concurrent edits, an
 * IdP group's members changed): `$min` keeps an older pending time, and the version is left as
 * it is, so a job already holding the user acknowledges only what it read. If the jobs that
 * follow are lost, the sweeper finds these marks.
 */
export async function markUsersPending(models: Models, tenantId: string, userIds: readonly string[], now = new Date()): Promise<void> {
  await repositoriesOf(models).users.markPending(tenantId, userIds, now);
}

/**
 * Asks for a new full run of a rule without editing it (reconcile): bumps the rule's sync
 * version, so a run in progress is superseded and the new one covers everything, marks it
 * pending (durable) and enqueues. Returns the version to run, or null when the rule is gone.
 */
export async function requestRuleRun(models: Models, enqueuer: JobEnqueuer, tenantId: string, ruleId: string, reason: RuleChangeReason): Promise<number | null> {
  const version = await repositoriesOf(models).rules.requestRun(tenantId, ruleId);
  if (version === null) return null;
  await enqueuer.enqueue('rule.changed', { tenantId, ruleId, version, reason });
  return version;
}
