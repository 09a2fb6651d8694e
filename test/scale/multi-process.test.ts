import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { loadConfig } from '../../src/config/config';
import { signAdminToken } from '../../src/auth/admin-jwt';
import { createTenant } from '../../src/domain/tenants';
import { SYNC_QUEUE, queuePrefix } from '../../src/queue/jobs';
import { createRedisConnection } from '../../src/queue/redis-connection';
import type { MembershipDoc } from '../../src/persistence/models';
import { startAppProcess, type AppProcess } from '../helpers/app-process';
import { openAppDatabase } from '../helpers/database';
import { mongoUriFor } from '../helpers/database';
import { TEST_JWT_SECRET } from '../helpers/stack';
import { waitFor } from '../workers/sync-fixtures';

/**
 * Two API and two worker processes (the real entry point, `--role=api` / `--role=worker`) on one
 * database and one Redis, two tenants' SCIM traffic spread over both APIs. The plan (who is in
 * which department and IdP group) is drawn from a seeded generator and printed on failure; each
 * object's changes are sent one after another, so the final state is known, while different
 * objects' changes (and many PATCHes of one group) run concurrently through both APIs.
 */
const SEED = Number(process.env.SCALE_TEST_SEED ?? Date.now() % 2 ** 31);
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const DEPARTMENTS = ['Sales', 'Legal', 'Support'] as const;
const IDP_GROUPS = ['Eng', 'Ops'] as const;
const WAVE1_USERS = 16;
const WAVE2_USERS = 8;

interface TenantPlan {
  name: string;
  tenantId: string;
  scimToken: string;
  adminToken: string;
  salesTarget: string;
  engTarget: string;
  salesRule: string;
  engMapping: string;
  idpGroups: Record<(typeof IDP_GROUPS)[number], string>;
  /** What the test sent, the expected final state: user id -> department, IdP group -> member ids. */
  department: Map<string, string>;
  members: Record<(typeof IDP_GROUPS)[number], Set<string>>;
}

