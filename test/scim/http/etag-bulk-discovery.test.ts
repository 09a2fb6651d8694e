import { startTestStack, type TestStack } from '../../helpers/stack';
import {
  BULK_REQUEST,
  ENTERPRISE_URN,
  GROUP_URN,
  LIST_RESPONSE,
  USER_URN,
  createGroup,
  createUser,
  expectScimContentType,
  expectScimError,
  expectStatus,
  groupBody,
  membershipsOf,
  patchBody,
  tenantState,
  userBody,
} from './helpers';

/** ETags and preconditions (RFC 7644 §3.14), Bulk (§3.7) and discovery (§4) over HTTP. */

const BULK_MAX_OPERATIONS = 5;
const BULK_MAX_PAYLOAD = 64 * 1024;
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({
    env: { SCIM_BULK_MAX_OPERATIONS: String(BULK_MAX_OPERATIONS), SCIM_BULK_MAX_PAYLOAD_BYTES: String(BULK_MAX_PAYLOAD) },
  });
});
afterAll(() => stack.close());

describe('ETags', () => {
  it('every write changes the ETag header and meta.version, and GET reports the same pair', async () => {
    const created = expectStatus(await stack.scim.post('/Users', userBody('etag.user@example.com')), 201);
    const id = created.body.id;
    const versions = [created.headers.etag];
    expect(created.headers.etag).toBe(created.body.meta.version);
    expect(created.headers.etag).toMatch(/^W\/".+"$/);

    const put = expectStatus(await stack.scim.put(`/Users/${id}`, userBody('etag.user@example.com', { title: 'One' })), 200);
    versions.push(put.headers.etag);
    expect(put.body.meta.version).toBe(put.headers.etag);
    const patched = expectStatus(await stack.scim.patch(`/Users/${id}`, patchBody({ op: 'replace', path: 'title', value: 'Two' })), 200);
    versions.push(patched.headers.etag);
    expect(patched.body.meta.version).toBe(patched.headers.etag);
    expect(new Set(versions).size).toBe(3);

    const read = expectStatus(await stack.scim.get(`/Users/${id}`), 200);
    expect(read.headers.etag).toBe(patched.headers.etag);
    expect(read.body.meta.version).toBe(patched.headers.etag);
    expect(Date.parse(read.body.meta.lastModified)).toBeGreaterThanOrEqual(Date.parse(read.body.meta.created));
  });

  it('a PATCH that changes nothing keeps the ETag', async () => {
    const user = await createUser(stack, 'noop.user@example.com', { title: 'Same' });
    const res = expectStatus(await stack.scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'Same' })), 200);
    expect(res.headers.etag).toBe(user.meta && (user.meta as { version: string }).version);
  });

  it('a group PATCH answered with 204 still carries the new ETag', async () => {
    const group = await createGroup(stack, 'ETag Group');
    const user = await createUser(stack, 'etag.member@example.com');
    const res = await stack.scim.patch(`/Groups/${group.id}`, patchBody({ op: 'add', path: 'members', value: [{ value: user.id }] }));
    expect(res.status).toBe(204);
    expect(res.headers.etag).toBeDefined();
    expect(res.headers.etag).not.toBe((group.meta as { version: string }).version);
    const read = expectStatus(await stack.scim.get(`/Groups/${group.id}`), 200);
    expect(read.headers.etag).toBe(res.headers.etag);
    expect(read.body.meta.version).toBe(res.headers.etag);
  });

  it('If-Match with a stale version answers 412 to PUT, PATCH and DELETE and writes nothing', async () => {
    const user = await createUser(stack, 'stale@example.com');
    const stale = String((user.meta as { version: string }).version);
    expectStatus(await stack.scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'Moved on' })), 200);
    const before = await tenantState(stack);
    expectScimError(await stack.scim.put(`/Users/${user.id}`, userBody('stale@example.com')).set('If-Match', stale), 412);
    expectScimError(await stack.scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'Lost update' })).set('If-Match', stale), 412);
    expectScimError(await stack.scim.delete(`/Users/${user.id}`).set('If-Match', stale), 412);
    const group = await createGroup(stack, 'Stale Group');
    const groupBefore = await tenantState(stack);
    expectScimError(await stack.scim.patch(`/Groups/${group.id}`, patchBody({ op: 'replace', path: 'displayName', value: 'x' })).set('If-Match', 'W/"99"'), 412);
    expect(await tenantState(stack)).toEqual(groupBefore);
    expect((before as { users: unknown[] }).users).toEqual(((await tenantState(stack)) as { users: unknown[] }).users);
  });

  it('If-Match with the current version (weak or strong form, or *) lets the write through', async () => {
    const user = await createUser(stack, 'current@example.com');
    const current = String((user.meta as { version: string }).version);
    const first = expectStatus(await stack.scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'A' })).set('If-Match', current), 200);
    const strong = String(first.headers.etag).replace(/^W\//, '');
    const second = expectStatus(await stack.scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'B' })).set('If-Match', strong), 200);
    expectStatus(await stack.scim.put(`/Users/${user.id}`, userBody('current@example.com', { title: 'C' })).set('If-Match', '*'), 200);
    expect(second.body.title).toBe('B');
    expect((await stack.scim.delete(`/Users/${user.id}`).set('If-Match', '*')).status).toBe(204);
  });

  it('If-None-Match with the current version answers 304 without a body; with an old one, 200', async () => {
    const user = await createUser(stack, 'cached@example.com');
    const etag = String((user.meta as { version: string }).version);
    const notModified = await stack.scim.get(`/Users/${user.id}`).set('If-None-Match', etag);
    expect(notModified.status).toBe(304);
    expect(notModified.text ?? '').toBe('');
    expect(notModified.headers.etag).toBe(etag);
    expectStatus(await stack.scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'Changed' })), 200);
    const changed = expectStatus(await stack.scim.get(`/Users/${user.id}`).set('If-None-Match', etag), 200);
    expect(changed.body.title).toBe('Changed');
    const group = await createGroup(stack, 'Cached Group');
    expect((await stack.scim.get(`/Groups/${group.id}`).set('If-None-Match', String((group.meta as { version: string }).version))).status).toBe(304);
  });
});

