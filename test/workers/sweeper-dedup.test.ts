import { Worker } from 'bullmq';
import IORedis from 'ioredis';
import { silentLogger } from '../../src/observability/logger';
import { SYNC_QUEUE, queuePrefix } from '../../src/queue/jobs';
import type { WorkerJobQueue } from '../../workers/job-queue';
import { sweepPending } from '../../workers/sweeper';
import { useSweeperStack, waitFor, type SyncStack } from './sync-fixtures';

/** The sweeper re-enqueues only lost work: never a change whose object has a job queued or running. */

let s: SyncStack;
let queue: WorkerJobQueue;
useSweeperStack((stack, q) => {
  s = stack;
  queue = q;
});
beforeEach(async () => {
  await s.queue.obliterate({ force: true });
  // Each test starts from no pending work (users of earlier tests are settled).
  await s.runtime.deps.models.User.updateMany({}, { $unset: { 'sync.pendingSince': '' } });
});

/** Makes every pending mark of the tenant, and the write that made it, look older than the sweep threshold. */
const ageMarks = () => {
  const hourAgo = new Date(Date.now() - 3_600_000);
  return s.runtime.deps.models.User.collection.updateMany({ tenantId: s.tenantId, 'sync.pendingSince': { $exists: true } }, { $set: { 'sync.pendingSince': hourAgo, updatedAt: hourAgo } });
};
const sweep = () => sweepPending(s.runtime.deps.models, queue, 60, silentLogger);
const jobCount = async () => Object.values(await s.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized')).reduce((a, b) => a + b, 0);

it('a pending user whose job is still waiting is not enqueued again, however many sweeps run', async () => {
  await s.user('waiting.user');
  await ageMarks();
  expect(await jobCount()).toBe(1);
  for (let i = 0; i < 3; i++) expect((await sweep()).users).toBe(0);
  expect(await jobCount()).toBe(1);
});

it('a pending user whose job was lost (queue emptied) is enqueued once', async () => {
  await s.user('lost.user');
  await s.queue.obliterate({ force: true });
  await ageMarks();
  expect((await sweep()).users).toBe(1);
  expect((await sweep()).users).toBe(0);
  expect(await jobCount()).toBe(1);
});

it('a pending user whose job is running is skipped; once that job has finished without acknowledging, it is enqueued', async () => {
  const id = await s.user('running.user');
  await ageMarks();
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let started = false;
  // A worker of our own on the same queue that holds the job active (and acknowledges nothing).
  const connection = new IORedis(s.config.redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker(
    SYNC_QUEUE,
    async () => {
      started = true;
      await held;
    },
    { connection, prefix: queuePrefix(s.config.queue.prefix), concurrency: 1 },
  );
  try {
    await waitFor(async () => started, 'the job to become active');
    expect((await sweep()).users).toBe(0);
    expect(await s.queue.getJobCounts('waiting', 'active')).toEqual({ waiting: 0, active: 1 });
    await worker.pause(true).catch(() => undefined);
    release();
    await waitFor(async () => (await s.queue.getJobCounts('completed')).completed === 1, 'the job to complete');
  } finally {
    release();
    await worker.close();
    connection.disconnect();
  }
  // Finished, but the mark is still there (nothing acknowledged it): that change is lost work now.
  expect((await s.runtime.deps.models.User.findById(id).lean())!.sync.pendingSince).toBeInstanceOf(Date);
  expect((await sweep()).users).toBe(1);
  // Queued once: on the waiting list, or prioritized if the tenant is busy (src/queue/tenant-demand.ts).
  const queued = await s.queue.getJobCounts('waiting', 'prioritized');
  expect((queued.waiting ?? 0) + (queued.prioritized ?? 0)).toBe(1);
});
