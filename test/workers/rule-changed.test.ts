import type { SyncedRuleDoc } from '../../src/domain/sync/rule-records';
import { RuleSetCache } from '../../src/domain/sync/rule-set';
import { runRule } from '../../src/domain/sync/rule-run';
import type { SyncDeps } from '../../src/domain/sync/sync-deps';
import { MembershipsRepository } from '../../src/persistence/memberships-repository';
import { silentLogger } from '../../src/observability/logger';
import { startSyncStack, type SyncStack } from './sync-fixtures';

const DEPARTMENTS = ['Sales', 'Support', 'Legal'];

/** 30 users over three departments and two countries; returns ids by department. */
async function seedUsers(s: SyncStack, prefix: string): Promise<{ all: string[]; by: (d: string, country?: string) => string[] }> {
  const rows: { id: string; department: string; country: string }[] = [];
  for (let i = 0; i < 30; i++) {
    const department = DEPARTMENTS[i % 3]!;
    const country = i % 2 === 0 ? 'US' : 'CA';
    rows.push({ id: await s.user(`${prefix}${i}`, { department, country }), department, country });
  }
  return {
    all: rows.map((r) => r.id),
    by: (d, country) =>
      rows
        .filter((r) => r.department === d && (country === undefined || r.country === country))
        .map((r) => r.id)
        .sort(),
  };
}

async function ruleDoc(s: SyncStack, id: string): Promise<SyncedRuleDoc | null> {
  return (await s.runtime.deps.models.Rule.collection.findOne({ _id: id } as never)) as SyncedRuleDoc | null;
}

describe('rule.changed: a full run per rule change', () => {
  let s: SyncStack;
  let users: Awaited<ReturnType<typeof seedUsers>>;

  beforeAll(async () => {
    // Small chunks: the run's per-chunk adds and removes (by id range) are exercised.
    s = await startSyncStack({ worker: { chunkSize: 4 } });
    users = await seedUsers(s, 'u');
    await s.settle();
  });
  afterAll(() => s.close());

  it('when a rule is created, then every matching user is added and the run result is recorded', async () => {
    const target = await s.internalGroup('US sales');
    const rule = await s.createRule({ name: 'US sales', expression: 'department = "Sales" AND country = "US"', targetGroupId: target });
    await s.settle();
    expect(await s.holders(target, `rule:${rule.id}`)).toEqual(users.by('Sales', 'US'));
    const doc = await ruleDoc(s, rule.id);
    expect(doc?.lastRun).toMatchObject({ version: 1, outcome: 'completed', matched: users.by('Sales', 'US').length, added: users.by('Sales', 'US').length, removed: 0 });
    expect(doc?.sync.pendingSince).toBeUndefined();
    expect(doc?.progress).toBeUndefined();
  });

  it('when the expression changes, then new matches are added, old ones removed, and other sources stay', async () => {
    const target = await s.internalGroup('Sales or support');
    const rule = await s.createRule({ name: 'Sales', expression: 'department eq "Sales"', targetGroupId: target });
    await s.settle();
    const keptByHand = users.by('Sales')[0]!;
    await s.runtime.deps.memberships.addSource(s.tenantId, target, [keptByHand], 'manual');
    const res = await s.admin.patch(`/rules/${rule.id}`, { expression: 'department in "Support","Legal"' });
    expect(res.status).toBe(200);
    await s.settle();
    expect(await s.holders(target, `rule:${rule.id}`)).toEqual([...users.by('Support'), ...users.by('Legal')].sort());
    expect((await s.membersOf(target)).get(keptByHand)).toEqual(['manual']);
    expect((await ruleDoc(s, rule.id))?.lastRun).toMatchObject({ version: 2, added: 20, removed: 10 });
  });

  it('when a rule is disabled, its memberships go; when enabled again, they come back', async () => {
    const target = await s.internalGroup('Legal');
    const rule = await s.createRule({ name: 'Legal', expression: 'department eq "Legal"', targetGroupId: target });
    await s.settle();
    expect((await s.admin.patch(`/rules/${rule.id}`, { enabled: false })).status).toBe(200);
    await s.settle();
    expect(await s.holders(target, `rule:${rule.id}`)).toEqual([]);
    expect((await ruleDoc(s, rule.id))?.lastRun).toMatchObject({ outcome: 'removed', removed: 10 });
    expect((await s.admin.patch(`/rules/${rule.id}`, { enabled: true })).status).toBe(200);
    await s.settle();
    expect(await s.holders(target, `rule:${rule.id}`)).toEqual(users.by('Legal'));
  });

  it('when the target group changes, then the old group loses the rule source and the new one gains it', async () => {
    const first = await s.internalGroup('Support A');
    const second = await s.internalGroup('Support B');
    const rule = await s.createRule({ name: 'Support', expression: 'department eq "Support"', targetGroupId: first });
    await s.settle();
    expect((await s.admin.patch(`/rules/${rule.id}`, { targetGroupId: second })).status).toBe(200);
    await s.settle();
    expect(await s.holders(first, `rule:${rule.id}`)).toEqual([]);
    expect(await s.holders(second, `rule:${rule.id}`)).toEqual(users.by('Support'));
    expect((await ruleDoc(s, rule.id))?.staleTargets ?? []).toEqual([]);
  });

  it('when a rule is deleted, then its memberships are removed and its tombstone goes', async () => {
    const target = await s.internalGroup('CA');
    const rule = await s.createRule({ name: 'Canada', expression: 'country eq "CA"', targetGroupId: target });
    await s.settle();
    expect((await s.holders(target, `rule:${rule.id}`)).length).toBe(15);
    expect((await s.admin.delete(`/rules/${rule.id}`)).status).toBe(204);
    expect((await s.admin.get(`/rules/${rule.id}`)).status).toBe(404);
    await s.settle();
    expect(await s.holders(target, `rule:${rule.id}`)).toEqual([]);
    expect(await ruleDoc(s, rule.id)).toBeNull();
  });
});

