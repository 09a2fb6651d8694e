import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { createRedisConnection, type RedisConnection } from '../../src/queue/redis-connection';
import { queuePrefix } from '../../src/queue/jobs';
import { readTenantJobStats, recordJobOutcomes, type JobOutcome } from '../../src/queue/tenant-job-stats';

let redis: RedisConnection;

beforeAll(() => {
  redis = createRedisConnection(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
});
afterAll(() => {
  redis?.disconnect();
});

/** Seeded; fast-check prints the seed and path of a failure (FC_SEED=… reruns it). */
const SEED = Number(process.env.FC_SEED ?? 20261207);
const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('per-tenant job outcome counts', () => {
  it('outcomes recorded together count as each recorded alone: per tenant, the last hour, and the latest success', async () => {
    // A fixed "now" on an hour boundary plus some minutes, so jobs fall in this hour and the previous one.
    const now = 500_000 * HOUR + 17 * MINUTE;
    const outcome = fc.record({
      tenantId: fc.constantFrom('ten_a', 'ten_b', 'ten_c'),
      outcome: fc.constantFrom('completed' as const, 'failed' as const),
      // Up to 70 minutes back: some outside the last hour, which must not count.
      at: fc.integer({ min: now - 70 * MINUTE, max: now }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(outcome, { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 5 }), async (flushes) => {
        const prefix = queuePrefix(`t${randomBytes(4).toString('hex')}`);
        for (const flush of flushes) await recordJobOutcomes(redis, prefix, flush);
        const all: JobOutcome[] = flushes.flat();
        for (const tenantId of ['ten_a', 'ten_b', 'ten_c']) {
          const mine = all.filter((o) => o.tenantId === tenantId);
          // The last hour is whole minutes after the minute an hour ago.
          const recent = mine.filter((o) => Math.floor(o.at / MINUTE) > Math.floor((now - HOUR) / MINUTE));
          const successes = mine.filter((o) => o.outcome === 'completed').map((o) => o.at);
          expect(await readTenantJobStats(redis, prefix, tenantId, now)).toEqual({
            completedLastHour: recent.filter((o) => o.outcome === 'completed').length,
            failedLastHour: recent.filter((o) => o.outcome === 'failed').length,
            lastSuccessAt: successes.length > 0 ? new Date(Math.max(...successes)) : null,
          });
        }
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('a tenant with no finished job has none counted and no last success', async () => {
    const prefix = queuePrefix(`t${randomBytes(4).toString('hex')}`);
    await recordJobOutcomes(redis, prefix, [{ tenantId: 'ten_a', outcome: 'completed', at: Date.now() }]);
    expect(await readTenantJobStats(redis, prefix, 'ten_b')).toEqual({ completedLastHour: 0, failedLastHour: 0, lastSuccessAt: null });
  });
});
