import IORedis from 'ioredis';
import type { MembershipDoc } from '../../src/persistence/models';
import { setDynamicGroupRule } from '../../src/domain/sync/dynamic-group-rules';
import { isRuleDerivedSource } from '../../src/domain/sync/rule-records';
import { ENTERPRISE_USER_URN, replaceOp, startSyncStack, waitFor, type SyncStack } from './sync-fixtures';

/**
 * DESIGN §5, "no change is ever lost": users are pushed over SCIM while rules assign them, then
 * Redis loses every key and the worker dies mid-run. After a restart, the outbox (pending marks
 * on the documents) alone must bring every membership to exactly what the rules say.
 *
 * The wipe is FLUSHDB on a Redis database number only this file uses: the same effect as the
 * issue's FLUSHALL for this service, without touching keys of test files running beside it.
 */
const WIPED_DB = 9;

interface Person {
  id: string;
  i: number;
  department: string;
  title: string;
  country: string;
  email: string;
  active: boolean;
  engineering: boolean;
}

const DEPARTMENTS = ['Sales', 'Support', 'Legal', 'Finance'];

function redisUrlWithDb(db: number): string {
  const url = new URL(process.env.REDIS_URL as string);
  url.pathname = `/${db}`;
  return url.toString();
}

describe('outbox: convergence after Redis is wiped and the worker is killed mid-run', () => {
  let s: SyncStack;
  let redis: IORedis;

  beforeAll(async () => {
    s = await startSyncStack({ env: { REDIS_URL: redisUrlWithDb(WIPED_DB) }, worker: { concurrency: 1, chunkSize: 5 } });
    redis = new IORedis(s.config.redisUrl);
  });
  afterAll(async () => {
    redis.disconnect();
    await s.close();
  });

  it('every membership converges to exactly what the rules say', async () => {
    const groups = {
      sales: await s.internalGroup('Sales team'),
      support: await s.internalGroup('Support team'),
      engineering: await s.internalGroup('Engineering (product)'),
      us: await s.internalGroup('US staff', { kind: 'dynamic' }),
      leads: await s.internalGroup('Leads'),
    };
    const salesRule = (await s.createRule({ name: 'Sales', expression: 'department = "Sales"', targetGroupId: groups.sales })).id;
    const supportRule = (await s.createRule({ name: 'Support', expression: "email.endsWith('@support.example.com')", targetGroupId: groups.support })).id;
    const mapping = await s.admin.post('/mappings', { idpGroup: 'Engineering', targetGroupId: groups.engineering });
    expect(mapping.status).toBe(201);
    await setDynamicGroupRule(
      { models: s.runtime.deps.models, registry: s.runtime.deps.registry, producer: s.runtime.producer, logger: s.runtime.deps.logger },
      { tenantId: s.tenantId, actor: { type: 'admin', id: 'usr_operator' } },
      groups.us,
      'country eq "US"',
    );

    // Push users over SCIM while the worker (one job at a time) works through them.
    const people: Person[] = [];
    for (let i = 0; i < 40; i++) {
      const p: Person = {
        id: '',
        i,
        department: DEPARTMENTS[i % 4]!,
        title: i % 6 === 0 ? 'Lead engineer' : 'Engineer',
        country: i % 2 === 0 ? 'CA' : 'US',
        email: i % 5 === 0 ? `p${i}@support.example.com` : `p${i}@example.com`,
        active: i % 9 !== 8,
        engineering: i % 3 === 0,
      };
      p.id = await s.user(`p${i}`, { department: p.department, country: p.country, email: p.email, active: p.active });
      await s.patchUser(p.id, replaceOp('title', p.title));
      people.push(p);
    }
    await s.idpGroup('Engineering', people.filter((p) => p.engineering).map((p) => p.id));
    for (const p of people.slice(0, 10)) {
      if (p.i % 2 === 1) {
        p.department = 'Sales';
        await s.patchUser(p.id, replaceOp(`${ENTERPRISE_USER_URN}:department`, 'Sales'));
      }
    }
    const deactivated = people[4]!;
    deactivated.active = false;
    await s.patchUser(deactivated.id, replaceOp('active', false));
    const reactivated = people[8]!;
    reactivated.active = true;
    await s.patchUser(reactivated.id, replaceOp('active', true));
    // A rule created now runs over the whole tenant (a full run) while user jobs still wait.
    const leadsRule = (await s.createRule({ name: 'Leads', expression: 'title sw "Lead"', targetGroupId: groups.leads })).id;

    // Mid-run: some rule-derived memberships exist, and work is still queued.
    const models = s.runtime.deps.models;
    await waitFor(async () => (await models.Membership.collection.countDocuments({ tenantId: s.tenantId, sources: `rule:${salesRule}` } as never)) >= 3, 'the worker to be under way');
    expect((await s.queue.getJobCounts('waiting')).waiting).toBeGreaterThan(0);

    await redis.flushdb();
    await s.worker!.kill();
    // Whatever the dying worker still enqueued goes too: only MongoDB remembers the work.
    await redis.flushdb();
    const pending = await models.User.collection.countDocuments({ tenantId: s.tenantId, 'sync.pendingSince': { $exists: true } } as never);
    expect(pending).toBeGreaterThan(0);

    s.startWorker({ concurrency: 4, sweepAfterSeconds: 1, sweepIntervalSeconds: 1 });
    await s.settle(90_000);

    const expected = (name: string, target: string, source: string, wants: (p: Person) => boolean) => ({
      name,
      target,
      source,
      members: people.filter((p) => p.active && wants(p)).map((p) => p.id).sort(),
    });
    const expectations = [
      expected('sales', groups.sales, `rule:${salesRule}`, (p) => p.department === 'Sales'),
      expected('support', groups.support, `rule:${supportRule}`, (p) => p.email.endsWith('@support.example.com')),
      expected('engineering', groups.engineering, `rule:${mapping.body.id}`, (p) => p.engineering),
      expected('us', groups.us, 'dynamic', (p) => p.country === 'US'),
      expected('leads', groups.leads, `rule:${leadsRule}`, (p) => p.title.startsWith('Lead')),
    ];
    if (process.env.DEBUG_CONVERGENCE) {
      console.log(JSON.stringify(await models.Rule.collection.findOne({ _id: leadsRule } as never)));
      console.log(JSON.stringify(await models.AuditEvent.collection.find({ tenantId: s.tenantId, 'object.id': groups.leads } as never).toArray()));
      const holders = new Set(await s.holders(groups.leads, `rule:${leadsRule}`));
      for (const p of people.filter((x) => x.title.startsWith('Lead') && !holders.has(x.id))) {
        console.log('MISSING', p.i, JSON.stringify(await models.User.collection.findOne({ _id: p.id } as never)), JSON.stringify(await models.AuditEvent.collection.find({ 'object.id': p.id } as never).toArray()));
      }
    }
    for (const e of expectations) {
      expect({ ...e, members: await s.holders(e.target, e.source) }).toEqual(e);
    }
    // And nothing else: no rule-derived membership outside those.
    const all = (await models.Membership.collection.find({ tenantId: s.tenantId } as never).toArray()) as unknown as MembershipDoc[];
    const derived = all.flatMap((m) => m.sources.filter(isRuleDerivedSource).map((source) => `${m.groupId} ${source} ${m.userId}`)).sort();
    const wanted = expectations.flatMap((e) => e.members.map((u) => `${e.target} ${e.source} ${u}`)).sort();
    expect(derived).toEqual(wanted);
  });
});
