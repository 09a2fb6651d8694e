import { randomUUID } from 'node:crypto';
import { DelayedError, Worker, type Job } from 'bullmq';
import { createRedisConnection } from '../src/queue/redis-connection';
import type { Config } from '../src/config/config';
import type { Logger } from '../src/observability/logger';
import type { Database } from '../src/persistence/mongo';
import { repositoriesOf } from '../src/persistence/repositories';
import { loadSchemaRegistry } from '../src/attributes/registry';
import { SYNC_QUEUE, queuePrefix, type JobName, type JobPayloads } from '../src/queue/jobs';
import { accessEvents as processAccessEvents, type AccessEvents } from '../src/domain/access-events';
import { RuleSetCache } from '../src/domain/sync/rule-set';
import { createWorkerJobQueue } from './job-queue';
import { createSyncProcessor } from './processors/sync-processor';
import type { JobResult } from './processors/processor-deps';
import { PendingSweeper, type SweepResult } from './sweeper';
import { startEventSequencing } from './event-sequencing';
import { checkSyncRecovered } from '../src/domain/sync/sync-health';
import { TenantSlotLeases } from '../src/queue/tenant-slots';
import { SyncJobSlots } from './job-slots';

export interface SyncWorker {
  /** Graceful stop: no new jobs, active ones finish, then connections close. */
  close(): Promise<void>;
  /**
   * Abrupt stop, as if the process died: running jobs stop before their next write and are
   * left unfinished in Redis (a crash test's tool; production uses close()).
   */
  kill(): Promise<void>;
  /** Runs one sweep now (the timer also runs them). */
  sweep(): Promise<SweepResult>;
}

export interface SyncWorkerOptions {
  concurrency?: number;
  /** Overrides config.sync.sweepAfterSeconds / sweepIntervalSeconds. */
  sweepAfterSeconds?: number;
  sweepIntervalSeconds?: number;
  /** Users per chunk in rule runs and fan-outs (default 1000). */
  chunkSize?: number;
  /** Overrides config.sync.maxJobsPerTenant (a tenant's running jobs across the workers while another tenant has work; 0: no cap). */
  maxJobsPerTenant?: number;
  /** How long a tenant counts as having work after its last job asked for a slot (default 5 s; src/queue/tenant-slots.ts). */
  tenantActiveWindowMs?: number;
  /** Where membership changes are announced (default: the process-wide bus, so in-process permission caches hear them). */
  accessEvents?: AccessEvents;
  /**
   * Awaited after each job's work, before BullMQ completes it: a worker-only process passes its
   * access-version publisher's `settled` (src/main.ts), so a completed job's changes are visible
   * to every API replica's authorize.
   */
  beforeComplete?: () => Promise<void>;
}

/**
 * Jobs run at once per worker. Jobs wait on the database, not the CPU, and concurrent jobs share
 * their reads and writes (src/domain/batcher.ts), so more of them at once means fewer round trips
 * per job: `user.changed` jobs end to end, measured on the embedded server with indexes, 258/s at 8
 * and 428/s at 32 (BullMQ's empty-job floor 813–968/s in the same runs).
 */
export const DEFAULT_CONCURRENCY = 32;

/** How long a running job's tenant slot lasts without renewal (renewed every third of it): a dead worker's slots free themselves after this. */
const SLOT_LEASE_MS = 30_000;
/** A job over its tenant's cap that gives its slot up comes back to the queue after this. */
const YIELD_DELAY_MS = 200;

