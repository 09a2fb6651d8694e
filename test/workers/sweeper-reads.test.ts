import { silentLogger } from '../../src/observability/logger';
import type { WorkerJobQueue } from '../../workers/job-queue';
import { PendingSweeper } from '../../workers/sweeper';
import { useSweeperStack, type SyncStack } from './sync-fixtures';

/**
 * Issue 23: the worker's sweeper reads the stale marks, not every pending one. A backlog whose
 * jobs are waiting is read once (when it becomes stale), then watched through Redis alone; a mark
 * that becomes stale later is read once; and the guarantee stays the full sweep's: a watched mark
 * whose job is lost is read again and re-enqueued, a mark acknowledged meanwhile is dropped, a
 * mark written within the threshold waits until its write is old enough.
 *
 * Documents read are the embedded server's read counters (`readStats`); on a real MongoDB (no
 * counters) the same steps run and only the enqueued counts are checked.
 */

let s: SyncStack;
let queue: WorkerJobQueue;
useSweeperStack((stack, q) => {
  s = stack;
  queue = q;
});

const models = () => s.runtime.deps.models;
const usersRead = async (): Promise<number | undefined> => {
  const stats = (await s.runtime.db.connection.db!.command({ readStats: 1 }).catch(() => null)) as { namespaces: Record<string, { documentsRead: number }> } | null;
  return stats ? (stats.namespaces[`${s.runtime.db.connection.db!.databaseName}.users`]?.documentsRead ?? 0) : undefined;
};
/** Documents of `users` the sweep read (undefined without read counters), and what it re-enqueued. */
const measured = async (sweeper: PendingSweeper) => {
  const before = await usersRead();
  const result = await sweeper.sweep();
  const after = await usersRead();
  return { read: before === undefined || after === undefined ? undefined : after - before, users: result.users };
};
const expectRead = (read: number | undefined, n: number) => {
  if (read !== undefined) expect(read).toBe(n);
};
/** Sets the marks (and the writes that made them) of these users to `at`. */
const markAt = (ids: string[], at: Date, updatedAt = at) => models().User.collection.updateMany({ tenantId: s.tenantId, _id: { $in: ids } } as never, { $set: { 'sync.pendingSince': at, updatedAt } });
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

it('reads a waiting backlog once, then only what becomes stale; a lost job is read again and re-enqueued; an acknowledged mark is dropped', async () => {
  await s.queue.obliterate({ force: true });
  const backlog: string[] = [];
  for (let i = 0; i < 30; i++) backlog.push(await s.user(`backlog${i}`));
  // Their jobs wait (no worker runs here); the marks are older than the threshold.
  await markAt(backlog, minutesAgo(60));
  // No margin for late writes here (below), so what each sweep reads is exact.
  const sweeper = new PendingSweeper(models(), queue, 60, silentLogger, { lateWriteMarginMs: 0 });

  // The first sweep is full: it reads the backlog and finds every job waiting.
  let sweep = await measured(sweeper);
  expect(sweep.users).toBe(0);
  if (sweep.read !== undefined) expect(sweep.read).toBeGreaterThanOrEqual(30);
  expect(sweeper.watchedCount()).toBe(30);
  // Then: nothing became stale, every watched job is still waiting: no document is read.
  for (let i = 0; i < 3; i++) {
    sweep = await measured(sweeper);
    expect(sweep.users).toBe(0);
    expectRead(sweep.read, 0);
  }

  // A change that becomes stale after the last sweep: read once, its job is waiting.
  const late = await s.user('late');
  // Stamped after the last sweep's cutoff, stale by this one's.
  await markAt([late], new Date(Date.now() - 60_000));
  sweep = await measured(sweeper);
  expect(sweep.users).toBe(0);
  expectRead(sweep.read, 1);
  expect(sweeper.watchedCount()).toBe(31);

  // Redis loses every job: each watched mark is read again and re-enqueued, once.
  await s.queue.obliterate({ force: true });
  sweep = await measured(sweeper);
  expect(sweep.users).toBe(31);
  expectRead(sweep.read, 31);
  sweep = await measured(sweeper);
  expect(sweep.users).toBe(0);
  expectRead(sweep.read, 0);

  // Ten are acknowledged (their jobs done), then the rest of the jobs are lost: the ten are dropped, the others re-enqueued.
  await models().User.collection.updateMany({ tenantId: s.tenantId, _id: { $in: backlog.slice(0, 10) } } as never, { $unset: { 'sync.pendingSince': '' } });
  await s.queue.obliterate({ force: true });
  sweep = await measured(sweeper);
  expect(sweep.users).toBe(21);
  expectRead(sweep.read, 31); // the 31 whose jobs were gone, looked at once
  expect(sweeper.watchedCount()).toBe(21);
  sweep = await measured(sweeper);
  expect(sweep.users).toBe(0);
  expectRead(sweep.read, 0);
});

it('a mark whose write committed after a sweep with a clock read from before it is found by the next sweep (the margin)', async () => {
  await s.queue.obliterate({ force: true });
  await models().User.collection.updateMany({ tenantId: s.tenantId }, { $unset: { 'sync.pendingSince': '' } });
  const sweeper = new PendingSweeper(models(), queue, 60, silentLogger, { lateWriteMarginMs: 30_000 });
  await sweeper.sweep();
  // Stamped 10 s before that sweep's cutoff, committed after it, and its enqueue lost.
  const id = await s.user('late.writer');
  await s.queue.obliterate({ force: true });
  await markAt([id], new Date(Date.now() - 70_000));
  expect((await sweeper.sweep()).users).toBe(1);
  // A sweeper without the margin misses it until its next full sweep: what the margin is for.
  await models().User.collection.updateMany({ tenantId: s.tenantId }, { $unset: { 'sync.pendingSince': '' } });
  const strict = new PendingSweeper(models(), queue, 60, silentLogger, { lateWriteMarginMs: 0 });
  await strict.sweep();
  const other = await s.user('late.writer2');
  await s.queue.obliterate({ force: true });
  await markAt([other], new Date(Date.now() - 70_000));
  expect((await strict.sweep()).users).toBe(0);
});

it('a stale mark last written within the threshold waits for its write to age, then is re-enqueued if its job never came', async () => {
  await s.queue.obliterate({ force: true });
  await models().User.collection.updateMany({ tenantId: s.tenantId }, { $unset: { 'sync.pendingSince': '' } });
  const id = await s.user('writing');
  await s.queue.obliterate({ force: true });
  // Pending for an hour, written a moment ago: its writer may still be on the way to its enqueue.
  await markAt([id], minutesAgo(60), new Date());
  const sweeper = new PendingSweeper(models(), queue, 60, silentLogger, { lateWriteMarginMs: 0 });
  expect((await sweeper.sweep()).users).toBe(0);
  expect((await sweeper.sweep()).users).toBe(0);
  // The write is old now, and no job ever came: lost work.
  await markAt([id], minutesAgo(60), minutesAgo(2));
  expect((await sweeper.sweep()).users).toBe(1);
  expect((await s.queue.getJobs(['waiting', 'prioritized'])).map((j) => (j.data as { userId: string }).userId)).toEqual([id]);
});
