import { Queue, type Job } from 'bullmq';
import type { RedisConnection } from './redis-connection';
import { AppError, isAppError } from '../errors/app-error';
import { SYNC_QUEUE, jobOptions, queuePrefix, type JobName, type JobPayloads } from './jobs';
import { claimPriorities } from './tenant-demand';
import { readTenantJobStats, type TenantJobStats } from './tenant-job-stats';

type SyncJob = Job<JobPayloads[JobName], unknown, JobName>;

export type QueueState = 'waiting' | 'active' | 'delayed' | 'failed' | 'completed' | 'prioritized';
const STATES: readonly QueueState[] = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'];

export interface TenantQueueCounts extends TenantJobStats {
  waiting: number;
  active: number;
  /** Waiting for a retry (exponential backoff) or a delay. */
  delayed: number;
  failed: number;
  /** False when a list was longer than the scan limit: the counts are lower bounds then. */
  exact: boolean;
}

export interface FailedJobView {
  id: string;
  name: JobName;
  data: JobPayloads[JobName];
  error: string;
  stacktrace: string[];
  attemptsMade: number;
  enqueuedAt: Date;
  failedAt: Date | null;
}

/** Redis not answering is a 503 for the monitoring API, not a 500. */
async function orUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isAppError(err)) throw err;
    throw new AppError('unavailable', 'SYNC_QUEUE_UNAVAILABLE', `The sync queue (Redis) did not answer: ${(err as Error).message}`, { cause: err, retryAfter: 5 });
  }
}

/** Jobs looked at per list when counting or listing for one tenant. */
const SCAN_LIMIT = 5000;

/**
 * Read side of the sync queue for monitoring: counts, per-tenant figures and failed jobs. Jobs
 * carry their tenantId, so per-tenant figures filter on it (bounded scans; the queue-wide counts
 * are exact). Uses a connection it is given and does not own.
 */
export class SyncQueueInspector {
  private queue?: Queue<JobPayloads[JobName], unknown, JobName>;

  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  private q(): Queue<JobPayloads[JobName], unknown, JobName> {
    // Created on first use: an API process that is never asked about the queue opens nothing.
    this.queue ??= new Queue<JobPayloads[JobName], unknown, JobName>(SYNC_QUEUE, { connection: this.redis, prefix: queuePrefix(this.prefix) });
    return this.queue;
  }

  async counts(): Promise<Record<QueueState, number>> {
    const counts = await this.q().getJobCounts(...STATES);
    return Object.fromEntries(STATES.map((s) => [s, counts[s] ?? 0])) as Record<QueueState, number>;
  }

  async tenantCounts(tenantId: string): Promise<TenantQueueCounts> {
    let exact = true;
    const countIn = async (state: 'waiting' | 'active' | 'delayed' | 'failed' | 'prioritized') => {
      const jobs = (await this.q().getJobs([state], 0, SCAN_LIMIT - 1)) as SyncJob[];
      if (jobs.length >= SCAN_LIMIT) exact = false;
      return jobs.filter((j) => j?.data?.tenantId === tenantId).length;
    };
    const [waiting, prioritized, active, delayed, failed, stats] = await Promise.all([
      countIn('waiting'),
      countIn('prioritized'),
      countIn('active'),
      countIn('delayed'),
      countIn('failed'),
      readTenantJobStats(this.redis, queuePrefix(this.prefix), tenantId),
    ]);
    return { waiting: waiting + prioritized, active, delayed, failed, exact, ...stats };
  }

  async failures(tenantId: string, limit = 100): Promise<FailedJobView[]> {
    const jobs = (await orUnavailable(() => this.q().getFailed(0, SCAN_LIMIT - 1))) as SyncJob[];
    return jobs
      .filter((j) => j?.data?.tenantId === tenantId)
      .slice(0, limit)
      .map((j) => ({
        id: String(j.id),
        name: j.name,
        data: j.data,
        error: j.failedReason,
        stacktrace: (j.stacktrace ?? []).slice(-1).flatMap((s) => s.split('\n').slice(0, 12)),
        attemptsMade: j.attemptsMade,
        enqueuedAt: new Date(j.timestamp),
        failedAt: j.finishedOn ? new Date(j.finishedOn) : null,
      }));
  }

  /**
   * Runs a failed job again: the same name and payload go back through the per-object
   * deduplication (so it never runs beside a newer job of the same object), then the failed
   * record is removed. Another tenant's job id answers 404, like an unknown one.
   */
  async retry(tenantId: string, jobId: string): Promise<{ jobId: string; retriedFrom: string }> {
    return orUnavailable(() => this.retryJob(tenantId, jobId));
  }

  private async retryJob(tenantId: string, jobId: string): Promise<{ jobId: string; retriedFrom: string }> {
    const job = (await this.q().getJob(jobId)) as SyncJob | undefined;
    if (!job || job.data?.tenantId !== tenantId) throw new AppError('notFound', 'SYNC_JOB_NOT_FOUND', `No failed sync job ${jobId}`);
    const state = await job.getState();
    if (state !== 'failed') throw new AppError('conflict', 'SYNC_JOB_NOT_FAILED', `Job ${jobId} is ${state}, not failed`);
    const [priority] = await claimPriorities(this.redis, queuePrefix(this.prefix), tenantId, 1);
    const next = await this.q().add(job.name, job.data, jobOptions(job.name, job.data, priority));
    await job.remove().catch(() => undefined);
    return { jobId: String(next.id), retriedFrom: jobId };
  }

  async close(): Promise<void> {
    await this.queue?.close().catch(() => undefined);
  }
}