/** Starts the BullMQ worker and the outbox sweeper (a sweep at start, then every interval). */
export function startSyncWorker(config: Config, db: Database, logger: Logger, opts: SyncWorkerOptions = {}): SyncWorker {
  const log = logger.child({ component: 'worker' });
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const sweepAfterSeconds = opts.sweepAfterSeconds ?? config.sync.sweepAfterSeconds;
  const sweepIntervalSeconds = opts.sweepIntervalSeconds ?? config.sync.sweepIntervalSeconds;
  const registry = loadSchemaRegistry();
  const queue = createWorkerJobQueue(config.redisUrl, config.queue.prefix, log);
  const stop = new AbortController();
  const processor = createSyncProcessor({
    models: db.models,
    memberships: repositoriesOf(db.models).memberships,
    registry,
    logger: log,
    ruleSets: new RuleSetCache(db.models, registry, log),
    accessEvents: opts.accessEvents ?? processAccessEvents,
    queue,
    signal: stop.signal,
    chunkSize: opts.chunkSize ?? 1000,
  });

  // Workers block on Redis: they need retries forever (maxRetriesPerRequest null), unlike producers.
  const connection = createRedisConnection(config.redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', (err) => log.warn('worker redis error', { err }));
  // The per-tenant cap (src/queue/tenant-slots.ts): a job over it is held, or goes back to the queue with no attempt counted.
  const maxJobsPerTenant = opts.maxJobsPerTenant ?? config.sync.maxJobsPerTenant;
  const slotConnection = createRedisConnection(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
  slotConnection.on('error', (err) => log.debug('tenant slots redis error', { err }));
  const bullPrefix = queuePrefix(config.queue.prefix);
  const queueKeys = { wait: `${bullPrefix}:${SYNC_QUEUE}:wait`, prioritized: `${bullPrefix}:${SYNC_QUEUE}:prioritized`, job: `${bullPrefix}:${SYNC_QUEUE}:` };
  const slots = new SyncJobSlots(new TenantSlotLeases(slotConnection, bullPrefix, queueKeys, SLOT_LEASE_MS, opts.tenantActiveWindowMs), maxJobsPerTenant, log, SLOT_LEASE_MS);
  const workerId = randomUUID();
  const capped = async (job: Job<JobPayloads[JobName], JobResult, JobName>, token?: string): Promise<JobResult> => {
    const entry = await slots.enter(job.data.tenantId, `${workerId}:${job.id}`);
    if (!entry.run) {
      // Back to the queue behind the job that gets this slot (a job moved to wait would be taken first again); no attempt counted.
      await job.moveToDelayed(Date.now() + YIELD_DELAY_MS, token);
      throw new DelayedError();
    }
    try {
      const result = await processor(job);
      if (opts.beforeComplete) await opts.beforeComplete();
      return result;
    } finally {
      entry.release();
    }
  };
  const worker = new Worker<JobPayloads[JobName], JobResult, JobName>(SYNC_QUEUE, capped, {
    connection,
    prefix: queuePrefix(config.queue.prefix),
    concurrency,
  });
  worker.on('completed', (job) => void queue.recordOutcome(job.data.tenantId, 'completed'));
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    log.warn(final ? 'job failed for good; kept for an operator to retry' : 'job failed; will retry', {
      jobId: job.id,
      job: job.name,
      tenantId: job.data.tenantId,
      attempts: job.attemptsMade,
      err,
    });
    if (final) void queue.recordOutcome(job.data.tenantId, 'failed');
  });
  worker.on('error', (err) => log.warn('worker error', { err }));

  // One per worker: it remembers the stale marks it saw, so a sweep reads only what became stale since.
  const sweeper = new PendingSweeper(db.models, queue, sweepAfterSeconds, log);
  let sweeping: Promise<SweepResult> | undefined;
  const sweep = () => {
    sweeping ??= sweeper
      .sweep()
      .then(async (result) => {
        // Tenants whose sync failed and has nothing held by a failed job any more: recovered (docs/events.md).
        await checkSyncRecovered(db.models).catch((err: unknown) => log.warn('sync health check failed', { err }));
        return result;
      })
      .finally(() => {
        sweeping = undefined;
      });
    return sweeping;
  };
  const tick = () => void sweep().catch((err) => log.warn('sweep failed', { err }));
  const timer = setInterval(tick, sweepIntervalSeconds * 1000);
  timer.unref();
  tick();
  const events = startEventSequencing(
    db.models,
    {
      intervalMs: config.events.sequenceIntervalMs,
      retentionDays: config.events.retentionDays,
      delivery: {
        allowPrivateTargets: config.webhooks.allowPrivateTargets,
        retryHours: config.webhooks.retryHours,
        baseBackoffMs: config.webhooks.backoffBaseMs,
        maxBackoffMs: config.webhooks.backoffMaxMs,
        concurrency: config.webhooks.deliveryConcurrency,
      },
    },
    log,
  );
  log.info('sync worker started', { queue: SYNC_QUEUE, concurrency, maxJobsPerTenant, sweepAfterSeconds, sweepIntervalSeconds });

  let stopped = false;
  return {
    async close() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await events.close();
      slots.stop();
      await worker.close();
      await slots.released();
      await sweeping?.catch(() => undefined);
      await queue.close();
      connection.disconnect();
      slotConnection.disconnect();
      log.info('sync worker stopped');
    },
    async kill() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      void events.close();
      stop.abort();
      slots.stop();
      await worker.close(true).catch(() => undefined);
      await queue.close();
      connection.disconnect();
      slotConnection.disconnect();
      log.warn('sync worker killed');
    },
    sweep,
  };
}
