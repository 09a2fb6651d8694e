import { Queue } from 'bullmq';
import { createRedisConnection } from './redis-connection';
import type { Logger } from '../observability/logger';
import { claimPrioritiesFor } from './tenant-demand';
import { Batcher } from '../domain/batcher';
import { SYNC_QUEUE, dedupId, jobOptions, queuePrefix, type JobName, type JobPayloads } from './jobs';

export interface JobProducer {
  /** Best effort: never throws. The document's sync mark is the durable record; the sweeper re-enqueues. */
  enqueue<N extends JobName>(name: N, data: JobPayloads[N]): Promise<boolean>;
  close(): Promise<void>;
}

const ENQUEUE_TIMEOUT_MS = 500;

export function createJobProducer(redisUrl: string, prefix: string, logger: Logger): JobProducer {
  // No offline queue: with Redis down, an add fails at once instead of holding the SCIM response.
  const connection = createRedisConnection(redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
    // Adds issued in the same tick (concurrent SCIM writes) go to Redis in one write.
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  connection.on('error', (err) => logger.debug('producer redis error', { err }));
  const bullPrefix = queuePrefix(prefix);
  const queue = new Queue(SYNC_QUEUE, { connection, prefix: bullPrefix });
  queue.on('error', (err) => logger.debug('producer queue error', { err }));
  // Concurrent enqueues claim their priorities together: one transaction per tenant per flush.
  const priorities = new Batcher<string, number>((tenantIds) => claimPrioritiesFor(connection, bullPrefix, tenantIds));

  return {
    async enqueue(name, data) {
      const id = dedupId(name, data);
      // Redis known to be down: do not make the SCIM response wait for a timeout.
      if (connection.status !== 'ready') {
        logger.warn('Redis unavailable; change left to the sweeper', { job: name, dedupId: id, redis: connection.status });
        return false;
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        const add = async () => {
          // The tenant's recent demand sets the job's priority (fairness between tenants).
          const priority = await priorities.one(data.tenantId);
          await queue.add(name, data, jobOptions(name, data, priority));
        };
        await Promise.race([
          add(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('enqueue timed out')), ENQUEUE_TIMEOUT_MS);
          }),
        ]);
        return true;
      } catch (err) {
        logger.warn('enqueue failed; the sweeper will pick the change up', { job: name, dedupId: id, err });
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await queue.close().catch(() => undefined);
      connection.disconnect();
    },
  };
}
