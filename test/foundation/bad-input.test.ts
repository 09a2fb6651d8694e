import { gzipSync } from 'node:zlib';
import { startAdminStack, type AdminStack } from '../admin/admin-fixtures';
import { MAX_JSON_DEPTH } from '../../src/http/json-body';
import { expectScimError, tenantState, userBody } from '../scim/http/helpers';

/** Input that once answered 500 (or hung): a client's mistake is a 4xx, and nothing is written. */

let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const scimPost = (path: string) => s.http.post(`/scim/v2${path}`).set('Authorization', `Bearer ${s.token}`);
const adminAuth = () => s.adminAuth;

describe('JSON nesting depth', () => {
  it('when a SCIM body nests 10,000 levels deep, then 400 invalidSyntax and nothing is written', async () => {
    const before = await tenantState(s);
    const body = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"deep","title":${nested(10_000)}}`;
    const res = await scimPost('/Users').set('Content-Type', 'application/scim+json').send(body);
    expectScimError(res, 400, 'invalidSyntax');
    expect(res.body.detail).toContain(String(MAX_JSON_DEPTH));
    expect(await tenantState(s)).toEqual(before);
  });

  it('when an admin body nests too deep, then 400 JSON_TOO_DEEP', async () => {
    const res = await s.http
      .post('/admin/v1/rules/validate')
      .set('Authorization', adminAuth())
      .set('Content-Type', 'application/json')
      .send(`{"expression":${nested(MAX_JSON_DEPTH + 1)}}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('JSON_TOO_DEEP');
  });

  it('a body exactly at the limit is read (and judged on its content)', async () => {
    const res = await scimPost('/Users')
      .set('Content-Type', 'application/scim+json')
      .send(JSON.stringify(userBody('at.limit@example.com', { title: JSON.parse(nested(MAX_JSON_DEPTH - 1)) })));
    expect(String(res.body.detail ?? '')).not.toContain('levels deep');
  });
});

describe('Content-Encoding', () => {
  it('a gzip body is accepted', async () => {
    const res = await scimPost('/Users')
      .set('Content-Type', 'application/scim+json')
      .set('Content-Encoding', 'gzip')
      .serialize((b: unknown) => b as string)
      .send(gzipSync(JSON.stringify(userBody('gzipped@example.com'))));
    expect(res.body).toMatchObject({ userName: 'gzipped@example.com' });
    expect(res.status).toBe(201);
  });

  it('when the encoding is unknown, then 415 on SCIM and on the admin API', async () => {
    const scim = await scimPost('/Users').set('Content-Type', 'application/scim+json').set('Content-Encoding', 'x-unknown').send('{}');
    expectScimError(scim, 415);
    const admin = await s.http.post('/admin/v1/rules/validate').set('Authorization', adminAuth()).set('Content-Type', 'application/json').set('Content-Encoding', 'x-unknown').send('{}');
    expect(admin.status).toBe(415);
    expect(admin.body.error.code).toBe('UNSUPPORTED_CONTENT_ENCODING');
  });

  it('when a gzip body cannot be decoded, then 400 and nothing is written', async () => {
    const before = await tenantState(s);
    const res = await scimPost('/Users')
      .set('Content-Type', 'application/scim+json')
      .set('Content-Encoding', 'gzip')
      .serialize((b: unknown) => b as string)
      .send(Buffer.from('this is not gzip at all'));
    expectScimError(res, 400, 'invalidSyntax');
    expect(await tenantState(s)).toEqual(before);
  });
});
