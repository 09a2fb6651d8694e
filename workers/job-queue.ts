import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import type { Logger } from '../src/observability/logger';
import { SYNC_QUEUE, dedupId, jobOptions, queuePrefix, type JobName, type JobPayloads } from '../src/queue/jobs';
import type { JobEnqueuer } from '../src/domain/sync/sync-deps';
import { recordJobOutcome, type JobOutcomeKind } from '../src/domain/sync/tenant-job-stats';

export interface QueuedJob<N extends JobName = JobName> {
  name: N;
  data: JobPayloads[N];
}

/** The worker's own client of the sync queue: follow-up jobs, the sweeper's re-enqueues and per-tenant outcome counts. */
export interface WorkerJobQueue extends JobEnqueuer {
  /** Adds jobs in one round trip; returns how many Redis accepted (0 when it refused: the outbox marks stay). */
  enqueueMany(jobs: readonly QueuedJob[]): Promise<number>;
  /** Whether a job for the same object (deduplication id) is waiting, delayed or running. */
  hasPendingJob<N extends JobName>(name: N, data: JobPayloads[N]): Promise<boolean>;
  recordOutcome(tenantId: string, outcome: JobOutcomeKind): Promise<void>;
  close(): Promise<void>;
}

/**
 * Jobs added here use `keepLastIfActive` deduplication (jobs.ts): a follow-up for an object
 * whose job is running (the one adding it, typically) is held by BullMQ and started when that
 * job finishes, so an object is never processed twice at once and the follow-up is not dropped.
 */
export function createWorkerJobQueue(redisUrl: string, prefix: string, logger: Logger): WorkerJobQueue {
  const connection = new IORedis(redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
  connection.on('error', (err) => logger.debug('worker queue redis error', { err }));
  const queue = new Queue<JobPayloads[JobName], unknown, JobName>(SYNC_QUEUE, { connection, prefix: queuePrefix(prefix) });
  queue.on('error', (err) => logger.debug('worker queue error', { err }));
  const bullPrefix = queuePrefix(prefix);

  return {
    async enqueue(name, data) {
      try {
        await queue.add(name, data, jobOptions(name, data));
        return true;
      } catch (err) {
        logger.warn('follow-up enqueue failed; the sweeper will pick the change up', { job: name, err });
        return false;
      }
    },
    async enqueueMany(jobs) {
      if (jobs.length === 0) return 0;
      try {
        await queue.addBulk(jobs.map((j) => ({ name: j.name, data: j.data, opts: jobOptions(j.name, j.data) })));
        return jobs.length;
      } catch (err) {
        logger.warn('bulk enqueue failed; the sweeper will pick the changes up', { jobs: jobs.length, err });
        return 0;
      }
    },
    async hasPendingJob(name, data) {
      try {
        const jobId = await queue.getDeduplicationJobId(dedupId(name, data));
        if (!jobId) return false;
        const job = await queue.getJob(jobId);
        if (!job) return false;
        const state = await job.getState();
        return state !== 'completed' && state !== 'failed' && state !== 'unknown';
      } catch {
        return false;
      }
    },
    async recordOutcome(tenantId, outcome) {
      await recordJobOutcome(connection, bullPrefix, tenantId, outcome).catch((err) => logger.debug('could not record job outcome', { err }));
    },
    async close() {
      await queue.close().catch(() => undefined);
      connection.disconnect();
    },
  };
}
