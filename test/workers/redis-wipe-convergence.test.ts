import { textValue } from '../../src/attributes/text-value';
import IORedis from 'ioredis';
import type { MembershipDoc, UserDoc } from '../../src/persistence/models';
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

    // Push users over SCIM while the worker (one job at a time) works through them: creates,
    // PATCHes (title, department), an IdP group, a deactivation and a reactivation.
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const id = await s.user(`p${i}`, {
        department: DEPARTMENTS[i % 4]!,
        country: i % 2 === 0 ? 'CA' : 'US',
        email: i % 5 === 0 ? `p${i}@support.example.com` : `p${i}@example.com`,
        active: i % 9 !== 8,
      });
      await s.patchUser(id, replaceOp('title', i % 6 === 0 ? 'Lead engineer' : 'Engineer'));
      ids.push(id);
    }
    const idpEngineering = await s.idpGroup(
      'Engineering',
      ids.filter((_, i) => i % 3 === 0),
    );
    for (let i = 1; i < 10; i += 2) await s.patchUser(ids[i]!, replaceOp(`${ENTERPRISE_USER_URN}:department`, 'Sales'));
    await s.patchUser(ids[4]!, replaceOp('active', false));
    await s.patchUser(ids[8]!, replaceOp('active', true));
    // A rule created now runs over the whole tenant (a full run) while user jobs still wait.
    const leadsRule = (await s.createRule({ name: 'Leads', expression: 'title sw "Lead"', targetGroupId: groups.leads })).id;

    // Mid-run: some rule-derived memberships exist, and work is still queued.
    const models = s.runtime.deps.models;
    await waitFor(async () => (await models.Membership.collection.countDocuments({ tenantId: s.tenantId, sources: `rule:${salesRule}` })) >= 3, 'the worker to be under way');
    // Queued: on the waiting list, or prioritized (a tenant this busy has its later jobs prioritized, src/queue/tenant-demand.ts).
    const queued = await s.queue.getJobCounts('waiting', 'prioritized');
    expect((queued.waiting ?? 0) + (queued.prioritized ?? 0)).toBeGreaterThan(0);

    await redis.flushdb();
    await s.worker!.kill();
    // Whatever the dying worker still enqueued goes too: only MongoDB remembers the work.
    await redis.flushdb();
    const pending = await models.User.collection.countDocuments({ tenantId: s.tenantId, 'sync.pendingSince': { $exists: true } });
    expect(pending).toBeGreaterThan(0);

    s.startWorker({ concurrency: 4, sweepAfterSeconds: 1, sweepIntervalSeconds: 1 });
    await s.settle(90_000);

    // What the rules say, computed here from the stored users and IdP memberships.
    const stored = (await models.User.collection.find({ tenantId: s.tenantId } as never).toArray()) as unknown as UserDoc[];
    const engineeringIdp = new Set(
      ((await models.Membership.collection.find({ tenantId: s.tenantId, groupId: idpEngineering, sources: 'scim' } as never).toArray()) as unknown as MembershipDoc[]).map((m) => m.userId),
    );
    const expected = (name: string, target: string, source: string, wants: (u: UserDoc) => boolean) => ({
      name,
      target,
      source,
      members: stored
        .filter((u) => u.attrs.active !== false && wants(u))
        .map((u) => u._id)
        .sort(),
    });
    const attr = (u: UserDoc, ...path: string[]) => path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], u.attrs);
    const expectations = [
      expected('sales', groups.sales, `rule:${salesRule}`, (u) => attr(u, 'enterprise', 'department') === 'Sales'),
      expected('support', groups.support, `rule:${supportRule}`, (u) => ((u.attrs.emails ?? []) as { value: string }[]).some((e) => e.value.toLowerCase().endsWith('@support.example.com'))),
      expected('engineering', groups.engineering, `rule:${mapping.body.id}`, (u) => engineeringIdp.has(u._id)),
      expected('us', groups.us, 'dynamic', (u) => attr(u, 'custom', 'country') === 'US'),
      expected('leads', groups.leads, `rule:${leadsRule}`, (u) => textValue(attr(u, 'title')).toLowerCase().startsWith('lead')),
    ];
    for (const e of expectations) {
      expect(e.members.length).toBeGreaterThan(0);
      expect({ ...e, members: await s.holders(e.target, e.source) }).toEqual(e);
    }
    // And nothing else: no rule-derived membership outside those.
    const all = (await models.Membership.collection.find({ tenantId: s.tenantId } as never).toArray()) as unknown as MembershipDoc[];
    const derived = all.flatMap((m) => m.sources.filter(isRuleDerivedSource).map((source) => `${m.groupId} ${source} ${m.userId}`)).sort();
    const wanted = expectations.flatMap((e) => e.members.map((u) => `${e.target} ${e.source} ${u}`)).sort();
    expect(derived).toEqual(wanted);
  });
});
