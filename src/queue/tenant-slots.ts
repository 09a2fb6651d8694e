import type { RedisConnection } from './redis-connection';

/**
 * A per-tenant cap on the sync workers' running jobs, across every worker process (issue 24,
 * docs/decisions.md, "Fairness between tenants", part 3). The queue's priorities decide which job
 * a free slot takes next (src/queue/tenant-demand.ts); this decides whether a job taken may run:
 * while another tenant has work (a job running on any worker, the queue's next job, or a job of its
 * taken in the last `activeWindowMs`), one tenant runs at most `cap` jobs at once. A tenant alone
 * runs in every slot: the cap only holds a tenant back while it would crowd another out.
 *
 * Why the window: a tenant making single changes (one job every second or two) has no job running
 * or queued most of the time. Without the window, the importing tenant filled every slot between
 * those changes, and each single change then ran beside 32 of the import's jobs on a busy database
 * (bench:fairness, docs/benchmarks.md). The SCIM gate shares its slots by the same rule
 * (src/scim/http/tenant-gate.ts).
 *
 * Shared state in Redis, under the queue's hash tag (one Redis Cluster slot, so each script is a
 * single-slot call):
 * - `{prefix}:tenant-slots:leases`, a sorted set of running jobs (`<tenantId> <holder>`, scored by
 *   lease expiry): a worker renews its jobs' leases while they run, and a lease left by a worker
 *   that died expires and is dropped by the next acquire;
 * - `{prefix}:tenant-slots:running`, a hash of running jobs per tenant, kept in step with the set;
 * - `{prefix}:tenant-slots:seq`, a counter numbering each slot taken or given back, so the logs of
 *   several workers can be put in the order Redis saw (tests check the cap that way);
 * - `{prefix}:tenant-slots:seen`, a sorted set of tenants scored by when a job of theirs last asked
 *   for a slot (entries older than the window are dropped by the next acquire).
 *
 * A job over the cap does not go back to the queue at once (a free slot would take the same
 * tenant's next job and spin): the worker holds it, and it starts when its tenant falls below the
 * cap or no other tenant runs a job. It gives its slot up (delayed briefly, no attempt counted)
 * when the queue's next job is another tenant's, which then gets the slot (workers/job-slots.ts).
 */

/** An acquire's answer: run now, hold (over the cap while another tenant has work), or hold and give the slot up (a light job waits for one). */
export type SlotAnswer = { kind: 'acquired'; seq: number } | { kind: 'over-cap' } | { kind: 'yield' };

const keys = (queuePrefix: string) => ({
  leases: `${queuePrefix}:tenant-slots:leases`,
  running: `${queuePrefix}:tenant-slots:running`,
  seq: `${queuePrefix}:tenant-slots:seq`,
  seen: `${queuePrefix}:tenant-slots:seen`,
});

/**
 * How long a tenant counts as having work after it last asked for a slot: here, one of its jobs;
 * in the SCIM gate (src/scim/http/tenant-gate.ts), one of its requests. One window for both.
 */
export const TENANT_ACTIVE_WINDOW_MS = 5_000;

/** BullMQ's keys of the queue the cap looks at (its next job). */
export interface QueueKeys {
  wait: string;
  prioritized: string;
  /** Prefix of a job's hash: `{prefix}:sync:` */
  job: string;
}

/**
 * KEYS: leases, running, the queue's wait list, its prioritized set, the slot-change sequence, seen.
 * ARGV: tenant, member, cap, now, lease ms, the job key prefix (`{prefix}:sync:`), active window ms.
 * Returns [answer, seq]: answer 1 acquired (seq numbers the change), 0 over the cap while another
 * tenant runs a job or was seen within the window, -1 over the cap and the queue's next job is
 * another tenant's.
 */