async function call(api: AppProcess, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(api.url + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function expectCall(api: AppProcess, method: string, path: string, token: string, body: unknown, status: number[]): Promise<any> {
  const res = await call(api, method, path, token, body);
  if (!status.includes(res.status)) throw new Error(`${method} ${path} via ${api.url}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Runs the tasks `lanes` at a time. */
async function inLanes(tasks: (() => Promise<void>)[], lanes: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

describe(`two API and two worker processes on one database and one Redis (seed ${SEED})`, () => {
  let db: Awaited<ReturnType<typeof openAppDatabase>>;
  let env: Record<string, string>;
  let apis: AppProcess[] = [];
  let workers: AppProcess[] = [];
  let queue: Queue;
  let queueConnection: ReturnType<typeof createRedisConnection>;
  const tenants: TenantPlan[] = [];
  const api = (i: number) => apis[i % apis.length]!;

  beforeAll(async () => {
    // Indexes exist before the processes start: concurrent index creation at start-up is another test's subject.
    db = await openAppDatabase();
    const prefix = `mp${randomBytes(4).toString('hex')}`;
    env = {
      MONGODB_URI: mongoUriFor(db.dbName),
      REDIS_URL: process.env.REDIS_URL!,
      ADMIN_JWT_SECRET: TEST_JWT_SECRET,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'debug',
      PORT: '0',
      HOST: '127.0.0.1',
      // Every worker sweeps every second and takes anything pending for a second as lost.
      SYNC_SWEEP_AFTER_SECONDS: '1',
      SYNC_SWEEP_INTERVAL_SECONDS: '1',
      SHUTDOWN_TIMEOUT_MS: '5000',
      SCIM_RATE_LIMIT_PER_MINUTE: '1000000',
    };
    const config = loadConfig(env);
    queueConnection = createRedisConnection(config.redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue(SYNC_QUEUE, { connection: queueConnection, prefix: queuePrefix(prefix) });
    apis = await Promise.all([startAppProcess('api', env), startAppProcess('api', env)]);
    for (const name of ['acme', 'globex']) {
      const t = await createTenant(db.models, `${name}-${randomBytes(3).toString('hex')}`);
      tenants.push({
        name,
        tenantId: t.tenantId,
        scimToken: t.scimToken,
        adminToken: signAdminToken(config.adminJwt, { sub: 'usr_operator', tenant: t.tenantId, role: 'admin', kind: 'operator' }),
        salesTarget: '',
        engTarget: '',
        salesRule: '',
        engMapping: '',
        idpGroups: { Eng: '', Ops: '' },
        department: new Map(),
        members: { Eng: new Set(), Ops: new Set() },
      });
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.all([...apis, ...workers].map((p) => p.stop()));
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    queueConnection?.disconnect();
    await db?.drop();
  }, 60_000);

  const failWithSeed = async (work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      throw new Error(`${(err as Error).message}\n(replay with SCALE_TEST_SEED=${SEED})`, { cause: err });
    }
  };

  const createUsers = (t: TenantPlan, count: number, from: number) =>
    Array.from({ length: count }, (_, i) => async () => {
      const department = pick(DEPARTMENTS);
      const body = await expectCall(
        api(from + i),
        'POST',
        '/scim/v2/Users',
        t.scimToken,
        {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
          userName: `${t.name}-${from + i}@example.com`,
          [ENTERPRISE]: { department },
        },
        [201],
      );
      t.department.set(body.id, department);
      // Into some IdP groups, one single-member PATCH each: many concurrent PATCHes of one group.
      for (const g of IDP_GROUPS) {
        if (random() < 0.5) continue;
        await expectCall(
          api(from + i + 1),
          'PATCH',
          `/scim/v2/Groups/${t.idpGroups[g]}`,
          t.scimToken,
          { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: body.id }] }] },
          [200, 204],
        );
        t.members[g].add(body.id);
      }
    });

  it(
    'when both tenants provision through both APIs with no worker running and the queue is then lost, two workers started together sweep every change back and converge',
    () =>
      failWithSeed(async () => {
        for (const [n, t] of tenants.entries()) {
          const a = api(n);
          t.salesTarget = (await expectCall(a, 'POST', '/admin/v1/groups', t.adminToken, { name: 'Sales team' }, [201])).id;
          t.engTarget = (await expectCall(a, 'POST', '/admin/v1/groups', t.adminToken, { name: 'Engineers' }, [201])).id;
          t.salesRule = (await expectCall(a, 'POST', '/admin/v1/rules', t.adminToken, { name: 'Sales', expression: 'department eq "Sales"', targetGroupId: t.salesTarget }, [201])).id;
          t.engMapping = (await expectCall(api(n + 1), 'POST', '/admin/v1/mappings', t.adminToken, { idpGroup: 'Eng', targetGroupId: t.engTarget }, [201])).id;
          for (const g of IDP_GROUPS) {
            t.idpGroups[g] = (await expectCall(api(n + 1), 'POST', '/scim/v2/Groups', t.scimToken, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: g }, [201])).id;
          }
        }
        await inLanes(
          tenants.flatMap((t) => createUsers(t, WAVE1_USERS, 0)),
          8,
        );

        // Redis loses the queue: only the sync marks in MongoDB remember the work.
        await queue.obliterate({ force: true });
        await new Promise((r) => setTimeout(r, 1100));
        workers = await Promise.all([startAppProcess('worker', env), startAppProcess('worker', env)]);
        await converged();
        await expectExactState();

        const swept = workers.flatMap((w) => w.lines).filter((l) => l.msg === 'sweeper re-enqueued stale changes');
        const sum = (k: string) => swept.reduce((n, l) => n + Number(l[k] ?? 0), 0);
        expect(sum('users')).toBeGreaterThanOrEqual(tenants.length * WAVE1_USERS);
        expect(sum('rules')).toBeGreaterThanOrEqual(tenants.length * 2);
      }),
    60_000,
  );

  it(
    'when traffic goes on through both APIs while both workers run and sweep every second, then memberships converge exactly, member by member',
    () =>
      failWithSeed(async () => {
        const tasks: (() => Promise<void>)[] = [];
        for (const t of tenants) {
          tasks.push(...createUsers(t, WAVE2_USERS, WAVE1_USERS));
          const existing = [...t.department.keys()];
          for (const [i, id] of existing.slice(0, 10).entries()) {
            tasks.push(async () => {
              const department = pick(DEPARTMENTS);
              await expectCall(
                api(i),
                'PATCH',
                `/scim/v2/Users/${id}`,
                t.scimToken,
                { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${ENTERPRISE}:department`, value: department }] },
                [200],
              );
              t.department.set(id, department);
              const g = pick(IDP_GROUPS);
              const member = t.members[g].has(id);
              await expectCall(
                api(i + 1),
                'PATCH',
                `/scim/v2/Groups/${t.idpGroups[g]}`,
                t.scimToken,
                {
                  schemas: [PATCH_OP],
                  Operations: [member ? { op: 'remove', path: `members[value eq "${id}"]` } : { op: 'add', path: 'members', value: [{ value: id }] }],
                },
                [200, 204],
              );
              if (member) t.members[g].delete(id);
              else t.members[g].add(id);
            });
          }
        }
        // Interleave the tenants' work.
        tasks.sort(() => random() - 0.5);
        await inLanes(tasks, 8);
        await converged();
        await expectExactState();
      }),
    60_000,
  );

  it('then every job ran in exactly one worker, once, and both workers ran jobs', async () => {
    const runs = new Map<string, number[]>();
    for (const [w, worker] of workers.entries()) {
      for (const l of worker.lines) if (l.msg === 'job done') runs.set(String(l.jobId), [...(runs.get(String(l.jobId)) ?? []), w]);
    }
    const twice = [...runs].filter(([, ws]) => ws.length !== 1);
    expect(twice).toEqual([]);
    const completed = await queue.getJobs(['completed'], 0, -1);
    expect(completed.length).toBeGreaterThan(tenants.length * (WAVE1_USERS + WAVE2_USERS));
    expect(completed.map((j) => j.id).sort()).toEqual([...runs.keys()].sort());
    for (const w of workers.keys()) expect([...runs.values()].filter((ws) => ws[0] === w).length).toBeGreaterThan(0);
  });

  /** Nothing pending in MongoDB and nothing waiting, delayed or running in the queue, twice in a row. */
  async function converged(): Promise<void> {
    const pending = { 'sync.pendingSince': { $exists: true } } as never;
    await waitFor(
      async () => {
        for (let i = 0; i < 2; i++) {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          if (Object.values(counts).some((n) => n > 0)) return false;
          for (const model of [db.models.User, db.models.Group, db.models.Rule]) if ((await model.collection.countDocuments(pending)) > 0) return false;
          await new Promise((r) => setTimeout(r, 100));
        }
        return true;
      },
      'the workers to converge',
      40_000,
      100,
    );
  }

  async function holders(t: TenantPlan, groupId: string, source: string): Promise<string[]> {
    const docs = (await db.models.Membership.collection.find({ tenantId: t.tenantId, groupId, sources: source } as never).toArray()) as unknown as MembershipDoc[];
    return docs.map((d) => d.userId).sort();
  }

  async function expectExactState(): Promise<void> {
    for (const t of tenants) {
      const stored = (
        await db.models.User.collection
          .find({ tenantId: t.tenantId } as never)
          .project({ _id: 1 })
          .toArray()
      )
        .map((d) => String(d._id))
        .sort();
      expect({ tenant: t.name, users: stored }).toEqual({ tenant: t.name, users: [...t.department.keys()].sort() });
      for (const g of IDP_GROUPS) {
        expect({ tenant: t.name, group: g, members: await holders(t, t.idpGroups[g], 'scim') }).toEqual({ tenant: t.name, group: g, members: [...t.members[g]].sort() });
      }
      const sales = [...t.department]
        .filter(([, d]) => d === 'Sales')
        .map(([id]) => id)
        .sort();
      expect({ tenant: t.name, rule: 'Sales', members: await holders(t, t.salesTarget, `rule:${t.salesRule}`) }).toEqual({ tenant: t.name, rule: 'Sales', members: sales });
      expect({ tenant: t.name, mapping: 'Eng', members: await holders(t, t.engTarget, `rule:${t.engMapping}`) }).toEqual({ tenant: t.name, mapping: 'Eng', members: [...t.members.Eng].sort() });
    }
  }
});
