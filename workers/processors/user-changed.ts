import type { JobPayloads } from '../../src/queue/jobs';
import { evaluateUser } from '../../src/domain/sync/evaluate-user';
import { readRuleSetVersion } from '../../src/domain/sync/rule-set-version';
import { acknowledgeUser } from './acknowledge-sync';
import type { JobResult, ProcessorDeps } from './processor-deps';

/**
 * `user.changed`: evaluate every enabled rule for the user and apply the diff, then acknowledge
 * the sync version that was read with the attributes. Two cases need another run, which is
 * enqueued here and started by BullMQ right after this job (keepLastIfActive):
 *  - the user changed while this job ran (its sync version moved: the API's own enqueue was
 *    deduplicated against this running job);
 *  - the tenant's rules changed while this job ran and it wrote something (it may have applied
 *    an old rule after the rule's full run passed this user).
 */
export async function processUserChanged(deps: ProcessorDeps, data: JobPayloads['user.changed']): Promise<JobResult> {
  const { tenantId, userId } = data;
  const evaluation = await evaluateUser(deps, tenantId, userId, data.trigger);
  if (evaluation.outcome !== 'evaluated') {
    return { outcome: evaluation.outcome === 'tenantGone' ? 'gone' : 'userGone', removed: evaluation.outcome === 'userGone' ? evaluation.removed : 0 };
  }
  let requeue = false;
  if (evaluation.added + evaluation.removed > 0) {
    const ruleSetVersion = await readRuleSetVersion(deps.models, tenantId);
    if (ruleSetVersion !== null && ruleSetVersion !== evaluation.ruleSetVersion) requeue = true;
  }
  let version = evaluation.syncVersion;
  const ack = await acknowledgeUser(deps.models, tenantId, userId, evaluation.syncVersion);
  if (!ack.acknowledged) {
    const { mark } = ack;
    if (mark?.pendingSince && mark.version !== evaluation.syncVersion) {
      requeue = true;
      version = mark.version;
    }
  }
  if (requeue) await deps.queue.enqueue('user.changed', { tenantId, userId, version, reason: 'requeue' });
  return {
    outcome: requeue ? 'superseded' : 'completed',
    version: evaluation.syncVersion,
    added: evaluation.added,
    removed: evaluation.removed,
    matchedRules: evaluation.matchedRules,
  };
}
