import { randomBytes } from 'node:crypto';
import { createRedisConnection, type RedisConnection } from '../../src/queue/redis-connection';
import { queuePrefix } from '../../src/queue/jobs';
import { LIGHT_JOBS, WINDOW_MS, claimPriorities, claimPrioritiesFor, priorityForDemand } from '../../src/queue/tenant-demand';
import { Queue } from 'bullmq';
import { createJobProducer } from '../../src/queue/producer';
import { SYNC_QUEUE } from '../../src/queue/jobs';
import { silentLogger } from '../../src/observability/logger';

let redis: RedisConnection;
let prefix: string;

beforeAll(() => {
  redis = createRedisConnection(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
});
beforeEach(() => {
  prefix = queuePrefix(`t${randomBytes(4).toString('hex')}`);
});
afterAll(() => {
  redis?.disconnect();
});

describe('priority from a tenant’s recent demand', () => {
  it('a light tenant stays on the plain waiting list; a heavier one goes back one level each time its demand doubles', () => {
    expect(priorityForDemand(0)).toBe(0);
    expect(priorityForDemand(LIGHT_JOBS - 1)).toBe(0);
    expect(priorityForDemand(LIGHT_JOBS)).toBe(1);
    expect(priorityForDemand(2 * LIGHT_JOBS - 1)).toBe(1);
    expect(priorityForDemand(2 * LIGHT_JOBS)).toBe(2);
    expect(priorityForDemand(50_000)).toBe(1 + Math.floor(Math.log2(50_000 / LIGHT_JOBS)));
  });

  it('counts each tenant apart: A’s flood raises A’s priorities, B’s next job is still light', async () => {
    const now = 5 * WINDOW_MS + 1;
    const a = await claimPriorities(redis, prefix, 'ten_a', 2000, now);
    expect(a.slice(0, LIGHT_JOBS)).toEqual(new Array(LIGHT_JOBS).fill(0));
    expect(a[LIGHT_JOBS]).toBe(1);
    expect(a[1999]).toBe(priorityForDemand(1999));
    // Never decreasing within a burst: A's own jobs keep their order.
    expect(a.every((p, i) => i === 0 || p >= a[i - 1]!)).toBe(true);
    expect(await claimPriorities(redis, prefix, 'ten_b', 1, now)).toEqual([0]);
    expect(await claimPriorities(redis, prefix, 'ten_a', 1, now)).toEqual([priorityForDemand(2000)]);
  });

  it('demand fades with the window: the previous window counts by the part of it still inside, then not at all', async () => {
    const start = 10 * WINDOW_MS;
    await claimPriorities(redis, prefix, 'ten_a', 64, start);
    // Half-way through the next window: half of the 64 still count.
    expect(await claimPriorities(redis, prefix, 'ten_a', 1, start + WINDOW_MS + WINDOW_MS / 2)).toEqual([priorityForDemand(32)]);
    // Two windows later nothing of it is left.
    expect(await claimPriorities(redis, prefix, 'ten_a', 1, start + 3 * WINDOW_MS)).toEqual([0]);
  });

  it('a mixed batch (the sweeper’s) gets each job its own tenant’s priority, in the batch’s order', async () => {
    const now = 20 * WINDOW_MS;
    const tenants = [...new Array(40).fill('ten_a'), 'ten_b', 'ten_a'];
    const priorities = await claimPrioritiesFor(redis, prefix, tenants, now);
    expect(priorities[40]).toBe(0);
    expect(priorities[41]).toBe(priorityForDemand(40));
    expect(priorities.slice(0, 40)).toEqual(Array.from({ length: 40 }, (_, i) => priorityForDemand(i)));
  });

  it('concurrent enqueues through the producer (their claims go together) get each job its own tenant’s priority, none counted twice', async () => {
    const raw = `t${randomBytes(4).toString('hex')}`;
    const producer = createJobProducer(process.env.REDIS_URL!, raw, silentLogger);
    const queue = new Queue(SYNC_QUEUE, { connection: redis, prefix: queuePrefix(raw) });
    try {
      while ((await redis.ping()) !== 'PONG' || !(await producer.enqueue('user.changed', { tenantId: 'ten_warm', userId: 'usr_warm', version: 1, reason: 'created' })));
      // The producer counts in real time: start well inside a window, so every claim lands in one bucket.
      while (Date.now() % WINDOW_MS > WINDOW_MS - 3000) await new Promise((r) => setTimeout(r, 100));
      const jobs = [...Array.from({ length: 40 }, (_, i) => ({ tenantId: 'ten_a', userId: `usr_a${i}` })), { tenantId: 'ten_b', userId: 'usr_b' }];
      expect(await Promise.all(jobs.map((j) => producer.enqueue('user.changed', { ...j, version: 1, reason: 'created' })))).toEqual(jobs.map(() => true));
      const stored = await queue.getJobs(['waiting', 'prioritized']);
      const priorityOf = (userId: string) => stored.find((j) => (j.data as { userId: string }).userId === userId)?.opts.priority ?? 0;
      expect(priorityOf('usr_b')).toBe(0);
      // A's 40 jobs: demands 0..39 between them, each exactly once, whatever the order the claims went in.
      const a = jobs.filter((j) => j.tenantId === 'ten_a').map((j) => priorityOf(j.userId));
      expect(a.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => priorityForDemand(i)));
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      await producer.close();
    }
  });

  it('keeps its keys in the queue’s hash slot and lets them expire', async () => {
    const now = 30 * WINDOW_MS;
    await claimPriorities(redis, prefix, 'ten_a', 1, now);
    const key = `${prefix}:tenant-demand:ten_a:${Math.floor(now / WINDOW_MS)}`;
    expect(key.startsWith(`${prefix}:`)).toBe(true);
    expect(prefix).toMatch(/^\{[^}]+\}$/);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2 * WINDOW_MS);
  });
});
