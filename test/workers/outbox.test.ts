import type { UserDoc } from '../../src/persistence/models';
import { MembershipsRepository } from '../../src/persistence/memberships-repository';
import { silentLogger } from '../../src/observability/logger';
import { RuleSetCache } from '../../src/domain/sync/rule-set';
import type { WorkerJobQueue } from '../../workers/job-queue';
import { repositoriesOf } from '../../src/persistence/repositories';
import type { ProcessorDeps } from '../../workers/processors/processor-deps';
import { processUserChanged } from '../../workers/processors/user-changed';
import { sweepPending } from '../../workers/sweeper';
import { ENTERPRISE_USER_URN, replaceOp, useSweeperStack, type SyncStack } from './sync-fixtures';

describe('outbox: pending marks on the documents', () => {
  let s: SyncStack;
  let queue: WorkerJobQueue;
  useSweeperStack((stack, q) => {
    s = stack;
    queue = q;
  });
  beforeEach(() => s.queue.drain(true));

  const syncOf = async (id: string) => ((await s.runtime.deps.models.User.collection.findOne({ _id: id } as never)) as unknown as UserDoc).sync;

  function processorDeps(memberships = new MembershipsRepository(s.runtime.deps.models)): ProcessorDeps {
    const { models, registry } = s.runtime.deps;
    return { models, memberships, registry, logger: silentLogger, ruleSets: new RuleSetCache(models, registry, silentLogger), queue, signal: new AbortController().signal, chunkSize: 100 };
  }

  it('a write marks the document pending for its new version, in the same update', async () => {
    const id = await s.user('ann');
    expect(await syncOf(id)).toEqual({ version: 1, pendingSince: expect.any(Date) });
    await s.patchUser(id, replaceOp('title', 'Engineer'));
    expect((await syncOf(id)).version).toBe(2);
  });

  it('the worker clears the pending mark only for the version it processed', async () => {
    const id = await s.user('bob');
    await s.patchUser(id, replaceOp('title', 'Engineer'));
    const marks = repositoriesOf(s.runtime.deps.models).users.syncMarks;
    expect(await marks.acknowledge(s.tenantId, id, 1)).toBe(false);
    expect((await syncOf(id)).pendingSince).toBeInstanceOf(Date);
    expect(await marks.acknowledge(s.tenantId, id, 2)).toBe(true);
    expect((await syncOf(id)).pendingSince).toBeUndefined();
  });

  it('when the user changes while its job runs, then the mark stays and a follow-up job is queued', async () => {
    const sales = await s.internalGroup('Sales team');
    await s.createRule({ name: 'Sales', expression: 'department eq "Sales"', targetGroupId: sales });
    const id = await s.user('cid', { department: 'Sales' });
    await s.queue.drain(true);
    const real = new MembershipsRepository(s.runtime.deps.models);
    const racing = Object.create(real) as MembershipsRepository;
    racing.applyAudited = async (...args: Parameters<MembershipsRepository['applyAudited']>) => {
      // The IdP's next change lands while the job is between its read and its acknowledgement;
      // the API's own enqueue is lost here (deduplicated against the running job, in real life).
      await s.patchUser(id, replaceOp(`${ENTERPRISE_USER_URN}:department`, 'Legal'));
      await s.queue.drain(true);
      return real.applyAudited(...args);
    };
    const result = await processUserChanged(processorDeps(racing), { tenantId: s.tenantId, userId: id, version: 1, reason: 'created' });
    expect(result.outcome).toBe('superseded');
    expect(await syncOf(id)).toEqual({ version: 2, pendingSince: expect.any(Date) });
    const waiting = await s.queue.getJobs(['waiting', 'prioritized'], 0, 100);
    expect(waiting.find((j) => j.data.userId === id)?.data).toMatchObject({ version: 2, reason: 'requeue' });
    // The follow-up, run on the current state, removes what the stale run added.
    await processUserChanged(processorDeps(), { tenantId: s.tenantId, userId: id, version: 2, reason: 'requeue' });
    expect((await s.membersOf(sales)).has(id)).toBe(false);
    expect((await syncOf(id)).pendingSince).toBeUndefined();
  });

  it('the sweeper re-enqueues documents pending longer than the threshold, and only those', async () => {
    const id = await s.user('dee');
    await s.queue.drain(true);
    expect((await sweepPending(s.runtime.deps.models, queue, 3600, silentLogger)).users).toBe(0);
    expect(await s.queue.getWaitingCount()).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    const swept = await sweepPending(s.runtime.deps.models, queue, 0, silentLogger);
    expect(swept.users).toBeGreaterThanOrEqual(1);
    const waiting = await s.queue.getJobs(['waiting', 'prioritized'], 0, 100);
    expect(waiting.find((j) => j.data.userId === id)?.data).toMatchObject({ tenantId: s.tenantId, reason: 'sweep' });
  });

  it('a re-enqueue of a waiting job rides on it (one job per object)', async () => {
    const id = await s.user('eve');
    await sweepPending(s.runtime.deps.models, queue, 0, silentLogger);
    await sweepPending(s.runtime.deps.models, queue, 0, silentLogger);
    const waiting = await s.queue.getJobs(['waiting', 'prioritized'], 0, 1000);
    expect(waiting.filter((j) => j.name === 'user.changed' && j.data.userId === id)).toHaveLength(1);
  });
});