const ACQUIRE = `
local since = tonumber(ARGV[4]) - tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. since)
redis.call('ZADD', KEYS[6], ARGV[4], ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[4], 'LIMIT', 0, 100)
for _, member in ipairs(expired) do
  redis.call('ZREM', KEYS[1], member)
  local tenant = string.match(member, '^(%S+) ')
  if tenant and redis.call('HINCRBY', KEYS[2], tenant, -1) <= 0 then redis.call('HDEL', KEYS[2], tenant) end
end
local own = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if own >= tonumber(ARGV[3]) then
  local nextId = redis.call('LINDEX', KEYS[3], -1)
  if not nextId then
    local first = redis.call('ZRANGE', KEYS[4], 0, 0)
    nextId = first[1]
  end
  if nextId then
    local data = redis.call('HGET', ARGV[6] .. nextId, 'data')
    local nextTenant = data and string.match(data, '"tenantId":"([^"]+)"')
    if nextTenant and nextTenant ~= ARGV[1] then return {-1, 0} end
  end
  local others = redis.call('HLEN', KEYS[2]) - ((own > 0) and 1 or 0)
  if others > 0 then return {0, 0} end
  if redis.call('ZCARD', KEYS[6]) > 1 then return {0, 0} end
end
redis.call('ZADD', KEYS[1], tonumber(ARGV[4]) + tonumber(ARGV[5]), ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
return {1, redis.call('INCR', KEYS[5])}
`;

/** KEYS: leases, running, the slot-change sequence. ARGV: tenant, member. Returns the change's sequence number (0 when the lease was gone). */
const RELEASE = `
if redis.call('ZREM', KEYS[1], ARGV[2]) == 0 then return 0 end
if redis.call('HINCRBY', KEYS[2], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
return redis.call('INCR', KEYS[3])
`;

/** The Redis side of the cap; one instance per worker process. */
export class TenantSlotLeases {
  private readonly k: ReturnType<typeof keys>;

  constructor(
    private readonly redis: RedisConnection,
    queuePrefix: string,
    private readonly queue: QueueKeys,
    private readonly leaseMs: number,
    private readonly activeWindowMs = TENANT_ACTIVE_WINDOW_MS,
  ) {
    this.k = keys(queuePrefix);
  }

  async acquire(tenantId: string, holder: string, cap: number, now = Date.now()): Promise<SlotAnswer> {
    const q = this.queue;
    const [answer, seq] = (await this.redis.eval(
      ACQUIRE,
      6,
      this.k.leases,
      this.k.running,
      q.wait,
      q.prioritized,
      this.k.seq,
      this.k.seen,
      tenantId,
      member(tenantId, holder),
      cap,
      now,
      this.leaseMs,
      q.job,
      this.activeWindowMs,
    )) as [number, number];
    if (answer === 1) return { kind: 'acquired', seq: Number(seq) };
    return answer === -1 ? { kind: 'yield' } : { kind: 'over-cap' };
  }

  /** Gives a running job's slot back; returns the change's sequence number (0 when its lease had expired). */
  async release(tenantId: string, holder: string): Promise<number> {
    return Number(await this.redis.eval(RELEASE, 3, this.k.leases, this.k.running, this.k.seq, tenantId, member(tenantId, holder)));
  }

  /** Extends the leases of jobs still running (one round trip); a lease already dropped is not re-created. */
  async renew(held: readonly { tenantId: string; holder: string }[], now = Date.now()): Promise<void> {
    if (held.length === 0) return;
    const args: (string | number)[] = [];
    for (const h of held) args.push(now + this.leaseMs, member(h.tenantId, h.holder));
    await this.redis.zadd(this.k.leases, 'XX', ...args);
  }

  /** Running jobs per tenant, across the workers (for tests and monitoring). */
  async running(): Promise<Record<string, number>> {
    const all = await this.redis.hgetall(this.k.running);
    return Object.fromEntries(Object.entries(all).map(([tenant, n]) => [tenant, Number(n)]));
  }
}

// Tenant ids carry no spaces (tenants.ts makes them), so a space separates the tenant from the holder.
const member = (tenantId: string, holder: string) => `${tenantId} ${holder}`;
