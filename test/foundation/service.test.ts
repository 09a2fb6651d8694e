import IORedis from 'ioredis';
import { startTestStack, testConfig, type TestStack } from '../helpers/stack';
import { createApiRuntime } from '../../src/runtime';
import { silentLogger } from '../../src/observability/logger';
import { openAppDatabase } from '../helpers/database';
import { createTenant } from '../../src/domain/tenants';
import { hashScimToken } from '../../src/auth/scim-token';
import { DEFAULT_GROUPS } from '../../src/domain/default-groups';
import request from 'supertest';

describe('health endpoints', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it('another method on /healthz, /readyz or /metrics answers 405 with Allow; a path that does not exist is 404 whatever the method', async () => {
    for (const [method, path] of [
      ['trace', '/healthz'],
      ['post', '/readyz'],
      ['delete', '/metrics'],
    ] as const) {
      const res = await stack.http[method](path);
      expect([method, path, res.status, res.headers.allow]).toEqual([method, path, 405, 'GET, HEAD']);
    }
    expect((await stack.http.head('/healthz')).status).toBe(200);
    for (const [method, path] of [
      ['trace', '/'],
      ['get', '/'],
      ['trace', '/nothing-here'],
      ['post', '/nothing-here'],
    ] as const) {
      expect([method, path, (await stack.http[method](path)).status]).toEqual([method, path, 404]);
    }
  });

  it('GET /healthz answers 200 while the process lives', async () => {
    const res = await stack.http.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 when MongoDB and Redis answer', async () => {
    const res = await stack.http.get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.checks).toEqual({ mongodb: { ok: true }, redis: { ok: true } });
  });

  it("every response carries a request id, the caller's when given", async () => {
    const res = await stack.http.get('/healthz').set('X-Request-Id', 'abc-123');
    expect(res.headers['x-request-id']).toBe('abc-123');
    const other = await stack.http.get('/healthz');
    expect(other.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('readiness without Redis', () => {
  it('GET /readyz answers 503 naming redis when Redis does not answer', async () => {
    const db = await openAppDatabase();
    // A port nothing listens on.
    const config = testConfig(db.dbName, { REDIS_URL: 'redis://127.0.0.1:1' });
    const runtime = await createApiRuntime(config, silentLogger, { db });
    try {
      const res = await request(runtime.app).get('/readyz');
      expect(res.status).toBe(503);
      expect(res.body.checks.mongodb).toEqual({ ok: true });
      expect(res.body.checks.redis.ok).toBe(false);
      expect(typeof res.body.checks.redis.error).toBe('string');
    } finally {
      await runtime.close();
      await db.drop();
    }
  });
});

describe('tenants and SCIM tokens', () => {
  let db: Awaited<ReturnType<typeof openAppDatabase>>;
  beforeAll(async () => {
    db = await openAppDatabase();
  });
  afterAll(() => db.drop());

  it('creating a tenant creates its default groups', async () => {
    const t = await createTenant(db.models, 'acme');
    const groups = await db.models.Group.find({ tenantId: t.tenantId }).lean();
    expect(groups.map((g) => g.attrs.displayName).sort()).toEqual(DEFAULT_GROUPS.map((g) => g.name).sort());
    expect(groups.every((g) => g._id.startsWith('grp_') && g.origin === 'internal')).toBe(true);
  });

  it('tenant names are unique, case-insensitively', async () => {
    await createTenant(db.models, 'Globex');
    await expect(createTenant(db.models, 'globex')).rejects.toMatchObject({ code: 'TENANT_EXISTS', status: 409 });
  });

  it('the SCIM token is stored only as a hash: the plain token is nowhere in the database', async () => {
    const t = await createTenant(db.models, 'initech');
    expect(t.scimToken).toMatch(/^scim_[A-Za-z0-9_-]{43}$/);
    const dump: string[] = [];
    for (const name of (await db.connection.db!.listCollections().toArray()).map((c) => c.name)) {
      const docs = await db.connection.db!.collection(name).find({}).toArray();
      dump.push(JSON.stringify(docs));
    }
    const all = dump.join('\n');
    expect(all).not.toContain(t.scimToken);
    expect(all).not.toContain(t.scimToken.slice(5));
    expect(all).toContain(hashScimToken(t.scimToken));
  });
});

describe('Redis keys', () => {
  it('the test Redis answers (sanity check of the shared services)', async () => {
    const r = new IORedis(process.env.REDIS_URL!);
    await expect(r.ping()).resolves.toBe('PONG');
    r.disconnect();
  });
});
