import { randomBytes } from 'node:crypto';
import { createRedisConnection, type RedisConnection } from '../../src/queue/redis-connection';
import { queuePrefix } from '../../src/queue/jobs';
import { TenantSlotLeases } from '../../src/queue/tenant-slots';

/**
 * The per-tenant cap's Redis side with a fake clock (`now` passed in): the cap binds while another
 * tenant runs a job and for the active window after another tenant's job last asked for a slot,
 * and a tenant alone runs past it. The cap across real workers: test/workers/tenant-job-cap.test.ts.
 */
const WINDOW_MS = 5_000;
const LEASE_MS = 60_000;

let redis: RedisConnection;
let leases: TenantSlotLeases;

beforeAll(() => {
  redis = createRedisConnection(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
});
beforeEach(() => {
  const prefix = queuePrefix(`t${randomBytes(4).toString('hex')}`);
  const queue = { wait: `${prefix}:sync:wait`, prioritized: `${prefix}:sync:prioritized`, job: `${prefix}:sync:` };
  leases = new TenantSlotLeases(redis, prefix, queue, LEASE_MS, WINDOW_MS);
});
afterAll(() => {
  redis?.disconnect();
});

it('a tenant alone runs past its cap', async () => {
  const t = 1_000_000;
  for (let i = 0; i < 5; i++) expect((await leases.acquire('ten_a', `w:${i}`, 2, t + i)).kind).toBe('acquired');
  expect(await leases.running()).toEqual({ ten_a: 5 });
});

it('after another tenant’s job ends, a tenant at its cap is held until the window since that job passes, then runs past the cap again', async () => {
  const t = 2_000_000;
  expect((await leases.acquire('ten_b', 'w:b1', 2, t)).kind).toBe('acquired');
  expect(await leases.release('ten_b', 'w:b1')).toBeGreaterThan(0);
  // B runs nothing now, but asked for a slot 1 ms ago: A shares.
  expect((await leases.acquire('ten_a', 'w:1', 2, t + 1)).kind).toBe('acquired');
  expect((await leases.acquire('ten_a', 'w:2', 2, t + 2)).kind).toBe('acquired');
  expect((await leases.acquire('ten_a', 'w:3', 2, t + 3)).kind).toBe('over-cap');
  // The last moment inside the window: still held.
  expect((await leases.acquire('ten_a', 'w:3', 2, t + WINDOW_MS)).kind).toBe('over-cap');
  // Past it: A is alone again.
  expect((await leases.acquire('ten_a', 'w:3', 2, t + WINDOW_MS + 1)).kind).toBe('acquired');
  expect(await leases.running()).toEqual({ ten_a: 3 });
  // B's next job renews the window: A's next one is held again, B's own runs (B is under its cap).
  expect((await leases.acquire('ten_b', 'w:b2', 2, t + WINDOW_MS + 2)).kind).toBe('acquired');
  expect((await leases.acquire('ten_a', 'w:4', 2, t + WINDOW_MS + 3)).kind).toBe('over-cap');
});

it('a tenant under its cap always runs, whoever else was seen', async () => {
  const t = 3_000_000;
  expect((await leases.acquire('ten_b', 'w:b', 1, t)).kind).toBe('acquired');
  expect((await leases.acquire('ten_c', 'w:c', 1, t)).kind).toBe('acquired');
  expect((await leases.acquire('ten_a', 'w:a', 1, t)).kind).toBe('acquired');
  expect(await leases.running()).toEqual({ ten_a: 1, ten_b: 1, ten_c: 1 });
});
