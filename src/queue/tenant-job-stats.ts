import type { RedisConnection } from './redis-connection';

/**
 * Per-tenant job outcome counts, in minute buckets: BullMQ only counts per queue, and the
 * monitoring API answers per tenant ("completed in the last hour"). Keys share the queue's hash
 * tag (`{prefix}`), so they live in the queue's Redis Cluster slot and vanish with its data.
 * Losing them loses only monitoring figures, never work (the outbox is in MongoDB).
 */
export type JobOutcomeKind = 'completed' | 'failed';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

const hourKey = (queuePrefix: string, tenantId: string, hour: number) => `${queuePrefix}:sync-stats:${tenantId}:h:${hour}`;
const lastSuccessKey = (queuePrefix: string, tenantId: string) => `${queuePrefix}:sync-stats:${tenantId}:last-success`;

/** Counts one finished job for its tenant; on success also records the time (last successful evaluation). */
export async function recordJobOutcome(redis: RedisConnection, queuePrefix: string, tenantId: string, outcome: JobOutcomeKind, at = Date.now()): Promise<void> {
  const hour = Math.floor(at / HOUR_MS);
  const minute = Math.floor(at / MINUTE_MS);
  const key = hourKey(queuePrefix, tenantId, hour);
  const multi = redis
    .multi()
    .hincrby(key, `${outcome}:${minute}`, 1)
    .pexpire(key, 3 * HOUR_MS);
  if (outcome === 'completed') multi.set(lastSuccessKey(queuePrefix, tenantId), String(at), 'PX', 30 * 24 * HOUR_MS);
  await multi.exec();
}

export interface TenantJobStats {
  completedLastHour: number;
  failedLastHour: number;
  lastSuccessAt: Date | null;
}

export async function readTenantJobStats(redis: RedisConnection, queuePrefix: string, tenantId: string, now = Date.now()): Promise<TenantJobStats> {
  const hour = Math.floor(now / HOUR_MS);
  const fromMinute = Math.floor((now - HOUR_MS) / MINUTE_MS);
  const [current, previous, last] = await Promise.all([
    redis.hgetall(hourKey(queuePrefix, tenantId, hour)),
    redis.hgetall(hourKey(queuePrefix, tenantId, hour - 1)),
    redis.get(lastSuccessKey(queuePrefix, tenantId)),
  ]);
  const stats: TenantJobStats = { completedLastHour: 0, failedLastHour: 0, lastSuccessAt: last ? new Date(Number(last)) : null };
  for (const [field, value] of [...Object.entries(previous), ...Object.entries(current)]) {
    const [kind, minute] = field.split(':');
    if (Number(minute) <= fromMinute) continue;
    if (kind === 'completed') stats.completedLastHour += Number(value);
    else if (kind === 'failed') stats.failedLastHour += Number(value);
  }
  return stats;
}
