import { createTenant } from '../../src/domain/tenants';
import { signAdminToken } from '../../src/auth/admin-jwt';
import { createLogger } from '../../src/observability/logger';
import { LIGHT_JOBS } from '../../src/queue/tenant-demand';
import { startSyncWorker } from '../../workers/worker';
import { scimClient } from '../helpers/stack';
import { CORE_USER_URN, ENTERPRISE_USER_URN, PATCH_OP, replaceOp, startSyncStack, waitFor, type SyncStack } from './sync-fixtures';

/**
 * Fairness between tenants on the one sync queue (src/queue/tenant-demand.ts): tenant A's import
 * of 2,000 users is queued first, then tenant B makes one change. The worker takes B's job after at
 * most LIGHT_JOBS of A's (the ones A enqueued while it was still light) plus what its other slots
 * had started: an order, not a time. And A is not starved: its 2,000 changes are all applied.
 */
const A_USERS = 2000;
const CONCURRENCY = 4;
const BULK_SIZE = 100;

let s: SyncStack;

beforeAll(async () => {
  s = await startSyncStack({ worker: { concurrency: CONCURRENCY } });
});
afterAll(async () => {
  await s?.close();
});

interface DoneLine {
  msg: string;
  tenantId?: string;
  job?: string;
}

it("tenant B's single change is applied before tenant A's queued import of 2,000 users, and A's import still converges", async () => {
  const a = { tenantId: s.tenantId, scim: s.scim, admin: s.admin };
  const tenantB = await createTenant(s.runtime.deps.models, 'fairness-b');
  const bAuth = `Bearer ${signAdminToken(s.config.adminJwt, { sub: 'usr_operator', tenant: tenantB.tenantId, role: 'admin', kind: 'operator' })}`;
  const b = {
    scim: scimClient(s.runtime.app, tenantB.scimToken),
    admin: { get: (p: string) => s.http.get(`/admin/v1${p}`).set('Authorization', bAuth), post: (p: string, body: object) => s.http.post(`/admin/v1${p}`).send(body).set('Authorization', bAuth) },
  };

  // Each tenant: a rule `department eq "Sales"` into a group of its own; B has one user, in Legal.
  const salesGroupOf = async (admin: { post: (p: string, body: object) => import('supertest').Test }) => {
    const group = await admin.post('/groups', { name: 'Sales team' });
    expect(group.status).toBe(201);
    const rule = await admin.post('/rules', { name: 'Sales', expression: 'department eq "Sales"', targetGroupId: group.body.id });
    expect(rule.status).toBe(201);
    return { groupId: group.body.id as string, ruleId: rule.body.id as string };
  };
  const aSales = await salesGroupOf(a.admin);
  const bSales = await salesGroupOf(b.admin);
  const bUser = await b.scim.post('/Users', { schemas: [CORE_USER_URN, ENTERPRISE_USER_URN], userName: 'bea@b.example.com', [ENTERPRISE_USER_URN]: { department: 'Legal' } });
  expect(bUser.status).toBe(201);
  await s.settle();
  await s.worker!.close();

  // A's import, 100 creates per bulk request, queued while no worker runs.
  for (let start = 0; start < A_USERS; start += BULK_SIZE) {
    const Operations = Array.from({ length: BULK_SIZE }, (_, k) => ({
      method: 'POST',
      path: '/Users',
      bulkId: `u${start + k}`,
      data: { schemas: [CORE_USER_URN, ENTERPRISE_USER_URN], userName: `a${start + k}@a.example.com`, [ENTERPRISE_USER_URN]: { department: 'Sales' } },
    }));
    const res = await a.scim.post('/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations });
    expect(res.status).toBe(200);
    expect(res.body.Operations.filter((op: { status: string }) => op.status === '201')).toHaveLength(BULK_SIZE);
  }
  // Then B's single change, the last job queued.
  const patched = await b.scim.patch(`/Users/${bUser.body.id}`, { schemas: [PATCH_OP], Operations: [replaceOp(`${ENTERPRISE_USER_URN}:department`, 'Sales')] });
  expect(patched.status).toBe(200);
  const queued = await s.queue.getJobCounts('waiting', 'prioritized');
  expect((queued.waiting ?? 0) + (queued.prioritized ?? 0)).toBe(A_USERS + 1);

  // The worker again, writing down the order in which jobs finish.
  const done: DoneLine[] = [];
  const logger = createLogger('debug', {}, (line) => {
    const parsed = JSON.parse(line) as DoneLine;
    if (parsed.msg === 'job done') done.push(parsed);
  });
  s.worker = startSyncWorker(s.config, s.runtime.db, logger, { concurrency: CONCURRENCY, sweepAfterSeconds: 3600, sweepIntervalSeconds: 3600 });

  // B's job is done after at most LIGHT_JOBS of A's (queued while A was light), plus those the
  // worker's other slots were running: an order, whatever the machine's speed.
  const isB = (line: DoneLine) => line.tenantId === tenantB.tenantId && line.job === 'user.changed';
  await waitFor(async () => done.some(isB), "B's job to run", 600_000);
  const aBefore = done.slice(0, done.findIndex(isB)).filter((line) => line.tenantId === a.tenantId).length;
  expect(aBefore).toBeLessThanOrEqual(LIGHT_JOBS + CONCURRENCY);
  // And its effect is visible through the admin API.
  const members = await b.admin.get(`/groups/${bSales.groupId}/members`);
  expect(members.status).toBe(200);
  expect(members.body.items.map((m: { userId: string }) => m.userId)).toEqual([bUser.body.id]);

  // Nothing starved: every one of A's 2,000 changes is applied (a second worker helps drain them).
  const helper = startSyncWorker(s.config, s.runtime.db, logger, { concurrency: 16, sweepAfterSeconds: 3600, sweepIntervalSeconds: 3600 });
  try {
    await s.settle(600_000);
  } finally {
    await helper.close();
  }
  expect(await s.holders(aSales.groupId, `rule:${aSales.ruleId}`)).toHaveLength(A_USERS);
  expect(done.filter((line) => line.tenantId === a.tenantId && line.job === 'user.changed')).toHaveLength(A_USERS);
}, 900_000);
