import jwt from 'jsonwebtoken';
import { startAdminStack, type AdminStack } from './admin-fixtures';
import { TEST_JWT_SECRET } from '../helpers/stack';
import { signAdminToken } from '../../src/auth/admin-jwt';

/** Admin JWTs may live at most ADMIN_JWT_MAX_LIFETIME_SECONDS (default a day): a token good for years is refused. */

let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

const tokenWith = (claims: Record<string, unknown>) =>
  jwt.sign({ tenant: s.tenantId, role: 'admin', sub: 'op', kind: 'operator', ...claims }, TEST_JWT_SECRET, { algorithm: 'HS256', issuer: 'scim-sync', audience: 'scim-sync-admin' });
const call = (token: string) => s.http.get('/admin/v1/groups').set('Authorization', `Bearer ${token}`);
const now = () => Math.floor(Date.now() / 1000);

it('a token that expires within the maximum lifetime is accepted', async () => {
  expect((await call(tokenWith({ exp: now() + 23 * 3600 }))).status).toBe(200);
});

it('a token whose exp is years ahead is refused with 401 ADMIN_AUTH_LIFETIME', async () => {
  const res = await call(tokenWith({ exp: now() + 5 * 365 * 24 * 3600 }));
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe('ADMIN_AUTH_LIFETIME');
});

it('a token issued long ago with a long lifetime is refused even if it expires soon', async () => {
  const res = await call(tokenWith({ iat: now() - 30 * 24 * 3600, exp: now() + 3600 }));
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe('ADMIN_AUTH_LIFETIME');
});

it('the signer refuses to mint a token longer-lived than the maximum', () => {
  expect(() => signAdminToken(s.config.adminJwt, { sub: 'op', tenant: s.tenantId, role: 'admin' }, 2 * 24 * 3600)).toThrow(/at most/);
});
