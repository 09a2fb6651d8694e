import IORedis, { Cluster, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from '../config/redis-url';

/** A Redis client of the code base: one server or a Redis Cluster (REDIS_URL naming several nodes). */
export type RedisConnection = IORedis | Cluster;

/**
 * The one place a Redis client is made. `options` are what the caller needs of a connection
 * (retries, offline queue, pipelining); for a cluster they apply to every node's connection and the
 * cluster client alike, so a producer that must not wait when Redis is down behaves the same on
 * both. Every key an operation names shares the `{QUEUE_PREFIX}` hash tag (jobs.ts queuePrefix),
 * so multi-key commands, MULTI and BullMQ's Lua scripts stay within one slot on a cluster.
 */
export function createRedisConnection(redisUrl: string, options: RedisOptions = {}): RedisConnection {
  const target = parseRedisUrl(redisUrl);
  // One server: ioredis reads the URL itself, exactly as before clusters were supported.
  if (!target.cluster) return new IORedis(redisUrl, options);
  const common: RedisOptions = {
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
  };
  const { enableOfflineQueue, enableAutoPipelining, retryStrategy, lazyConnect, ...perNode } = options;
  return new Cluster(target.nodes, {
    redisOptions: { ...common, ...perNode, ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}) },
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(enableAutoPipelining !== undefined ? { enableAutoPipelining } : {}),
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) ?? null } : {}),
  });
}