describe('Bulk', () => {
  const bulk = (Operations: unknown[], extra: Record<string, unknown> = {}) => stack.scim.post('/Bulk', { schemas: [BULK_REQUEST], Operations, ...extra });

  it('a group can list a user created in the same request by bulkId, even when it comes first', async () => {
    const res = expectStatus(
      await bulk([
        { method: 'POST', path: '/Groups', bulkId: 'grp1', data: groupBody('Bulk Group', { members: [{ value: 'bulkId:usr1' }] }) },
        { method: 'POST', path: '/Users', bulkId: 'usr1', data: userBody('bulk.user@example.com') },
        { method: 'PATCH', path: '/Users/bulkId:usr1', data: patchBody({ op: 'replace', path: 'title', value: 'Patched in bulk' }) },
      ]),
      200,
    );
    expectScimContentType(res);
    expect(res.body.schemas).toEqual([BULK_RESPONSE]);
    const [groupOp, userOp, patchOp] = res.body.Operations;
    expect(groupOp).toMatchObject({ method: 'POST', bulkId: 'grp1', status: '201' });
    expect(userOp).toMatchObject({ method: 'POST', bulkId: 'usr1', status: '201' });
    expect(patchOp).toMatchObject({ method: 'PATCH', status: '200' });
    expect(userOp.location).toMatch(/^https?:\/\/.+\/scim\/v2\/Users\/usr_/);
    expect(userOp.version).toMatch(/^W\//);
    const userId = String(userOp.location).split('/').pop()!;
    const groupId = String(groupOp.location).split('/').pop()!;
    expect(await membershipsOf(stack, groupId)).toEqual([{ userId, sources: ['scim'] }]);
    const user = expectStatus(await stack.scim.get(`/Users/${userId}`), 200);
    expect(user.body.title).toBe('Patched in bulk');
    expect(user.body.groups.map((g: { value: string }) => g.value)).toEqual([groupId]);
  });

  it('without failOnErrors, a failing operation reports its SCIM error and the others still run', async () => {
    await createUser(stack, 'taken@example.com');
    const res = expectStatus(
      await bulk([
        { method: 'POST', path: '/Users', bulkId: 'a', data: userBody('TAKEN@example.com') },
        { method: 'POST', path: '/Users', bulkId: 'b', data: userBody('fresh.b@example.com') },
        { method: 'DELETE', path: '/Users/usr_missing' },
      ]),
      200,
    );
    const [dup, fresh, missing] = res.body.Operations;
    expect(dup).toMatchObject({ status: '409', response: { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', scimType: 'uniqueness' } });
    expect(fresh.status).toBe('201');
    expect(missing).toMatchObject({ status: '404', response: { status: '404' } });
  });

  it('failOnErrors=1 stops after the first error: later operations do not run', async () => {
    const res = expectStatus(
      await bulk(
        [
          { method: 'POST', path: '/Users', bulkId: 'x', data: userBody('taken@example.com') },
          { method: 'POST', path: '/Users', bulkId: 'y', data: userBody('never.created@example.com') },
        ],
        { failOnErrors: 1 },
      ),
      200,
    );
    expect(res.body.Operations).toHaveLength(1);
    expect(res.body.Operations[0]).toMatchObject({ bulkId: 'x', status: '409' });
    const found = expectStatus(await stack.scim.get(`/Users?filter=${encodeURIComponent('userName eq "never.created@example.com"')}`), 200);
    expect(found.body.totalResults).toBe(0);
  });

  it('an operation with a stale version gets 412 in its result', async () => {
    const user = await createUser(stack, 'bulk.versioned@example.com');
    const res = expectStatus(await bulk([{ method: 'PATCH', path: `/Users/${user.id}`, version: 'W/"42"', data: patchBody({ op: 'replace', path: 'title', value: 'x' }) }]), 200);
    expect(res.body.Operations[0]).toMatchObject({ status: '412' });
  });

  it('circular bulkId references fail with 409 instead of hanging', async () => {
    const res = expectStatus(
      await bulk([
        { method: 'POST', path: '/Groups', bulkId: 'g1', data: groupBody('Circle One', { members: [{ value: 'bulkId:g2' }] }) },
        { method: 'POST', path: '/Groups', bulkId: 'g2', data: groupBody('Circle Two', { members: [{ value: 'bulkId:g1' }] }) },
      ]),
      200,
    );
    expect(res.body.Operations.map((o: { status: string }) => o.status)).toEqual(['409', '409']);
  });

  it('more operations than maxOperations answer 413 and nothing runs', async () => {
    const before = await tenantState(stack);
    const ops = Array.from({ length: BULK_MAX_OPERATIONS + 1 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `u${i}`, data: userBody(`too.many.${i}@example.com`) }));
    const res = await bulk(ops);
    expect(res.status).toBe(413);
    expectScimContentType(res);
    expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '413' });
    expect(await tenantState(stack)).toEqual(before);
  });

  it('a payload above maxPayloadSize answers 413 and nothing runs', async () => {
    const before = await tenantState(stack);
    const res = await bulk([{ method: 'POST', path: '/Users', bulkId: 'big', data: userBody('big@example.com', { displayName: 'x'.repeat(BULK_MAX_PAYLOAD) }) }]);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '413' });
    expect(await tenantState(stack)).toEqual(before);
  });

  it('a bulk request without the BulkRequest schema, or with a POST lacking bulkId, is 400 invalidSyntax', async () => {
    expectScimError(await stack.scim.post('/Bulk', { Operations: [] }), 400, 'invalidSyntax');
    expectScimError(await bulk([{ method: 'POST', path: '/Users', data: userBody('no.bulk.id@example.com') }]), 400, 'invalidSyntax');
  });
});

