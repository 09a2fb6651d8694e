import { Worker } from 'bullmq';
import IORedis from 'ioredis';
import type { Config } from '../src/config/config';
import type { Logger } from '../src/observability/logger';
import type { Database } from '../src/persistence/mongo';
import { SYNC_QUEUE, queuePrefix, type JobName, type JobPayloads } from '../src/queue/jobs';
import { createJobProducer } from '../src/queue/producer';
import { createSyncProcessor } from './processors/sync-processor';
import { sweepPending } from './sweeper';

export interface SyncWorker {
  close(): Promise<void>;
}

/** Starts the BullMQ worker and the outbox sweeper. close() finishes the active jobs first. */
export function startSyncWorker(config: Config, db: Database, logger: Logger, opts: { concurrency?: number } = {}): SyncWorker {
  const log = logger.child({ component: 'worker' });
  // Workers block on Redis: they need retries forever (maxRetriesPerRequest null), unlike producers.
  const connection = new IORedis(config.redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', (err) => log.warn('worker redis error', { err }));
  const worker = new Worker<JobPayloads[JobName], unknown, JobName>(SYNC_QUEUE, createSyncProcessor({ models: db.models, logger: log }), {
    connection,
    prefix: queuePrefix(config.queue.prefix),
    concurrency: opts.concurrency ?? 8,
  });
  worker.on('failed', (job, err) => log.warn('job failed', { jobId: job?.id, job: job?.name, attempts: job?.attemptsMade, err }));
  worker.on('error', (err) => log.warn('worker error', { err }));

  const producer = createJobProducer(config.redisUrl, config.queue.prefix, log);
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    sweepPending(db.models, producer, config.sync.sweepAfterSeconds, log)
      .catch((err) => log.warn('sweep failed', { err }))
      .finally(() => {
        sweeping = false;
      });
  }, config.sync.sweepIntervalSeconds * 1000);
  timer.unref();
  log.info('sync worker started', { queue: SYNC_QUEUE, concurrency: opts.concurrency ?? 8 });

  return {
    async close() {
      clearInterval(timer);
      await worker.close();
      await producer.close();
      connection.disconnect();
      log.info('sync worker stopped');
    },
  };
}
