import { startAdminStack, expectError, expectStatus, type AdminStack } from '../admin/admin-fixtures';

/**
 * POST /admin/v1/console-links: the vendor's application mints the sign-in link its customer's IT
 * admin follows (no CLI): short-lived, one use, for the token's tenant, opening the page asked for.
 */
describe('console sign-in links minted through the admin API', () => {
  let s: AdminStack;
  beforeAll(async () => {
    s = await startAdminStack();
  });
  afterAll(() => s.close());

  it("mints a link for the token's tenant that signs in once and opens the page asked for", async () => {
    const res = expectStatus(await s.admin.post('/console-links', { ttlSeconds: 120, landing: 'log' }), 201);
    const url = new URL(res.body.url as string);
    expect(url.pathname).toBe('/console/sign-in');
    const expiresIn = new Date(res.body.expiresAt as string).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(60_000);
    expect(expiresIn).toBeLessThanOrEqual(120_000);
    const first = expectStatus(await s.http.get(url.pathname + url.search), 303);
    expect(first.headers.location).toBe('/console/#/log');
    const cookie = (first.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const session = expectStatus(await s.http.get('/admin/v1/session').set('Cookie', cookie), 200);
    expect(session.body.tenantId).toBe(s.tenantId);
    const again = await s.http.get(url.pathname + url.search);
    expect(again.status).toBe(401);
    expect(again.text).not.toContain('npm run cli');
    const audit = expectStatus(await s.admin.get('/audit?action=console.link.created'), 200);
    expect(audit.body.items).toHaveLength(1);
  });

  it('refuses a lifetime outside 60 s to 1 h, an unknown page, a caller who is not a tenant admin, and a console session', async () => {
    expectError(await s.admin.post('/console-links', { ttlSeconds: 86_400 }), 400, 'INVALID_REQUEST');
    expectError(await s.admin.post('/console-links', { landing: 'billing' }), 400, 'INVALID_REQUEST');
    const member = await s.caller('member');
    expect((await member.client.post('/console-links', {})).status).toBe(403);
    const link = expectStatus(await s.admin.post('/console-links', {}), 201);
    const url = new URL(link.body.url as string);
    const cookie = ((await s.http.get(url.pathname + url.search)).headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const csrf = (await s.http.get('/admin/v1/session').set('Cookie', cookie)).body.csrfToken as string;
    expectError(await s.http.post('/admin/v1/console-links').set('Cookie', cookie).set('X-CSRF-Token', csrf).send({}), 403, 'CONSOLE_LINK_FROM_CONSOLE');
  });
});
