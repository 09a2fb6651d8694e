import { Queue } from 'bullmq';
import { createRedisConnection } from '../src/queue/redis-connection';
import type { Logger } from '../src/observability/logger';
import { SYNC_QUEUE, dedupId, jobOptions, queuePrefix, type JobName, type JobPayloads } from '../src/queue/jobs';
import type { JobEnqueuer } from '../src/domain/sync/sync-deps';
import { claimPriorities, claimPrioritiesFor } from '../src/queue/tenant-demand';
import { recordJobOutcomes, type JobOutcome, type JobOutcomeKind } from '../src/queue/tenant-job-stats';
import { Batcher } from '../src/domain/batcher';

export interface QueuedJob<N extends JobName = JobName> {
  name: N;
  data: JobPayloads[N];
}

/** The worker's own client of the sync queue: follow-up jobs, the sweeper's re-enqueues and per-tenant outcome counts. */
export interface WorkerJobQueue extends JobEnqueuer {
  /** Adds jobs in one round trip; returns how many Redis accepted (0 when it refused: the outbox marks stay). */
  enqueueMany(jobs: readonly QueuedJob[]): Promise<number>;
  /**
   * For each job, whether one for the same object is already waiting, delayed or running: its
   * deduplication key names a job that exists and has not finished. Two round trips for the
   * whole list. On a Redis error every flag is false (adding again is harmless, losing is not).
   */
  liveJobFlags(jobs: readonly QueuedJob[]): Promise<boolean[]>;
  /** For each job id, whether Redis still keeps that job (in any state). One round trip; false on a Redis error. */
  jobsExist(jobIds: readonly string[]): Promise<boolean[]>;
  recordOutcome(tenantId: string, outcome: JobOutcomeKind): Promise<void>;
  close(): Promise<void>;
}

/**
 * Jobs added here use `keepLastIfActive` deduplication (jobs.ts): a follow-up for an object
 * whose job is running (the one adding it, typically) is held by BullMQ and started when that
 * job finishes, so an object is never processed twice at once and the follow-up is not dropped.
 */
export function createWorkerJobQueue(redisUrl: string, prefix: string, logger: Logger): WorkerJobQueue {
  const connection = createRedisConnection(redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
  connection.on('error', (err) => logger.debug('worker queue redis error', { err }));
  const queue = new Queue<JobPayloads[JobName], unknown, JobName>(SYNC_QUEUE, { connection, prefix: queuePrefix(prefix) });
  queue.on('error', (err) => logger.debug('worker queue error', { err }));
  const bullPrefix = queuePrefix(prefix);
  // Outcome counts of jobs finishing together go in one transaction (monitoring figures only).
  const outcomes = new Batcher<JobOutcome, void>(async (items) => {
    await recordJobOutcomes(connection, bullPrefix, items);
    return items.map(() => undefined);
  });

  return {
    async enqueue(name, data) {
      try {
        const [priority] = await claimPriorities(connection, bullPrefix, data.tenantId, 1);
        await queue.add(name, data, jobOptions(name, data, priority));
        return true;
      } catch (err) {
        logger.warn('follow-up enqueue failed; the sweeper will pick the change up', { job: name, err });
        return false;
      }
    },
    async enqueueMany(jobs) {
      if (jobs.length === 0) return 0;
      try {
        const priorities = await claimPrioritiesFor(
          connection,
          bullPrefix,
          jobs.map((j) => j.data.tenantId),
        );
        await queue.addBulk(jobs.map((j, i) => ({ name: j.name, data: j.data, opts: jobOptions(j.name, j.data, priorities[i]) })));
        return jobs.length;
      } catch (err) {
        logger.warn('bulk enqueue failed; the sweeper will pick the changes up', { jobs: jobs.length, err });
        return 0;
      }
    },
    async liveJobFlags(jobs) {
      if (jobs.length === 0) return [];
      try {
        const deKey = queue.keys.de;
        const ids = (await connection.pipeline(jobs.map((j) => ['get', `${deKey}:${dedupId(j.name, j.data)}`])).exec()) ?? [];
        const jobIds = ids.map(([err, id]) => (err || typeof id !== 'string' ? undefined : id));
        const named = jobIds.filter((id): id is string => id !== undefined);
        if (named.length === 0) return jobs.map(() => false);
        // A finished job (completed or failed for good) has finishedOn; a removed one has no hash.
        const states = (await connection.pipeline(named.map((id) => ['hmget', queue.toKey(id), 'timestamp', 'finishedOn'])).exec()) ?? [];
        const live = new Map(
          named.map((id, i) => {
            const [err, fields] = states[i] ?? [];
            const [timestamp, finishedOn] = (fields ?? []) as (string | null)[];
            return [id, !err && timestamp !== null && timestamp !== undefined && (finishedOn === null || finishedOn === undefined)];
          }),
        );
        return jobIds.map((id) => (id === undefined ? false : live.get(id) === true));
      } catch (err) {
        logger.debug('could not look up queued jobs', { err });
        return jobs.map(() => false);
      }
    },
    async jobsExist(jobIds) {
      if (jobIds.length === 0) return [];
      try {
        const found = (await connection.pipeline(jobIds.map((id) => ['exists', queue.toKey(id)])).exec()) ?? [];
        return jobIds.map((_, i) => {
          const [err, n] = found[i] ?? [];
          return !err && n === 1;
        });
      } catch (err) {
        logger.debug('could not look up failed jobs', { err });
        return jobIds.map(() => false);
      }
    },
    async recordOutcome(tenantId, outcome) {
      await outcomes.one({ tenantId, outcome, at: Date.now() }).catch((err: unknown) => logger.debug('could not record job outcomes', { err }));
    },
    async close() {
      await outcomes.drained();
      await queue.close().catch(() => undefined);
      connection.disconnect();
    },
  };
}