describe('discovery', () => {
  it('GET /ServiceProviderConfig describes what is enforced, as application/scim+json', async () => {
    const res = expectStatus(await stack.scim.get('/ServiceProviderConfig'), 200);
    expectScimContentType(res);
    expect(res.body.schemas[0]).toBe('urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig');
    expect(res.body).toMatchObject({
      patch: { supported: true },
      bulk: { supported: true, maxOperations: BULK_MAX_OPERATIONS, maxPayloadSize: BULK_MAX_PAYLOAD },
      filter: { supported: true },
      sort: { supported: true },
      etag: { supported: true },
      changePassword: { supported: false },
      pagination: { cursor: true, index: true },
      meta: { resourceType: 'ServiceProviderConfig' },
    });
    expect(res.body.authenticationSchemes[0]).toMatchObject({ type: 'oauthbearertoken' });
    expect(res.body.meta.location).toMatch(/^https?:\/\/.+\/scim\/v2\/ServiceProviderConfig$/);
  });

  it('GET /ResourceTypes lists User (with its extensions) and Group; each can be read by id', async () => {
    const res = expectStatus(await stack.scim.get('/ResourceTypes'), 200);
    expectScimContentType(res);
    expect(res.body).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 2 });
    const byId = Object.fromEntries(res.body.Resources.map((r: { id: string }) => [r.id, r]));
    expect(byId.User).toMatchObject({ endpoint: '/Users', schema: USER_URN, meta: { resourceType: 'ResourceType' } });
    expect(byId.User.schemaExtensions).toEqual(expect.arrayContaining([{ schema: ENTERPRISE_URN, required: false }]));
    expect(byId.Group).toMatchObject({ endpoint: '/Groups', schema: GROUP_URN });
    const user = expectStatus(await stack.scim.get('/ResourceTypes/User'), 200);
    expect(user.body.id).toBe('User');
    expectScimError(await stack.scim.get('/ResourceTypes/Widget'), 404);
  });

  it('GET /Schemas lists every schema; /Schemas/{urn} serves one with its attributes', async () => {
    const res = expectStatus(await stack.scim.get('/Schemas'), 200);
    expectScimContentType(res);
    const schemaIds = res.body.Resources.map((s: { id: string }) => s.id);
    expect(schemaIds).toEqual(expect.arrayContaining([USER_URN, GROUP_URN, ENTERPRISE_URN]));
    expect(res.body.totalResults).toBe(schemaIds.length);
    const user = expectStatus(await stack.scim.get(`/Schemas/${USER_URN}`), 200);
    expectScimContentType(user);
    expect(user.body).toMatchObject({ id: USER_URN, meta: { resourceType: 'Schema' } });
    expect(user.body.meta.location).toMatch(new RegExp(`/scim/v2/Schemas/${USER_URN}$`));
    const userName = user.body.attributes.find((a: { name: string }) => a.name === 'userName');
    expect(userName).toMatchObject({ type: 'string', required: true, caseExact: false, uniqueness: 'server' });
    expectScimError(await stack.scim.get('/Schemas/urn:example:nope'), 404);
  });
});

