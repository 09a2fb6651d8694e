import request from 'supertest';
import { startAdminStack, expectError, expectStatus, type AdminStack } from '../admin/admin-fixtures';
import { issueConsoleLink, CONSOLE_SIGN_IN_PATH } from '../../src/auth/console-sessions';
import { CONSOLE_COOKIE } from '../../src/auth/console-cookie';
import { createTenant } from '../../src/domain/tenants';

/** Signs in with a fresh link; returns the cookie header to send and the CSRF token from GET /session. */
async function signIn(s: AdminStack, tenantId = s.tenantId): Promise<{ cookie: string; csrf: string }> {
  const link = await issueConsoleLink(s.runtime.deps.models, tenantId, 'http://console.test');
  const res = await s.http.get(new URL(link.url).pathname + new URL(link.url).search);
  expectStatus(res, 303);
  const setCookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
  const cookie = setCookie.split(';')[0]!;
  const session = expectStatus(await s.http.get('/admin/v1/session').set('Cookie', cookie), 200);
  return { cookie, csrf: session.body.csrfToken as string };
}

describe('operator console sign-in and session', () => {
  let s: AdminStack;
  beforeAll(async () => {
    s = await startAdminStack();
  });
  afterAll(() => s.close());

  it('a link signs in once: HttpOnly SameSite=Strict cookie, a redirect without the code, audited', async () => {
    const link = await issueConsoleLink(s.runtime.deps.models, s.tenantId, 'http://console.test');
    const url = new URL(link.url);
    expect(url.pathname).toBe(CONSOLE_SIGN_IN_PATH);
    expect(link.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(600_000);
    const first = await s.http.get(url.pathname + url.search);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/console/');
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.headers['referrer-policy']).toBe('no-referrer');
    const cookie = (first.headers['set-cookie'] as unknown as string[])[0]!;
    expect(cookie).toMatch(new RegExp(`^${CONSOLE_COOKIE}=[\\w-]{43}; Path=/; Max-Age=28800; HttpOnly; SameSite=Strict$`));
    // The code is stored only as a hash.
    const stored = await s.runtime.deps.models.ConsoleLink.find({ tenantId: s.tenantId }).lean();
    expect(JSON.stringify(stored)).not.toContain(url.searchParams.get('code'));

    const again = await s.http.get(url.pathname + url.search);
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.text).toContain('signs in once');

    const audit = await s.admin.get('/audit?action=console.session.started');
    expect(audit.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'console.session.started' })]));
  });

  it('an expired or unknown link does not sign in', async () => {
    const expired = await issueConsoleLink(s.runtime.deps.models, s.tenantId, '', 1);
    await s.runtime.deps.models.ConsoleLink.updateMany({ tenantId: s.tenantId, usedAt: { $exists: false } }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await s.http.get(expired.url)).status).toBe(401);
    expect((await s.http.get(`${CONSOLE_SIGN_IN_PATH}?code=made-up`)).status).toBe(401);
    expect((await s.http.get(CONSOLE_SIGN_IN_PATH)).status).toBe(401);
  });

  it('the cookie authenticates the admin API as the tenant operator; GET /session says so', async () => {
    const { cookie, csrf } = await signIn(s);
    const session = await s.http.get('/admin/v1/session').set('Cookie', cookie);
    expect(session.body).toMatchObject({ tenantId: s.tenantId, kind: 'operator', role: 'admin', via: 'console-session', subject: expect.stringMatching(/^csn_/) });
    expect(csrf).toMatch(/^[\w-]{43}$/);
    expectStatus(await s.http.get('/admin/v1/groups').set('Cookie', cookie), 200);
    // A bearer token's /session has no CSRF token and cannot be signed out.
    const bearer = await s.admin.get('/session');
    expect(bearer.body).toMatchObject({ via: 'bearer', kind: 'operator' });
    expect(bearer.body.csrfToken).toBeUndefined();
    expectError(await s.admin.delete('/session'), 409, 'SESSION_NOT_CONSOLE');
  });

  it("unsafe methods need the session's X-CSRF-Token; safe ones do not", async () => {
    const { cookie, csrf } = await signIn(s);
    expectError(await s.http.post('/admin/v1/groups').set('Cookie', cookie).send({ name: 'No CSRF' }), 403, 'CSRF_TOKEN_INVALID');
    expectError(await s.http.post('/admin/v1/groups').set('Cookie', cookie).set('X-CSRF-Token', 'x'.repeat(43)).send({ name: 'Wrong CSRF' }), 403, 'CSRF_TOKEN_INVALID');
    expectError(await s.http.delete('/admin/v1/session').set('Cookie', cookie), 403, 'CSRF_TOKEN_INVALID');
    const created = expectStatus(await s.http.post('/admin/v1/groups').set('Cookie', cookie).set('X-CSRF-Token', csrf).send({ name: 'Made in the console' }), 201);
    // Audited as the console session.
    const audit = await s.admin.get(`/audit?objectId=${created.body.id}`);
    expect(audit.body.items[0].actor).toEqual({ type: 'admin', id: expect.stringMatching(/^csn_/) });
  });

  it('signing out ends the session and clears the cookie', async () => {
    const { cookie, csrf } = await signIn(s);
    const out = await s.http.delete('/admin/v1/session').set('Cookie', cookie).set('X-CSRF-Token', csrf);
    expect(out.status).toBe(204);
    expect((out.headers['set-cookie'] as unknown as string[])[0]).toMatch(new RegExp(`^${CONSOLE_COOKIE}=; Path=/; Max-Age=0`));
    expectError(await s.http.get('/admin/v1/session').set('Cookie', cookie), 401, 'CONSOLE_SESSION_INVALID');
  });

  it('an expired session is refused', async () => {
    const { cookie } = await signIn(s);
    await s.runtime.deps.models.ConsoleSession.updateMany({ tenantId: s.tenantId }, { $set: { expiresAt: new Date(Date.now() - 1) } });
    expectError(await s.http.get('/admin/v1/groups').set('Cookie', cookie), 401, 'CONSOLE_SESSION_INVALID');
  });

  it('a session sees only its own tenant', async () => {
    const other = await createTenant(s.runtime.deps.models, `console-other-${Date.now()}`);
    const { cookie } = await signIn(s, other.tenantId);
    const mine = expectStatus(await s.admin.post('/groups', { name: 'Only in the first tenant' }), 201);
    expectError(await s.http.get(`/admin/v1/groups/${mine.body.id}`).set('Cookie', cookie), 404, 'GROUP_NOT_FOUND');
  });

  it('a bearer token wins over a cookie, and without either the API answers 401', async () => {
    const { cookie } = await signIn(s);
    expectError(await s.http.get('/admin/v1/groups').set('Cookie', cookie).set('Authorization', 'Bearer not-a-jwt'), 401, 'ADMIN_AUTH_INVALID');
    expectError(await s.http.get('/admin/v1/groups'), 401, 'ADMIN_AUTH_MISSING');
    expectError(await s.http.get('/admin/v1/groups').set('Cookie', `${CONSOLE_COOKIE}=forged`), 401, 'CONSOLE_SESSION_INVALID');
  });

  it('the console page is served with a CSP that allows no inline script', async () => {
    const res = await request(s.runtime.app).get('/console/console.css');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });
});

