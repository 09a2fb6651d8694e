import request from 'supertest';
import { signAdminToken } from '../../src/auth/admin-jwt';
import { createTenant } from '../../src/domain/tenants';
import { ruleWithFailingJob, startSyncStack, waitFor, type SyncStack } from '../workers/sync-fixtures';

describe('/admin/v1/sync and /metrics', () => {
  let s: SyncStack;
  let sales: string;

  beforeAll(async () => {
    s = await startSyncStack({ worker: false });
    sales = await s.internalGroup('Sales team');
  });
  afterAll(() => s.close());

  it('GET /sync/status shows pending changes while no worker runs, then the results once it has', async () => {
    await s.createRule({ name: 'Sales', expression: 'department eq "Sales"', targetGroupId: sales });
    const ann = await s.user('ann', { department: 'Sales' });
    await s.user('bob', { department: 'Legal' });
    const before = await s.admin.get('/sync/status');
    expect(before.status).toBe(200);
    expect(before.body.pending).toMatchObject({ users: 2, rules: 1, total: 3, oldestPendingAgeSeconds: expect.any(Number) });
    expect(before.body.jobs).toMatchObject({ waiting: 3, active: 0, failed: 0, exact: true });

    s.startWorker();
    await s.settle();
    const after = await s.admin.get('/sync/status');
    expect(after.body.pending).toEqual({ users: 0, groups: 0, rules: 0, total: 0, oldestPendingSince: null, oldestPendingAgeSeconds: null });
    expect(after.body.jobs).toMatchObject({ waiting: 0, active: 0, completedLastHour: expect.any(Number) });
    expect(after.body.jobs.completedLastHour).toBeGreaterThanOrEqual(3);
    expect(Date.parse(after.body.lastSuccessfulEvaluationAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(after.body.rules).toEqual([
      // The rule's full run and ann's user.changed job race to add her membership: whichever runs
      // first adds it, so the run reports added 1 or 0; the membership itself must be there.
      expect.objectContaining({ name: 'Sales', pending: false, lastRun: expect.objectContaining({ outcome: 'completed', matched: 1, removed: 0, durationMs: expect.any(Number) }) }),
    ]);
    expect([0, 1]).toContain(after.body.rules[0].lastRun.added);
    expect((await s.membersOf(sales)).has(ann)).toBe(true);
  });

  it('a job that failed for good is listed with its error and can be retried', async () => {
    const { ruleId } = await ruleWithFailingJob(s, sales, { priority: 1 });
    const failure = await waitFor(async () => {
      const res = await s.admin.get('/sync/failures');
      return res.body.items.find((f: { data: { ruleId: string } }) => f.data.ruleId === ruleId);
    }, 'the job to fail');
    expect(failure).toMatchObject({ name: 'rule.changed', attemptsMade: 1, error: expect.stringContaining('unknown attribute "costCentre"') });
    expect(failure.stacktrace.length).toBeGreaterThan(0);
    expect((await s.admin.get('/sync/status')).body.jobs).toMatchObject({ failed: 1, failedLastHour: 1 });

    // Another tenant's admin sees nothing of it and cannot retry it.
    const other = await createTenant(s.runtime.deps.models, `other-${Date.now()}`);
    const stranger = `Bearer ${signAdminToken(s.config.adminJwt, { sub: 'cli', tenant: other.tenantId, role: 'admin', kind: 'operator' })}`;
    expect((await request(s.runtime.app).get('/admin/v1/sync/failures').set('Authorization', stranger)).body.items).toEqual([]);
    expect((await request(s.runtime.app).post(`/admin/v1/sync/failures/${failure.id}/retry`).set('Authorization', stranger)).status).toBe(404);

    await s.runtime.deps.models.Rule.collection.updateOne({ _id: ruleId } as never, { $set: { expression: 'department eq "Sales"' } });
    const retried = await s.admin.post(`/sync/failures/${failure.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toEqual({ jobId: expect.any(String), retriedFrom: failure.id });
    await s.settle();
    expect((await s.admin.get('/sync/failures')).body.items).toEqual([]);
    expect((await s.admin.post(`/sync/failures/${failure.id}/retry`)).status).toBe(404);
  });

  it('failed jobs page newest failure first with a cursor, each once, to the end', async () => {
    const ruleIds = new Set<string>();
    for (let i = 0; i < 3; i++) ruleIds.add((await ruleWithFailingJob(s, sales)).ruleId);
    await waitFor(async () => (await s.admin.get('/sync/failures')).body.items.length === 3 || undefined, 'three failures');
    const seen: { id: string; failedAt: string; data: { ruleId: string } }[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const res = await s.admin.get(`/sync/failures?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
      expect(++pages).toBeLessThanOrEqual(4);
    }
    expect(new Set(seen.map((f) => f.data.ruleId))).toEqual(ruleIds);
    expect(new Set(seen.map((f) => f.id)).size).toBe(3);
    const times = seen.map((f) => Date.parse(f.failedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect((await s.admin.get('/sync/failures?cursor=not-a-cursor')).body.error.code).toBe('INVALID_CURSOR');
  });

  it('only tenant admins see sync monitoring', async () => {
    const member = await s.member();
    expect((await member.get('/sync/status')).status).toBe(403);
    expect((await member.get('/sync/failures')).status).toBe(403);
    expect((await member.get('/sync/jobs')).status).toBe(403);
  });

  it('GET /metrics answers in Prometheus format with queue, job, lag and HTTP figures', async () => {
    await s.admin.get('/sync/status');
    const res = await request(s.runtime.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toMatch(/scim_sync_queue_jobs\{state="waiting"\} \d+/);
    expect(text).toMatch(/scim_sync_jobs_total\{job="user.changed",outcome="completed"\} \d+/);
    expect(text).toMatch(/scim_sync_job_duration_seconds_bucket\{le="[^"]+",job="rule.changed",outcome="completed"\}/);
    expect(text).toMatch(/scim_sync_lag_seconds \d/);
    expect(text).toMatch(/scim_sync_pending_documents\{kind="users"\} \d+/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/admin\/v1\/sync\/status",status="200"\} \d+/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/scim\/v2\/[^"]+",status="201"\} \d+/);
    expect(text).not.toMatch(/route="[^"]*usr_/);
    // The fair SCIM gate's figures (per tenant while active; test/scim/http/tenant-gate.test.ts checks the values).
    expect(text).toContain('# TYPE scim_gate_requests gauge');
    expect(text).toContain('# TYPE scim_gate_rejections_total counter');
  });
});

describe('GET /admin/v1/sync/jobs', () => {
  let s: SyncStack;
  beforeAll(async () => {
    s = await startSyncStack({ worker: false });
  });
  afterAll(() => s.close());

  it("pages one tenant's queued jobs by state with a cursor, never another tenant's", async () => {
    const mine = new Set<string>();
    for (let i = 0; i < 5; i++) {
      mine.add(String((await s.queue.add('user.changed', { tenantId: s.tenantId, userId: `usr_mine${i}`, version: 1, reason: 'created' })).id));
      await s.queue.add('user.changed', { tenantId: 'ten_other', userId: `usr_other${i}`, version: 1, reason: 'created' });
    }
    // A prioritized job (a busy tenant's) counts as waiting too; a retry's backoff is delayed.
    mine.add(String((await s.queue.add('user.changed', { tenantId: s.tenantId, userId: 'usr_busy', version: 1, reason: 'created' }, { priority: 3 })).id));
    const delayed = await s.queue.add('user.changed', { tenantId: s.tenantId, userId: 'usr_later', version: 1, reason: 'created' }, { delay: 600_000 });

    const listed: { id: string; state: string; data: { tenantId: string } }[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const res = await s.admin.get(`/sync/jobs?state=waiting&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      listed.push(...res.body.items);
      cursor = res.body.nextCursor;
      expect(++pages).toBeLessThanOrEqual(6);
    }
    expect(new Set(listed.map((j) => j.id))).toEqual(mine);
    expect(listed).toHaveLength(mine.size);
    expect(listed.filter((j) => j.state === 'prioritized').map((j) => j.id)).toHaveLength(1);

    const later = await s.admin.get('/sync/jobs?state=delayed');
    expect(later.body).toEqual({ items: [expect.objectContaining({ id: String(delayed.id), state: 'delayed', dueAt: expect.any(String) })], nextCursor: null });
    expect(Date.parse(later.body.items[0].dueAt)).toBeGreaterThan(Date.now() + 500_000);
    expect((await s.admin.get('/sync/jobs?state=active')).body).toEqual({ items: [], nextCursor: null });
    expect((await s.admin.get('/sync/jobs?state=done')).status).toBe(400);
    expect((await s.admin.get('/sync/jobs?cursor=bm9wZQ')).body.error.code).toBe('INVALID_CURSOR');
  });
});
