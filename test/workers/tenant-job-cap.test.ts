import { createTenant } from '../../src/domain/tenants';
import { signAdminToken } from '../../src/auth/admin-jwt';
import { createLogger } from '../../src/observability/logger';
import { startSyncWorker, type SyncWorker } from '../../workers/worker';
import { scimClient } from '../helpers/stack';
import { CORE_USER_URN, ENTERPRISE_USER_URN, startSyncStack, type SyncStack } from './sync-fixtures';

/**
 * The per-tenant cap on the workers' running jobs (src/queue/tenant-slots.ts): two worker
 * processes' worth of workers (4 slots each, 8 in all) drain a queue holding tenant A's import of
 * 300 users and tenant B's of 60, queued while no worker ran. Every slot taken and given back is
 * numbered by Redis, so the two workers' logs replay in the order Redis saw them: no job starts for
 * a tenant already running CAP jobs while another tenant runs one, yet a tenant alone uses more
 * than CAP slots (the cap holds back only while someone else has work), and both imports converge.
 */
const CAP = 3;
const CONCURRENCY = 4;
const A_USERS = 300;
const B_USERS = 60;
const BULK_SIZE = 100;
/** Short, so that A is alone soon after B's last job (the default is 5 s; the window's own test: test/queue/tenant-slots.test.ts). */
const ACTIVE_WINDOW_MS = 100;

let s: SyncStack;
const workers: SyncWorker[] = [];

beforeAll(async () => {
  s = await startSyncStack({ worker: false });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await s?.close();
});

interface SlotLine {
  msg: string;
  tenantId: string;
  holder: string;
  seq: number;
}

it('no tenant starts a job beyond its cap while another tenant runs one, across two workers; a tenant alone uses every slot; both imports converge', async () => {
  const tenantB = await createTenant(s.runtime.deps.models, 'job-cap-b');
  const bAuth = `Bearer ${signAdminToken(s.config.adminJwt, { sub: 'usr_operator', tenant: tenantB.tenantId, role: 'admin', kind: 'operator' })}`;
  const tenants = [
    { tenantId: s.tenantId, scim: s.scim, post: (p: string, body: object) => s.admin.post(p, body), users: A_USERS, domain: 'a' },
    {
      tenantId: tenantB.tenantId,
      scim: scimClient(s.runtime.app, tenantB.scimToken),
      post: (p: string, body: object) => s.http.post(`/admin/v1${p}`).send(body).set('Authorization', bAuth),
      users: B_USERS,
      domain: 'b',
    },
  ];

  // Each tenant: a rule `department eq "Sales"` into a group, then its import, queued while no worker runs.
  const groups: string[] = [];
  for (const t of tenants) {
    const group = await t.post('/groups', { name: 'Sales team' });
    expect(group.status).toBe(201);
    const rule = await t.post('/rules', { name: 'Sales', expression: 'department eq "Sales"', targetGroupId: group.body.id });
    expect(rule.status).toBe(201);
    groups.push(group.body.id as string);
    for (let start = 0; start < t.users; start += BULK_SIZE) {
      const Operations = Array.from({ length: Math.min(BULK_SIZE, t.users - start) }, (_, k) => ({
        method: 'POST',
        path: '/Users',
        bulkId: `u${start + k}`,
        data: { schemas: [CORE_USER_URN, ENTERPRISE_USER_URN], userName: `u${start + k}@${t.domain}.example.com`, [ENTERPRISE_USER_URN]: { department: 'Sales' } },
      }));
      const res = await t.scim.post('/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations });
      expect(res.status).toBe(200);
      expect(res.body.Operations.filter((op: { status: string }) => op.status === '201')).toHaveLength(Operations.length);
    }
  }

  // Two workers on the one queue, each logging the slots it takes and gives back.
  const lines: SlotLine[] = [];
  const logger = createLogger('debug', {}, (line) => {
    const parsed = JSON.parse(line) as SlotLine;
    if (parsed.msg === 'tenant slot taken' || parsed.msg === 'tenant slot given back') lines.push(parsed);
  });
  for (let i = 0; i < 2; i++)
    workers.push(
      startSyncWorker(s.config, s.runtime.db, logger, { concurrency: CONCURRENCY, maxJobsPerTenant: CAP, tenantActiveWindowMs: ACTIVE_WINDOW_MS, sweepAfterSeconds: 3600, sweepIntervalSeconds: 3600 }),
    );
  await s.settle(600_000);
  await Promise.all(workers.splice(0).map((w) => w.close()));

  // Both imports converged: every user of each tenant is in its rule group.
  const { models } = s.runtime.deps;
  for (const [i, t] of tenants.entries()) {
    expect(await models.Membership.collection.countDocuments({ tenantId: t.tenantId, groupId: groups[i] })).toBe(t.users);
  }

  // Replay the slots in Redis's order.
  lines.sort((x, y) => x.seq - y.seq);
  expect(lines.every((l) => l.seq > 0)).toBe(true);
  expect(new Set(lines.map((l) => l.seq)).size).toBe(lines.length);
  const running = new Map<string, number>();
  const overCap: string[] = [];
  const mostAlone = new Map<string, number>();
  for (const line of lines) {
    const own = running.get(line.tenantId) ?? 0;
    const others = [...running].filter(([tenant, n]) => tenant !== line.tenantId && n > 0).length;
    if (line.msg === 'tenant slot taken') {
      if (own >= CAP && others > 0) overCap.push(`#${line.seq}: ${line.tenantId} took a slot with ${own} running while another tenant ran`);
      running.set(line.tenantId, own + 1);
      if (others === 0) mostAlone.set(line.tenantId, Math.max(mostAlone.get(line.tenantId) ?? 0, own + 1));
    } else {
      running.set(line.tenantId, own - 1);
    }
  }
  expect(overCap).toEqual([]);
  expect([...running.values()].every((n) => n === 0)).toBe(true);
  // Every job took a slot once (a job that gave its slot up took none).
  expect(lines.filter((l) => l.msg === 'tenant slot taken' && l.tenantId === tenantB.tenantId).length).toBeGreaterThanOrEqual(B_USERS);
  // Alone (B done), A ran more than CAP jobs at once: the cap holds back only while another tenant has work.
  expect(mostAlone.get(s.tenantId)).toBeGreaterThan(CAP);
}, 900_000);