describe('rule runs: resumable and superseded', () => {
  let s: SyncStack;
  let users: Awaited<ReturnType<typeof seedUsers>>;
  beforeAll(async () => {
    s = await startSyncStack({ worker: false });
    users = await seedUsers(s, 'r');
  });
  afterAll(() => s.close());

  /** Engine dependencies whose membership writes can be intercepted. */
  function depsWith(onAdd: (call: number) => Promise<void> | void): SyncDeps {
    const real = s.runtime.deps.models;
    let calls = 0;
    const after = async <T>(result: T) => {
      await onAdd(++calls);
      return result;
    };
    const repo = new MembershipsRepository(real);
    const memberships = Object.create(repo) as MembershipsRepository;
    // A full run writes each chunk's memberships, with their audit events, in one applyAudited call.
    memberships.applyAudited = (...args: Parameters<MembershipsRepository['applyAudited']>) => repo.applyAudited(...args).then(after);
    return { models: real, memberships, registry: s.runtime.deps.registry, logger: silentLogger, ruleSets: new RuleSetCache(real, s.runtime.deps.registry, silentLogger) };
  }

  it('when a run dies after its first chunk, then the next run resumes from the saved position and converges', async () => {
    const target = await s.internalGroup('Everyone');
    const rule = await s.createRule({ name: 'All', expression: 'userName sw "r"', targetGroupId: target });
    const stop = new AbortController();
    await expect(
      runRule(
        depsWith(() => stop.abort()),
        s.tenantId,
        rule.id,
        { chunkSize: 5, signal: stop.signal },
      ),
    ).rejects.toThrow(/aborted/);
    // The first chunk is saved; the second may be too, when its write had started beside the first
    // (a run writes one chunk ahead), and then every chunk written is saved.
    const saved = (await ruleDoc(s, rule.id))?.progress;
    const done = saved?.matched ?? 0;
    expect([5, 10]).toContain(done);
    expect(saved).toMatchObject({ version: 1, matched: done, added: done });
    expect(saved?.after).toBe([...users.all].sort()[done - 1]);
    expect((await s.holders(target, `rule:${rule.id}`)).length).toBe(done);

    let writes = 0;
    const result = await runRule(
      depsWith(() => void writes++),
      s.tenantId,
      rule.id,
      { chunkSize: 5 },
    );
    expect(result).toMatchObject({ outcome: 'completed', matched: 30, added: 30 });
    expect(writes).toBe((30 - done) / 5); // the users after the saved position, 5 per chunk
    expect(await s.holders(target, `rule:${rule.id}`)).toEqual([...users.all].sort());
  });

  it('while a chunk is being written the next is read and written beside it, and the saved position never passes a chunk not yet written', async () => {
    const target = await s.internalGroup('Pipelined');
    const rule = await s.createRule({ name: 'Pipelined', expression: 'userName sw "r"', targetGroupId: target });
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    let savedWhileFirstHeld: unknown = 'not read';
    const run = runRule(
      depsWith(async (call) => {
        // The first chunk's write is held after its memberships are made; the second chunk's goes on beside it.
        if (call === 1) await firstHeld;
        if (call === 2) {
          // Outside this write (it goes on): time for the second chunk to finish and try its checkpoint.
          setTimeout(() => {
            void ruleDoc(s, rule.id).then((doc) => {
              savedWhileFirstHeld = doc?.progress?.after;
              releaseFirst();
            });
          }, 200);
        }
      }),
      s.tenantId,
      rule.id,
      { chunkSize: 5 },
    );
    expect(await run).toMatchObject({ outcome: 'completed', matched: 30, added: 30 });
    // Without the pipeline the second write never starts while the first is held (the run hangs);
    // with the checkpoints out of order the second chunk's position is saved before the first's.
    expect(savedWhileFirstHeld).toBeUndefined();
    expect(await s.holders(target, `rule:${rule.id}`)).toEqual([...users.all].sort());
    const events = await s.runtime.deps.models.AuditEvent.collection.countDocuments({ tenantId: s.tenantId, action: 'membership.added', 'actor.id': rule.id });
    expect(events).toBe(30);
  });

  it('when the rule changes during a run, then the run stops (superseded) and the newer version runs in full', async () => {
    const target = await s.internalGroup('Sales only');
    const rule = await s.createRule({ name: 'Sales', expression: 'department eq "Sales"', targetGroupId: target });
    const editDuringRun = async (call: number) => {
      if (call === 1) expect((await s.admin.patch(`/rules/${rule.id}`, { expression: 'department eq "Legal"' })).status).toBe(200);
    };
    const first = await runRule(depsWith(editDuringRun), s.tenantId, rule.id, { chunkSize: 2 });
    expect(first).toEqual({ outcome: 'superseded', version: 1 });
    const second = await runRule(
      depsWith(() => undefined),
      s.tenantId,
      rule.id,
      { chunkSize: 2 },
    );
    expect(second).toMatchObject({ outcome: 'completed', version: 2 });
    expect(await s.holders(target, `rule:${rule.id}`)).toEqual(users.by('Legal'));
    expect(
      await runRule(
        depsWith(() => undefined),
        s.tenantId,
        rule.id,
      ),
    ).toEqual({ outcome: 'upToDate', version: 2 });
  });
});