describe('/admin/v1/scim-tokens', () => {
  let s: AdminStack;
  beforeAll(async () => {
    s = await startAdminStack();
  });
  afterAll(() => s.close());

  it('lists tokens with the SCIM base URL, never the secret, and the last request the IdP made', async () => {
    await s.scim.get('/Users?filter=userName%20eq%20%22nobody%22').set('User-Agent', 'Okta SCIM Client 1.0.0');
    const res = expectStatus(await s.admin.get('/scim-tokens'), 200);
    expect(res.body.scimBaseUrl).toMatch(/^http:\/\/127\.0\.0\.1(:\d+)?\/scim\/v2$/);
    expect(res.body.items).toHaveLength(1);
    expect(JSON.stringify(res.body)).not.toContain(s.token);
    expect(res.body.items[0]).toMatchObject({ tokenId: expect.stringMatching(/^tok_/), label: 'initial', revokedAt: null, hint: s.token.slice(0, 9) });
    expect(res.body.items[0].lastRequest).toMatchObject({ method: 'GET', path: '/Users', status: 200, userAgent: 'Okta SCIM Client 1.0.0' });
  });

  it('a failure is recorded at once even right after a success', async () => {
    await s.scim.get('/Users');
    await s.scim.get('/Users/does-not-exist');
    const res = await s.admin.get('/scim-tokens');
    expect(res.body.items[0].lastRequest).toMatchObject({ path: '/Users/does-not-exist', status: 404 });
  });

  it('create shows the token once; rotate replaces and revokes; revoke stops the IdP', async () => {
    const created = expectStatus(await s.admin.post('/scim-tokens', { label: 'Entra production' }), 201);
    expect(created.body).toMatchObject({ label: 'Entra production', token: expect.stringMatching(/^scim_/) });
    expectStatus(await request(s.runtime.app).get('/scim/v2/Users').set('Authorization', `Bearer ${created.body.token}`), 200);
    expect(JSON.stringify((await s.admin.get('/scim-tokens')).body)).not.toContain(created.body.token);

    const rotated = expectStatus(await s.admin.post(`/scim-tokens/${created.body.tokenId}/rotate`), 201);
    expect(rotated.body.replacement).toMatchObject({ label: 'Entra production', token: expect.stringMatching(/^scim_/) });
    expect(rotated.body.revoked).toMatchObject({ tokenId: created.body.tokenId, revokedAt: expect.any(String) });
    expectStatus(await request(s.runtime.app).get('/scim/v2/Users').set('Authorization', `Bearer ${created.body.token}`), 401);
    expectStatus(await request(s.runtime.app).get('/scim/v2/Users').set('Authorization', `Bearer ${rotated.body.replacement.token}`), 200);
    expectError(await s.admin.post(`/scim-tokens/${created.body.tokenId}/rotate`), 409, 'SCIM_TOKEN_REVOKED');

    const revoked = expectStatus(await s.admin.delete(`/scim-tokens/${rotated.body.replacement.tokenId}`), 200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expectStatus(await request(s.runtime.app).get('/scim/v2/Users').set('Authorization', `Bearer ${rotated.body.replacement.token}`), 401);

    const audit = await s.admin.get('/audit?action=scim_token.');
    expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual(['scim_token.created', 'scim_token.created', 'scim_token.revoked', 'scim_token.revoked']);
  });

  it('other tenants and non-admins are refused', async () => {
    const other = await createTenant(s.runtime.deps.models, `tokens-other-${Date.now()}`);
    const mine = (await s.admin.get('/scim-tokens')).body.items[0].tokenId as string;
    expectError(await s.operator(other.tenantId).delete(`/scim-tokens/${mine}`), 404, 'SCIM_TOKEN_NOT_FOUND');
    const member = await s.caller('member');
    expectStatus(await member.client.get('/scim-tokens'), 403);
    expectError(await s.admin.post('/scim-tokens', { label: '<script>' }), 400, 'SCIM_TOKEN_LABEL_INVALID');
  });
});
