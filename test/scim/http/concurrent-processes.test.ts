import { randomBytes } from 'node:crypto';
import { createTenant } from '../../../src/domain/tenants';
import { openAppDatabase, mongoUriFor } from '../../helpers/database';
import { scimRequest, startApiProcess, type ApiProcess } from '../../helpers/api-process';
import { TEST_JWT_SECRET } from '../../helpers/stack';

/**
 * What holds across API processes on one database, with nothing shared in memory: each process
 * has its own connection pool and event loop, as two replicas behind a load balancer do.
 */
describe('two API processes on one database', () => {
  let db: Awaited<ReturnType<typeof openAppDatabase>>;
  let apis: ApiProcess[] = [];
  let token: string;

  const scim = (api: ApiProcess, method: string, path: string, body?: unknown) => scimRequest(api, token, method, path, body);

  beforeAll(async () => {
    db = await openAppDatabase();
    token = (await createTenant(db.models, `tenant-${randomBytes(3).toString('hex')}`)).scimToken;
    const env = {
      MONGODB_URI: mongoUriFor(db.dbName),
      REDIS_URL: process.env.REDIS_URL,
      ADMIN_JWT_SECRET: TEST_JWT_SECRET,
      QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'error',
    };
    apis = await Promise.all([startApiProcess(env), startApiProcess(env)]);
  });

  afterAll(async () => {
    await Promise.all(apis.map((a) => a.close()));
    await db?.drop();
  });

  it('200 concurrent member-add PATCHes to one group (Entra shape, split across both) all land', async () => {
    const users: string[] = [];
    for (let i = 0; i < 200; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, async (_, j) => {
          const res = await scim(apis[(i + j) % 2]!, 'POST', '/Users', {
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
            userName: `member${i + j}@contoso.example`,
            active: true,
          });
          expect(res.status).toBe(201);
          return ((await res.json()) as { id: string }).id;
        }),
      );
      users.push(...batch);
    }
    const created = await scim(apis[0]!, 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Contended' });
    expect(created.status).toBe(201);
    const group = (await created.json()) as { id: string; meta: { version: string } };

    // Entra's member add: "Add" with a capital A, one member per request.
    const statuses = await Promise.all(
      users.map((userId, i) =>
        scim(apis[i % 2]!, 'PATCH', `/Groups/${group.id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'Add', path: 'members', value: [{ value: userId }] }],
        }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s !== 204)).toEqual([]);

    const res = await scim(apis[1]!, 'GET', `/Groups/${group.id}`);
    const body = (await res.json()) as { members?: { value: string }[]; meta: { version: string } };
    expect((body.members ?? []).map((m) => m.value).sort()).toEqual([...users].sort());
    // Every PATCH bumped the version once: 1 (created) + 200.
    expect(body.meta.version).toBe('W/"201"');
  });

  it('50 concurrent attribute PATCHes of one user without If-Match (split across both) all answer 200, none 409, and every change is kept', async () => {
    const created = await scim(apis[0]!, 'POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'contended@contoso.example', active: true });
    expect(created.status).toBe(201);
    const user = (await created.json()) as { id: string };
    // Eight single-valued attributes, and 42 phone numbers added to one multi-valued attribute.
    const single: [string, string][] = [
      ['nickName', 'Nick'],
      ['title', 'Engineer'],
      ['userType', 'Employee'],
      ['preferredLanguage', 'en-US'],
      ['locale', 'en-GB'],
      ['timezone', 'Europe/London'],
      ['profileUrl', 'https://example.com/p'],
      ['displayName', 'Contended'],
    ];
    const phone = (i: number) => `+1 555 01${String(i).padStart(2, '0')}`;
    const operationOf = (i: number) =>
      i < single.length ? { op: 'replace', path: single[i]![0], value: single[i]![1] } : { op: 'add', path: 'phoneNumbers', value: [{ value: phone(i), type: 'work' }] };
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        scim(apis[i % 2]!, 'PATCH', `/Users/${user.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [operationOf(i)] }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const body = (await (await scim(apis[1]!, 'GET', `/Users/${user.id}`)).json()) as Record<string, unknown> & { phoneNumbers?: { value: string }[]; meta: { version: string } };
    for (const [name, value] of single) expect(body[name]).toBe(value);
    expect((body.phoneNumbers ?? []).map((p) => p.value).sort()).toEqual(Array.from({ length: 42 }, (_, k) => phone(k + single.length)).sort());
    expect(body.meta.version).toBe('W/"51"');
  });

  it('concurrent attribute PATCHes of one user with If-Match: exactly one wins, the others answer 412', async () => {
    const created = await scim(apis[0]!, 'POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'guarded@contoso.example', active: true });
    const user = (await created.json()) as { id: string; meta: { version: string } };
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        fetch(`${apis[i % 2]!.url}/scim/v2/Users/${user.id}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', 'if-match': user.meta.version },
          body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: `Title ${i}` }] }),
        }).then((r) => r.status),
      ),
    );
    expect(statuses.sort()).toEqual([200, 412, 412, 412, 412, 412]);
  });

  it('concurrent attribute changes with If-Match: exactly one wins, the other answers 412', async () => {
    const created = await scim(apis[0]!, 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Renamed' });
    const group = (await created.json()) as { id: string; meta: { version: string } };
    const rename = (api: ApiProcess, name: string) =>
      fetch(`${api.url}/scim/v2/Groups/${group.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', 'if-match': group.meta.version },
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'displayName', value: name }],
        }),
      }).then((r) => r.status);
    const statuses = await Promise.all([rename(apis[0]!, 'Renamed A'), rename(apis[1]!, 'Renamed B')]);
    expect(statuses.sort()).toEqual([204, 412]);
  });
});
