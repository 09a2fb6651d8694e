import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { loadConfig, type Config } from '../../src/config/config';
import { silentLogger, type Logger } from '../../src/observability/logger';
import { createApiRuntime, type ApiRuntime } from '../../src/runtime';
import { createTenant } from '../../src/domain/tenants';
import { openAppDatabase, mongoUriFor } from './database';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/** Configuration for a test: real services from the global setup, a fresh database, a private queue prefix. */
export function testConfig(dbName: string, overrides: Record<string, string> = {}): Config {
  return loadConfig({
    MONGODB_URI: mongoUriFor(dbName),
    REDIS_URL: process.env.REDIS_URL,
    ADMIN_JWT_SECRET: TEST_JWT_SECRET,
    QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'error',
    ...overrides,
  });
}

export interface TestStack {
  config: Config;
  runtime: ApiRuntime;
  http: ReturnType<typeof request>;
  tenantId: string;
  token: string;
  /** supertest agent bound to the app. */
  scim: ScimClient;
  close(): Promise<void>;
}

export interface ScimClient {
  get(path: string): request.Test;
  post(path: string, body?: unknown): request.Test;
  put(path: string, body?: unknown): request.Test;
  patch(path: string, body?: unknown): request.Test;
  delete(path: string): request.Test;
}

export function scimClient(app: ApiRuntime['app'], token: string): ScimClient {
  const base = '/scim/v2';
  const auth = (t: request.Test) => t.set('Authorization', `Bearer ${token}`);
  const json = (t: request.Test, body: unknown) => (body === undefined ? t : t.set('Content-Type', 'application/scim+json').send(JSON.stringify(body)));
  return {
    get: (p) => auth(request(app).get(base + p)),
    post: (p, b) => json(auth(request(app).post(base + p)), b),
    put: (p, b) => json(auth(request(app).put(base + p)), b),
    patch: (p, b) => json(auth(request(app).patch(base + p)), b),
    delete: (p) => auth(request(app).delete(base + p)),
  };
}

/** An API runtime on a fresh database with one tenant, for supertest. */
export async function startTestStack(opts: { env?: Record<string, string>; logger?: Logger; monitorCommands?: boolean } = {}): Promise<TestStack> {
  const db = await openAppDatabase({ monitorCommands: opts.monitorCommands });
  const config = testConfig(db.dbName, opts.env);
  const runtime = await createApiRuntime(config, opts.logger ?? silentLogger, { db });
  const tenant = await createTenant(db.models, `tenant-${randomBytes(3).toString('hex')}`);
  return {
    config,
    runtime,
    http: request(runtime.app),
    tenantId: tenant.tenantId,
    token: tenant.scimToken,
    scim: scimClient(runtime.app, tenant.scimToken),
    async close() {
      await runtime.close();
      await db.drop();
    },
  };
}
