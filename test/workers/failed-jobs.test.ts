import { repositoriesOf } from '../../src/persistence/repositories';
import type { SyncedRuleDoc } from '../../src/persistence/models';
import { silentLogger } from '../../src/observability/logger';
import { createWorkerJobQueue, type WorkerJobQueue } from '../../workers/job-queue';
import { sweepPending } from '../../workers/sweeper';
import { ruleWithFailingJob, startSyncStack, waitFor, type SyncStack } from './sync-fixtures';

/**
 * A change whose job failed for good is left to that job (kept in Redis with its error for an
 * operator's retry): the sweeper does not enqueue it again on every sweep. Once the failed job is
 * gone, or the document has a newer version, the change is enqueued again.
 */
let s: SyncStack;
let queue: WorkerJobQueue;
let target: string;

beforeAll(async () => {
  // The worker's own sweep would race this file's sweeps over the same fresh marks: it waits an hour.
  s = await startSyncStack({ worker: { sweepAfterSeconds: 3600 } });
  queue = createWorkerJobQueue(s.config.redisUrl, s.config.queue.prefix, silentLogger);
  target = await s.internalGroup('Failing target');
});
afterAll(async () => {
  await queue?.close();
  await s?.close();
});

const rules = () => repositoriesOf(s.runtime.deps.models).rules;
const syncOf = async (ruleId: string) => (await rules().findOfTenant(s.tenantId, ruleId))!.sync as SyncedRuleDoc['sync'] & { failedJob?: { id: string; version: number } };
const sweep = () => sweepPending(s.runtime.deps.models, queue, 0, silentLogger);

/** A stored rule that no longer compiles (as if the schema lost an attribute), with its job run once and failed for good. */
async function ruleWithFailedJob(): Promise<{ ruleId: string; jobId: string }> {
  const { ruleId, job } = await ruleWithFailingJob(s, target);
  await waitFor(async () => (await job.getState()) === 'failed', 'the job to fail');
  // Named before BullMQ moved the job to failed: no sweep in between could take the change for lost work.
  expect((await syncOf(ruleId)).failedJob).toEqual({ id: job.id, version: 1 });
  return { ruleId, jobId: job.id! };
}

it('a change whose job failed for good is not enqueued again while Redis keeps the failed job', async () => {
  const { ruleId } = await ruleWithFailedJob();
  for (let i = 0; i < 3; i++) expect((await sweep()).rules).toBe(0);
  expect((await syncOf(ruleId)).pendingSince).toBeInstanceOf(Date);
  expect(await s.queue.getJobCounts('waiting', 'delayed', 'active')).toEqual({ waiting: 0, delayed: 0, active: 0 });
});

it('once the failed job is removed, the change is enqueued again (once)', async () => {
  const { jobId } = await ruleWithFailedJob();
  await (await s.queue.getJob(jobId))!.remove();
  expect((await sweep()).rules).toBe(1);
  expect((await sweep()).rules).toBe(0);
});

it("a newer version of the document is not held by the older version's failed job", async () => {
  const { ruleId } = await ruleWithFailedJob();
  await rules().requestRun(s.tenantId, ruleId);
  expect((await syncOf(ruleId)).version).toBe(2);
  expect((await sweep()).rules).toBe(1);
});

it("an operator's retry that succeeds clears the mark and the failed-job note", async () => {
  const { ruleId, jobId } = await ruleWithFailedJob();
  // The operator fixes the cause (the expression), then retries the failed job.
  await s.runtime.deps.models.Rule.collection.updateOne({ _id: ruleId } as never, { $set: { expression: 'department eq "Sales"' } });
  await (await s.queue.getJob(jobId))!.retry();
  const sync = await waitFor(async () => {
    const current = await syncOf(ruleId);
    return current.pendingSince === undefined && current;
  }, 'the retried job to acknowledge the rule');
  expect(sync.failedJob).toBeUndefined();
});

it('the mark is written only for the version the job failed on', async () => {
  const user = await s.user('marked.user');
  const marks = repositoriesOf(s.runtime.deps.models).users.syncMarks;
  await waitFor(async () => (await marks.countPending(s.tenantId)) === 0, "the user's change to be processed");
  // Nothing pending: nothing to hold.
  expect(await marks.markFailed(s.tenantId, user, 1, 'job-1')).toBe(false);
  await s.runtime.deps.models.User.collection.updateOne({ _id: user } as never, { $set: { 'sync.pendingSince': new Date(), 'sync.version': 3 } });
  expect(await marks.markFailed(s.tenantId, user, 2, 'job-2')).toBe(false);
  expect(await marks.markFailed(s.tenantId, user, 3, 'job-3')).toBe(true);
  expect(await marks.acknowledge(s.tenantId, user, 3)).toBe(true);
  const doc = await repositoriesOf(s.runtime.deps.models).users.find(s.tenantId, user);
  expect(doc!.sync).toEqual({ version: 3 });
});
