import { UnrecoverableError, type Job } from 'bullmq';
import { logContext } from '../../src/observability/logger';
import { ruleMembershipChanges, syncJobDuration, syncJobWait, syncJobsTotal } from '../../src/observability/metrics';
import type { JobName, JobPayloads } from '../../src/queue/jobs';
import { processGroupMembersChanged } from './group-members-changed';
import type { JobResult, ProcessorDeps } from './processor-deps';
import { processRuleChanged } from './rule-changed';
import { processUserChanged } from './user-changed';
import { recordFinalFailure } from '../failed-jobs';
import { recordSyncFailed } from '../../src/domain/sync/sync-health';

export type { ProcessorDeps } from './processor-deps';

type SyncJob = Job<JobPayloads[JobName], unknown, JobName>;

/**
 * Processes the sync queue. Jobs carry ids, not snapshots: each processor reads the current
 * documents, so a deduplicated burst of changes is handled by one run on the latest state, and a
 * retried or duplicated job is harmless (idempotent). Every log line written while a job runs
 * carries its id, name and tenant (log context), and each job is timed and counted by outcome.
 */
export function createSyncProcessor(deps: ProcessorDeps) {
  return async (job: SyncJob): Promise<JobResult> => {
    const context = { jobId: job.id, job: job.name, tenantId: job.data.tenantId, attempt: job.attemptsMade + 1 };
    return logContext.run(context, async () => {
      if (job.processedOn !== undefined) syncJobWait.observe({ job: job.name }, Math.max(0, (job.processedOn - job.timestamp) / 1000));
      const end = syncJobDuration.startTimer({ job: job.name });
      try {
        const result = await dispatch(deps, job);
        end({ outcome: result.outcome });
        syncJobsTotal.inc({ job: job.name, outcome: result.outcome });
        if (typeof result.added === 'number' && result.added > 0) ruleMembershipChanges.inc({ change: 'added' }, result.added);
        if (typeof result.removed === 'number' && result.removed > 0) ruleMembershipChanges.inc({ change: 'removed' }, result.removed);
        deps.logger.debug('job done', { ...result });
        return result;
      } catch (err) {
        end({ outcome: 'failed' });
        syncJobsTotal.inc({ job: job.name, outcome: 'failed' });
        // The last attempt: name this job on its document before BullMQ marks it failed, so no
        // sweep in between takes the change for lost work (the job is still active until then).
        if (isLastAttempt(job, err) && job.id !== undefined) {
          await recordFinalFailure(deps.models, job.name, job.data, job.id).catch((markErr: unknown) =>
            deps.logger.warn('could not name the failed job on its document; the sweeper will enqueue the change again', { err: markErr }),
          );
          const data = job.data as { tenantId: string; userId?: string; groupId?: string; ruleId?: string };
          const objectId = data.userId ?? data.groupId ?? data.ruleId;
          await recordSyncFailed(deps.models, data.tenantId, {
            name: job.name,
            id: job.id,
            ...(objectId !== undefined && { objectId }),
            error: err instanceof Error ? err.message : String(err),
          }).catch((auditErr: unknown) => deps.logger.warn("could not record the tenant's sync as failing", { err: auditErr }));
        }
        throw err;
      }
    });
  };
}

function isLastAttempt(job: SyncJob, err: unknown): boolean {
  return err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

function dispatch(deps: ProcessorDeps, job: SyncJob): Promise<JobResult> {
  switch (job.name) {
    case 'user.changed':
      return processUserChanged(deps, job.data as JobPayloads['user.changed']);
    case 'group.membersChanged':
      return processGroupMembersChanged(deps, job.data as JobPayloads['group.membersChanged']);
    case 'rule.changed':
      return processRuleChanged(deps, job.data as JobPayloads['rule.changed']);
    default:
      // Retrying cannot help a job this worker does not know.
      throw new UnrecoverableError(`unknown job ${String(job.name)}`);
  }
}
