import { startAdminStack, type AdminStack } from './admin-fixtures';
import { adminOpenApiDocument } from '../../src/admin/openapi';

/**
 * Edges schemathesis found between the admin API's document and its answers (scripts/api-fuzz.sh
 * runs the fuzzer in CI; these keep each finding fixed with a plain example).
 */

let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

describe('search text reaches the database as text', () => {
  it.each(['/resources', '/users', '/groups'])('a NUL byte in q on %s is searched for, not a 500', async (path) => {
    const res = await s.admin.get(`${path}?q=${encodeURIComponent('a\u0000b')}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);
  });
});

describe('a concrete path wins over a templated one', () => {
  it('OPTIONS /rules/preview lists the methods of /rules/preview, not of /rules/{id}', async () => {
    const res = await s.http.options('/admin/v1/rules/preview').set('Authorization', s.adminAuth);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });

  it('OPTIONS /groups/{id}/members/import lists POST only', async () => {
    const res = await s.http.options('/admin/v1/groups/grp_x/members/import').set('Authorization', s.adminAuth);
    expect(res.headers.allow).toBe('POST');
  });
});

describe('query values are what the document says or a 400', () => {
  it.each([
    ['/audit?to=', 'to'],
    ['/audit?from=2026', 'from'],
    ['/audit?from=12%2F06%2F2026', 'from'],
    ['/groups?assignable=maybe', 'assignable'],
    ['/groups?page=', 'page'],
    ['/resources?type=', 'type'],
    ['/resources?page=', 'page'],
    ['/invitations?status=', 'status'],
  ])('%s answers 400 naming %s', async (path, field) => {
    const res = await s.admin.get(path);
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toBe(field);
  });

  it('an RFC 3339 time with an offset is accepted', async () => {
    expect((await s.admin.get(`/audit?from=${encodeURIComponent('2026-12-06T09:30:00+02:00')}`)).status).toBe(200);
  });
});

describe('bodies', () => {
  it('POST /rules/validate with a non-string expression is a 400, a syntax error is a 200 {valid: false}', async () => {
    const wrongType = await s.admin.post('/rules/validate').send({ expression: 42 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.details.field).toBe('expression');
    const unknown = await s.admin.post('/rules/validate').send({ expression: 'department eq "x"', extra: true });
    expect(unknown.status).toBe(400);
    const syntax = await s.admin.post('/rules/validate').send({ expression: 'department eq' });
    expect(syntax.status).toBe(200);
    expect(syntax.body.valid).toBe(false);
  });

  it('POST /deprovisioning/held/allow and /reject refuse a JSON null body (never read as "every held user")', async () => {
    for (const verdict of ['allow', 'reject']) {
      const res = await s.http.post(`/admin/v1/deprovisioning/held/${verdict}`).set('Authorization', s.adminAuth).set('Content-Type', 'application/json').send('null');
      expect(res.status).toBe(400);
    }
  });

  it('POST /console-links refuses ttlSeconds: null', async () => {
    expect((await s.admin.post('/console-links').send({ ttlSeconds: null })).status).toBe(400);
  });

  it('POST /scim-tokens refuses a JSON null or an unknown field; no body is a token without a label', async () => {
    const nul = await s.http.post('/admin/v1/scim-tokens').set('Authorization', s.adminAuth).set('Content-Type', 'application/json').send('null');
    expect(nul.status).toBe(400);
    expect((await s.admin.post('/scim-tokens').send({ lable: 'Okta' })).status).toBe(400);
    const none = await s.http.post('/admin/v1/scim-tokens').set('Authorization', s.adminAuth);
    expect(none.status).toBe(201);
    expect(none.body.label).toBeNull();
  });
});

describe('the document declares what the route guard answers', () => {
  it('every operation lists 400 (an undeclared query parameter)', () => {
    const paths = adminOpenApiDocument().paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    const missing = Object.entries(paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => !op.responses['400'])
        .map(([m]) => `${m.toUpperCase()} ${path}`),
    );
    expect(missing).toEqual([]);
  });
});
