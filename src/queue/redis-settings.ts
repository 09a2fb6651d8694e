import { Cluster } from 'ioredis';
import type { Logger } from '../observability/logger';
import { createRedisConnection, type RedisConnection } from './redis-connection';

export interface RedisSettingsFinding {
  node: string;
  maxmemoryPolicy: string;
}

/**
 * BullMQ needs `maxmemory-policy noeviction`: with any other policy a full Redis evicts job and
 * queue keys, and the queue breaks in ways BullMQ cannot detect. Reads the policy of every master
 * (a cluster's, or the one server) and logs a warning naming each node that would evict. A node
 * that refuses CONFIG (managed Redis often does) is logged at info level and not counted.
 * Returns the nodes that would evict.
 */
export async function checkRedisSettings(redis: RedisConnection, logger: Logger): Promise<RedisSettingsFinding[]> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const findings: RedisSettingsFinding[] = [];
  for (const node of nodes) {
    const name = `${node.options.host ?? '?'}:${node.options.port ?? '?'}`;
    try {
      const reply = await node.config('GET', 'maxmemory-policy');
      const policy = reply[1] ?? 'unknown';
      if (policy !== 'noeviction') findings.push({ node: name, maxmemoryPolicy: policy });
    } catch (err) {
      logger.info('could not read Redis maxmemory-policy; make sure it is noeviction', { redisNode: name, err });
    }
  }
  if (findings.length > 0) {
    logger.warn('Redis may evict queue data: set maxmemory-policy to noeviction (docs/deployment.md)', {
      check: 'redis.maxmemory-policy',
      nodes: findings,
    });
  }
  return findings;
}

/** The start-up check of a process: its own short-lived connection, never fatal. */
export async function checkRedisSettingsAtStart(redisUrl: string, logger: Logger): Promise<void> {
  const redis = createRedisConnection(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await checkRedisSettings(redis, logger);
  } catch (err) {
    logger.info('could not check Redis settings at start', { err });
  } finally {
    redis.disconnect();
  }
}
