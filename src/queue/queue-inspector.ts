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
/** Jobs of the whole queue looked at for one page of one tenant's: a page may come back short (with a cursor) when other tenants' jobs fill the window. */
const PAGE_SCAN = 1000;

/** The lists a tenant's queued jobs are listed from: waiting covers BullMQ's plain and prioritized lists. */
export type JobListState = 'waiting' | 'delayed' | 'active';
const LISTS: Record<JobListState, readonly ('prioritized' | 'waiting' | 'delayed' | 'active')[]> = {
  waiting: ['waiting', 'prioritized'],
  delayed: ['delayed'],
  active: ['active'],
};

export interface QueuedJobView {
  id: string;
  name: JobName;
  data: JobPayloads[JobName];
  /** The list it sits in (prioritized: waiting behind its tenant's priority). */
  state: 'prioritized' | 'waiting' | 'delayed' | 'active';
  attemptsMade: number;
  enqueuedAt: Date;
  /** For a delayed job: when it becomes due (a retry's backoff). */
  dueAt: Date | null;
}

export interface JobsPage<T> {
  items: T[];
  /** Where the next page starts; null when the lists were read to their end. */
  next: { list: number; offset: number } | { at: number; id: string } | null;
  /** Jobs of the queue looked at for this page. */
  scanned: number;
}

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
    return (await this.failuresPage(tenantId, limit)).items;
  }

  /**
   * A page of the tenant's failed jobs, newest failure first, continuing after `after` (the
   * failure time and id of the last one shown): read from the failed set by score (the failure
   * time), so failures arriving meanwhile do not shift the pages. Looks at PAGE_SCAN failed jobs
   * of the queue at most; a page of other tenants' failures comes back short, with a cursor.
   */
  async failuresPage(tenantId: string, limit: number, after?: { at: number; id: string }): Promise<JobsPage<FailedJobView>> {
    return orUnavailable(async () => {
      // Ties at the cursor's millisecond are read again and skipped by id (members of equal score come in descending id order).
      const raw = await this.redis.zrevrangebyscore(this.q().toKey('failed'), after ? after.at : '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, PAGE_SCAN);
      const entries: { id: string; at: number }[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const id = raw[i]!;
        const at = Number(raw[i + 1]);
        if (after && at === after.at && id >= after.id) continue;
        entries.push({ id, at });
      }
      const jobs = (await Promise.all(entries.map((e) => this.q().getJob(e.id)))) as (SyncJob | undefined)[];
      const items: FailedJobView[] = [];
      let read = 0;
      while (read < entries.length && items.length < limit) {
        const job = jobs[read++];
        if (job?.data?.tenantId === tenantId) items.push(failedView(job));
      }
      // More follow when this page stopped inside the window, or the window was full (the set goes on).
      const more = read < entries.length || raw.length / 2 >= PAGE_SCAN;
      const last = read > 0 ? entries[read - 1]! : after;
      return { items, next: more && last ? last : null, scanned: read };
    });
  }

  /**
   * A page of the tenant's queued jobs in one state (waiting: the plain list, then the
   * prioritized one; delayed; active), continuing at `from` (a list and an offset in it). Looks at
   * PAGE_SCAN jobs of the queue at most, so a page may come back short with a cursor. The lists
   * move while they are read (jobs start, finish, are added), so a job may show twice or be
   * skipped between pages: a monitor's view, not a ledger.
   */
  async queuedPage(tenantId: string, state: JobListState, limit: number, from: { list: number; offset: number } = { list: 0, offset: 0 }): Promise<JobsPage<QueuedJobView>> {
    return orUnavailable(async () => {
      const lists = LISTS[state];
      const items: QueuedJobView[] = [];
      let scanned = 0;
      let { list, offset } = from;
      while (list < lists.length && items.length < limit && scanned < PAGE_SCAN) {
        const listName = lists[list]!;
        const window = Math.min(PAGE_SCAN - scanned, 200);
        const jobs = (await this.q().getJobs([listName], offset, offset + window - 1)) as (SyncJob | undefined)[];
        let taken = 0;
        for (const job of jobs) {
          taken++;
          if (job?.data?.tenantId === tenantId) items.push(queuedView(job, listName));
          if (items.length === limit) break;
        }
        scanned += taken;
        offset += taken;
        if (jobs.length < window && taken === jobs.length) {
          list++;
          offset = 0;
        }
      }
      return { items, next: list < lists.length ? { list, offset } : null, scanned };
    });
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

function failedView(j: SyncJob): FailedJobView {
  return {
    id: String(j.id),
    name: j.name,
    data: j.data,
    error: j.failedReason,
    stacktrace: (j.stacktrace ?? []).slice(-1).flatMap((s) => s.split('\n').slice(0, 12)),
    attemptsMade: j.attemptsMade,
    enqueuedAt: new Date(j.timestamp),
    failedAt: j.finishedOn ? new Date(j.finishedOn) : null,
  };
}

function queuedView(j: SyncJob, state: QueuedJobView['state']): QueuedJobView {
  return {
    id: String(j.id),
    name: j.name,
    data: j.data,
    state,
    attemptsMade: j.attemptsMade,
    enqueuedAt: new Date(j.timestamp),
    dueAt: state === 'delayed' ? new Date(j.timestamp + (j.delay ?? 0)) : null,
  };
}
