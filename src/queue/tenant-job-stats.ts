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

/** Sets KEYS[1] to ARGV[1] (a time) unless it holds a later one: workers' completions may arrive out of order. */
const SET_IF_LATER = `local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 0`;

/** One finished job, as counted for its tenant. */
export interface JobOutcome {
  tenantId: string;
  outcome: JobOutcomeKind;
  /** When it finished (ms since the epoch). */
  at: number;
}

/**
 * Counts finished jobs in one transaction: one increment per tenant, hour and minute bucket
 * (whatever the number of jobs in it), and per tenant the latest success (last successful
 * evaluation). A busy worker's completions go together this way (workers/job-queue.ts) instead of
 * a transaction each.
 */
export async function recordJobOutcomes(redis: RedisConnection, queuePrefix: string, outcomes: readonly JobOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const increments = new Map<string, Map<string, number>>();
  const lastSuccess = new Map<string, number>();
  for (const { tenantId, outcome, at } of outcomes) {
    const key = hourKey(queuePrefix, tenantId, Math.floor(at / HOUR_MS));
    const field = `${outcome}:${Math.floor(at / MINUTE_MS)}`;
    const fields = increments.get(key) ?? increments.set(key, new Map()).get(key)!;
    fields.set(field, (fields.get(field) ?? 0) + 1);
    if (outcome === 'completed') lastSuccess.set(tenantId, Math.max(at, lastSuccess.get(tenantId) ?? 0));
  }
  const multi = redis.multi();
  for (const [key, fields] of increments) {
    for (const [field, n] of fields) multi.hincrby(key, field, n);
    multi.pexpire(key, 3 * HOUR_MS);
  }
  for (const [tenantId, at] of lastSuccess) multi.eval(SET_IF_LATER, 1, lastSuccessKey(queuePrefix, tenantId), String(at), String(30 * 24 * HOUR_MS));
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