describe('meta.location', () => {
  it('is absolute, and the Location header of a create names the same URL', async () => {
    const res = expectStatus(await stack.scim.post('/Users', userBody('located@example.com')), 201);
    expect(res.body.meta.location).toMatch(new RegExp(`^http://[^/]+/scim/v2/Users/${res.body.id}$`));
    expect(res.headers.location).toBe(res.body.meta.location);
  });

  it('ignores X-Forwarded-Proto/Host unless TRUST_PROXY is set', async () => {
    const res = expectStatus(await stack.scim.post('/Users', userBody('untrusted@example.com')).set('X-Forwarded-Proto', 'https').set('X-Forwarded-Host', 'scim.example.com'), 201);
    expect(res.body.meta.location).not.toMatch(/scim\.example\.com/);
  });

  describe('behind a trusted proxy (TRUST_PROXY=true)', () => {
    let proxied: TestStack;
    beforeAll(async () => {
      proxied = await startTestStack({ env: { TRUST_PROXY: 'true' } });
    });
    afterAll(() => proxied.close());

    it('honours X-Forwarded-Proto and X-Forwarded-Host in meta.location, Location and discovery', async () => {
      const fwd = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'scim.example.com' };
      const created = expectStatus(await proxied.scim.post('/Users', userBody('proxied@example.com')).set(fwd), 201);
      const expected = `https://scim.example.com/scim/v2/Users/${created.body.id}`;
      expect(created.body.meta.location).toBe(expected);
      expect(created.headers.location).toBe(expected);
      const read = expectStatus(await proxied.scim.get(`/Users/${created.body.id}`).set(fwd), 200);
      expect(read.body.meta.location).toBe(expected);
      const list = expectStatus(await proxied.scim.get('/Users').set(fwd), 200);
      expect(list.body.Resources[0].meta.location).toBe(expected);
      const config = expectStatus(await proxied.scim.get('/ServiceProviderConfig').set(fwd), 200);
      expect(config.body.meta.location).toBe('https://scim.example.com/scim/v2/ServiceProviderConfig');
    });
  });
});
