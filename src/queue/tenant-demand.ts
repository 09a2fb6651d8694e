import type { RedisConnection } from './redis-connection';

/**
 * Fairness between tenants on the one sync queue (issue 24, docs/decisions.md): a job's BullMQ
 * priority comes from how many jobs its tenant enqueued recently. A tenant that enqueues little
 * (fewer than LIGHT_JOBS in the window) gets priority 0, BullMQ's plain waiting list, which the
 * worker always takes before any prioritized job; a heavier tenant's jobs go to the prioritized set
 * with `1 + floor(log2(demand / LIGHT_JOBS))`: 16 jobs → 1, 32 → 2, … 50,000 → 12. So tenant B's
 * single change is taken before the bulk of tenant A's import whatever came first, a tenant with a
 * moderate stream is served before the one with the flood, and A still has every free worker slot
 * when nobody else has work (priorities order jobs, they never hold one back).
 *
 * Demand, not backlog: counting jobs queued (INCR on enqueue, DECR on completion) drifts upwards,
 * because an add that BullMQ deduplicates (a change to an object whose job is waiting) creates no
 * job and its add does not say so, and a drifted counter would push a tenant back for good.
 * Demand counts adds in time buckets that expire on their own: nothing to balance, nothing to
 * repair, and a lost Redis only makes every tenant light again.
 *
 * The window slides over two buckets of WINDOW_MS (the previous one weighted by the part of it
 * still inside the window). Keys share the queue's hash tag (`{prefix}:tenant-demand:…`): one
 * Redis Cluster slot with the queue, so the MULTI below is a single-slot transaction.
 */
export const LIGHT_JOBS = 16;
export const WINDOW_MS = 10_000;

/** The priority of a job whose tenant enqueued `demand` jobs in the window before it. */
export function priorityForDemand(demand: number): number {
  if (demand < LIGHT_JOBS) return 0;
  return 1 + Math.floor(Math.log2(demand / LIGHT_JOBS));
}

const bucketKey = (queuePrefix: string, tenantId: string, bucket: number) => `${queuePrefix}:tenant-demand:${tenantId}:${bucket}`;

/**
 * Counts `count` new jobs of `tenantId` and returns their priorities, in order (the i-th job's
 * demand includes the i jobs before it in this call). One round trip. Throws when Redis does
 * (the caller's enqueue fails the same way and the outbox keeps the change).
 */
export async function claimPriorities(redis: RedisConnection, queuePrefix: string, tenantId: string, count: number, now = Date.now()): Promise<number[]> {
  if (count <= 0) return [];
  const bucket = Math.floor(now / WINDOW_MS);
  const current = bucketKey(queuePrefix, tenantId, bucket);
  const replies = await redis
    .multi()
    .incrby(current, count)
    .pexpire(current, 2 * WINDOW_MS)
    .get(bucketKey(queuePrefix, tenantId, bucket - 1))
    .exec();
  if (!replies) throw new Error('tenant demand: transaction aborted');
  for (const [err] of replies) if (err) throw err;
  const afterAdd = Number(replies[0]![1]);
  const previous = Number(replies[2]![1] ?? 0);
  const stillInWindow = 1 - (now - bucket * WINDOW_MS) / WINDOW_MS;
  const before = afterAdd - count + Math.floor(previous * stillInWindow);
  return Array.from({ length: count }, (_, i) => priorityForDemand(before + i));
}

/** Priorities for a list of jobs of any tenants, in the list's order: one transaction per tenant, run together. */
export async function claimPrioritiesFor(redis: RedisConnection, queuePrefix: string, tenantIds: readonly string[], now = Date.now()): Promise<number[]> {
  const positions = new Map<string, number[]>();
  tenantIds.forEach((tenantId, i) => {
    const list = positions.get(tenantId);
    if (list) list.push(i);
    else positions.set(tenantId, [i]);
  });
  const priorities = new Array<number>(tenantIds.length).fill(0);
  await Promise.all(
    [...positions].map(async ([tenantId, at]) => {
      const claimed = await claimPriorities(redis, queuePrefix, tenantId, at.length, now);
      at.forEach((position, k) => {
        priorities[position] = claimed[k]!;
      });
    }),
  );
  return priorities;
}
