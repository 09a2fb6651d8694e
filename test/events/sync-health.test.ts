import { checkSyncRecovered } from '../../src/domain/sync/sync-health';
import { ruleWithFailingJob, startSyncStack, waitFor, type SyncStack } from '../workers/sync-fixtures';

interface Ev {
  id: string;
  type: string;
  object: { type: string; id: string };
  data: Record<string, any>;
}

/** directory.sync_failed / directory.sync_recovered (docs/events.md): one event per turn of the tenant's sync health. */
describe('directory sync health events', () => {
  let s: SyncStack;
  beforeAll(async () => {
    // No sweep on a timer: the test runs the health check itself.
    s = await startSyncStack({ worker: { sweepAfterSeconds: 3600 } });
  });
  afterAll(() => s?.close());

  const healthEvents = async (): Promise<Ev[]> => (await s.admin.get('/events?limit=1000&types=directory.sync_failed,directory.sync_recovered').expect(200)).body.items as Ev[];

  it('a job failing for good makes one directory.sync_failed; once nothing is held by a failed job, one directory.sync_recovered', async () => {
    const target = await s.internalGroup('Health target');
    const first = await ruleWithFailingJob(s, target);
    await waitFor(async () => (await first.job.getState()) === 'failed', 'the first job to fail');
    const second = await ruleWithFailingJob(s, target);
    await waitFor(async () => (await second.job.getState()) === 'failed', 'the second job to fail');
    const failed = await healthEvents();
    // The second failure while already failing is no new turn.
    expect(failed.map((e) => e.type)).toEqual(['directory.sync_failed']);
    expect(failed[0]).toMatchObject({
      object: { type: 'Directory', id: s.tenantId },
      data: { tenantId: s.tenantId, job: { name: 'rule.changed', id: first.job.id, objectId: first.ruleId }, error: expect.any(String) },
    });

    // One change still held by a failed job: not recovered.
    const models = s.runtime.deps.models;
    await models.Rule.collection.updateOne({ _id: first.ruleId } as never, { $set: { expression: 'department eq "Sales"' } });
    await first.job.retry();
    await waitFor(async () => (await first.job.getState()) === 'completed', 'the first retry to complete');
    expect(await checkSyncRecovered(models)).toBe(0);
    expect((await healthEvents()).map((e) => e.type)).toEqual(['directory.sync_failed']);

    await models.Rule.collection.updateOne({ _id: second.ruleId } as never, { $set: { expression: 'department eq "Sales"' } });
    await second.job.retry();
    await waitFor(async () => (await second.job.getState()) === 'completed', 'the second retry to complete');
    expect(await checkSyncRecovered(models)).toBe(1);
    expect(await checkSyncRecovered(models)).toBe(0);
    const events = await healthEvents();
    expect(events.map((e) => e.type)).toEqual(['directory.sync_failed', 'directory.sync_recovered']);
    expect(events[1]!.data).toMatchObject({ tenantId: s.tenantId, failingSince: expect.any(String), failingForSeconds: expect.any(Number) });
  });
});
