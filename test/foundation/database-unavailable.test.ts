import { createServer, connect, type Server, type Socket } from 'node:net';
import request from 'supertest';
import { connectDatabase, type Database } from '../../src/persistence/mongo';
import { createApiRuntime, type ApiRuntime } from '../../src/runtime';
import { silentLogger } from '../../src/observability/logger';
import { createTenant } from '../../src/domain/tenants';
import { signAdminToken } from '../../src/auth/admin-jwt';
import { freshDatabaseName, mongoUriFor } from '../helpers/database';
import { testConfig } from '../helpers/stack';
import { expectScimError, userBody } from '../scim/http/helpers';

/**
 * The database stops answering (a TCP proxy in front of the real server is cut): requests answer
 * 503 with Retry-After, a condition the client can wait out, not a 500.
 */

let proxy: Server;
const sockets = new Set<Socket>();
let db: Database;
let runtime: ApiRuntime;
let token: string;
let tenantId: string;

beforeAll(async () => {
  const upstream = new URL(mongoUriFor('x'));
  proxy = createServer((client) => {
    const server = connect(Number(upstream.port), upstream.hostname);
    for (const s of [client, server]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(server).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as { port: number }).port;
  const dbName = freshDatabaseName();
  const uri = mongoUriFor(dbName).replace(`:${upstream.port}/`, `:${port}/`);
  db = await connectDatabase(uri, { serverSelectionTimeoutMS: 500 });
  runtime = await createApiRuntime(testConfig(dbName), silentLogger, { db });
  ({ tenantId, scimToken: token } = await createTenant(db.models, 'down'));
  expect((await request(runtime.app).post('/scim/v2/Users').set('Authorization', `Bearer ${token}`).send(userBody('before@example.com'))).status).toBe(201);
  // Cut the database off: no new connections, existing ones dropped.
  await new Promise<void>((resolve) => {
    proxy.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
});
afterAll(async () => {
  await runtime.close();
  await db.close().catch(() => undefined);
});

it('a SCIM request answers 503 with Retry-After while the database is unreachable', async () => {
  const res = await request(runtime.app).get('/scim/v2/Users').set('Authorization', `Bearer ${token}`);
  expectScimError(res, 503);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
});

it('an admin request answers 503 DATABASE_UNAVAILABLE with Retry-After', async () => {
  const auth = `Bearer ${signAdminToken(testConfig('x').adminJwt, { sub: 'op', tenant: tenantId, role: 'admin' })}`;
  const res = await request(runtime.app).get('/admin/v1/groups').set('Authorization', auth);
  expect(res.status).toBe(503);
  expect(res.body.error.code).toBe('DATABASE_UNAVAILABLE');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
});
