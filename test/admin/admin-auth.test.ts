import jwt from 'jsonwebtoken';
import { signAdminToken } from '../../src/auth/admin-jwt';
import { CORE_USER_URN } from '../../src/attributes/urns';
import { startAdminStack, expectError, expectStatus, type AdminStack } from './admin-fixtures';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

/** Routes across the admin API: a refused principal is refused on every one of them. */
const SAMPLE_ROUTES: [method: 'get' | 'post', path: string, body?: unknown][] = [
  ['get', '/groups'],
  ['post', '/groups', { name: 'Should not exist' }],
  ['get', '/users'],
  ['get', '/roles'],
  ['post', '/authorize', { userId: 'usr_x', action: 'view', target: 'Ticket' }],
  ['get', '/rules'],
  ['get', '/sync/status'],
  ['get', '/audit'],
];

function bearer(token: string) {
  return `Bearer ${token}`;
}

describe('admin JWTs that no longer speak for anyone', () => {
  it('a correctly signed token naming a tenant that does not exist answers 401', async () => {
    for (const kind of ['operator', 'user'] as const) {
      const token = signAdminToken(s.config.adminJwt, { sub: 'usr_ghost', tenant: 'ten_does_not_exist', role: 'admin', kind });
      for (const [method, path, body] of SAMPLE_ROUTES) {
        const res = await s.http[method](`/admin/v1${path}`)
          .set('Authorization', bearer(token))
          .send(body as object);
        expectError(res, 401, 'ADMIN_AUTH_TENANT_UNKNOWN');
      }
    }
  });

  it('a token with a crit header this service does not understand answers 401 (RFC 7515 §4.1.11)', async () => {
    const cfg = s.config.adminJwt;
    const token = jwt.sign({ tenant: s.tenantId, role: 'admin', kind: 'operator' }, cfg.signKey!, {
      algorithm: cfg.algorithm,
      subject: 'cli',
      issuer: cfg.issuer,
      audience: cfg.audience,
      expiresIn: 600,
      header: { alg: cfg.algorithm, crit: ['urn:example:must-understand'], 'urn:example:must-understand': true } as unknown as jwt.JwtHeader,
    });
    expectError(await s.http.get('/admin/v1/groups').set('Authorization', bearer(token)), 401, 'ADMIN_AUTH_INVALID');
    // The same token without crit is fine.
    expectStatus(await s.http.get('/admin/v1/groups').set('Authorization', bearer(signAdminToken(cfg, { sub: 'cli', tenant: s.tenantId, role: 'admin', kind: 'operator' }))), 200);
  });

  it('a user token whose subject is no user of the tenant answers 401', async () => {
    expectError(await s.as('usr_never_provisioned', 'admin').get('/groups'), 401, 'ADMIN_AUTH_USER_UNKNOWN');
  });

  it('operator tokens carry the role admin', async () => {
    const token = jwt.sign({ tenant: s.tenantId, role: 'member', kind: 'operator' }, s.config.adminJwt.signKey!, {
      algorithm: s.config.adminJwt.algorithm,
      subject: 'cli',
      issuer: s.config.adminJwt.issuer,
      audience: s.config.adminJwt.audience,
      expiresIn: 600,
    });
    expectError(await s.http.get('/admin/v1/groups').set('Authorization', bearer(token)), 401, 'ADMIN_AUTH_CLAIMS');
  });
});

describe('users deactivated or deleted over SCIM lose the admin API at once', () => {
  it('a manager deactivated over SCIM can no longer add members (403 on every route)', async () => {
    const manager = await s.user('deactivated.manager@example.com');
    const newcomer = await s.user('newcomer.of.deactivated@example.com');
    const g = expectStatus(await s.admin.post('/groups', { name: 'Managed by someone leaving' }), 201).body.id;
    expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: manager, role: 'manager' }), 201);
    const asManager = s.as(manager, 'member');
    expectStatus(await asManager.get(`/groups/${g}/members`), 200);

    expect((await s.scim.patch(`/Users/${manager}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] })).status).toBe(200);
    expectError(await asManager.post(`/groups/${g}/members`, { userId: newcomer }), 403, 'USER_DEACTIVATED');
    for (const [method, path, body] of SAMPLE_ROUTES) {
      const res = await s.http[method](`/admin/v1${path}`)
        .set('Authorization', bearer(signAdminToken(s.config.adminJwt, { sub: manager, tenant: s.tenantId, role: 'member' })))
        .send(body as object);
      expectError(res, 403, 'USER_DEACTIVATED');
    }
    const members = expectStatus(await s.admin.get(`/groups/${g}/members`), 200).body.items.map((m: { userId: string }) => m.userId);
    expect(members).not.toContain(newcomer);
  });

  it('an admin-role JWT of a deactivated user cannot create groups; reactivated, it can again', async () => {
    const admin = await s.user('deactivated.admin@example.com');
    const asAdmin = s.as(admin, 'admin');
    expectStatus(await asAdmin.post('/groups', { name: 'Before deactivation' }), 201);
    await s.scim.put(`/Users/${admin}`, { schemas: [CORE_USER_URN], userName: 'deactivated.admin@example.com', active: false }).expect(200);
    expectError(await asAdmin.post('/groups', { name: 'After deactivation' }), 403, 'USER_DEACTIVATED');
    await s.scim.put(`/Users/${admin}`, { schemas: [CORE_USER_URN], userName: 'deactivated.admin@example.com', active: true }).expect(200);
    expectStatus(await asAdmin.post('/groups', { name: 'After reactivation' }), 201);
  });

  it('the JWT of a user deleted over SCIM answers 401', async () => {
    const admin = await s.user('deleted.admin@example.com');
    const asAdmin = s.as(admin, 'admin');
    expectStatus(await asAdmin.get('/groups'), 200);
    expect((await s.scim.delete(`/Users/${admin}`)).status).toBe(204);
    expectError(await asAdmin.post('/groups', { name: 'From beyond' }), 401, 'ADMIN_AUTH_USER_UNKNOWN');
  });
});
