import { createTenant } from '../../../src/domain/tenants';
import { issueScimToken, revokeScimToken } from '../../../src/auth/scim-token';
import { scimClient, startTestStack, type ScimClient, type TestStack } from '../../helpers/stack';
import { GROUP_URN, SEARCH_REQUEST, createGroup, createUser, expectScimError, expectStatus, membershipsOf, patchBody, tenantState, userBody } from './helpers';

/**
 * Every SCIM call is scoped by the tenant its bearer token names: another tenant's resources are
 * invisible (404, never 403, so ids do not leak existence), and a bad token gets 401.
 */

let stack: TestStack;
let other: ScimClient;
let userId: string;
let groupId: string;

beforeAll(async () => {
  stack = await startTestStack();
  const second = await createTenant(stack.runtime.deps.models, 'second-tenant');
  other = scimClient(stack.runtime.app, second.scimToken);
  userId = (await createUser(stack, 'shared.name@example.com', { externalId: 'ext-1', emails: [{ type: 'work', value: 'shared.name@example.com' }] })).id;
  groupId = (await createGroup(stack, 'Engineering')).id;
  expectStatus(await stack.scim.patch(`/Groups/${groupId}`, patchBody({ op: 'add', path: 'members', value: [{ value: userId }] })), 204);
});
afterAll(() => stack.close());

describe("another tenant's token", () => {
  it("gets 404 for the first tenant's user on GET, PUT, PATCH and DELETE, and changes nothing", async () => {
    const before = await tenantState(stack);
    expectScimError(await other.get(`/Users/${userId}`), 404);
    expectScimError(await other.put(`/Users/${userId}`, userBody('hijacked@example.com')), 404);
    expectScimError(await other.patch(`/Users/${userId}`, patchBody({ op: 'replace', path: 'active', value: false })), 404);
    expectScimError(await other.delete(`/Users/${userId}`), 404);
    expect(await tenantState(stack)).toEqual(before);
  });

  it("gets 404 for the first tenant's group on GET, PUT, PATCH and DELETE, and changes nothing", async () => {
    const before = await tenantState(stack);
    expectScimError(await other.get(`/Groups/${groupId}`), 404);
    expectScimError(await other.put(`/Groups/${groupId}`, { schemas: [GROUP_URN], displayName: 'Mine now', members: [] }), 404);
    expectScimError(await other.patch(`/Groups/${groupId}`, patchBody({ op: 'remove', path: 'members' })), 404);
    expectScimError(await other.delete(`/Groups/${groupId}`), 404);
    expect(await tenantState(stack)).toEqual(before);
    expect(await membershipsOf(stack, groupId)).toEqual([{ userId, sources: ['scim'] }]);
  });

  it('does not see them in lists, filters or searches', async () => {
    const users = expectStatus(await other.get('/Users'), 200);
    expect(users.body.totalResults).toBe(0);
    const byName = expectStatus(await other.get(`/Users?filter=${encodeURIComponent('userName eq "shared.name@example.com"')}`), 200);
    expect(byName.body).toMatchObject({ totalResults: 0, Resources: [] });
    const byExternalId = expectStatus(await other.get(`/Users?filter=${encodeURIComponent('externalId eq "ext-1"')}`), 200);
    expect(byExternalId.body.totalResults).toBe(0);
    const byEmail = expectStatus(await other.get(`/Users?filter=${encodeURIComponent('emails[type eq "work"].value eq "shared.name@example.com"')}`), 200);
    expect(byEmail.body.totalResults).toBe(0);
    const groups = expectStatus(await other.get(`/Groups?filter=${encodeURIComponent('displayName eq "Engineering"')}`), 200);
    expect(groups.body.totalResults).toBe(0);
    const search = expectStatus(await other.post('/Users/.search', { schemas: [SEARCH_REQUEST], filter: 'userName sw "shared"' }), 200);
    expect(search.body.totalResults).toBe(0);
    const cursor = expectStatus(await other.get('/Users?cursor&count=10'), 200);
    expect(cursor.body.totalResults).toBe(0);
  });

  it("cannot add the first tenant's user to its own group", async () => {
    const own = expectStatus(await other.post('/Groups', { schemas: [GROUP_URN], displayName: 'Theirs' }), 201);
    expectScimError(await other.patch(`/Groups/${own.body.id}`, patchBody({ op: 'add', path: 'members', value: [{ value: userId }] })), 400, 'invalidValue');
    expect(await stack.runtime.deps.models.Membership.countDocuments({ userId })).toBe(1);
  });

  it('may use the same userName and group name: uniqueness is per tenant', async () => {
    expectStatus(await other.post('/Users', userBody('shared.name@example.com')), 201);
    expectStatus(await other.post('/Groups', { schemas: [GROUP_URN], displayName: 'Engineering' }), 201);
    const mine = expectStatus(await stack.scim.get(`/Users?filter=${encodeURIComponent('userName eq "shared.name@example.com"')}`), 200);
    expect(mine.body.Resources.map((r: { id: string }) => r.id)).toEqual([userId]);
  });
});

describe('authentication', () => {
  const cases: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['an unknown token', { Authorization: 'Bearer scim_not-a-real-token' }],
    ['a malformed header', { Authorization: 'Basic dXNlcjpwYXNz' }],
    ['an empty bearer', { Authorization: 'Bearer ' }],
  ];

  it.each(cases)('with %s, every endpoint answers 401 with a SCIM error and a Bearer challenge', async (_label, headers) => {
    for (const [method, path] of [
      ['get', '/scim/v2/Users'],
      ['get', `/scim/v2/Users/${userId}`],
      ['post', '/scim/v2/Users'],
      ['patch', `/scim/v2/Groups/${groupId}`],
      ['delete', `/scim/v2/Users/${userId}`],
      ['post', '/scim/v2/Bulk'],
    ] as const) {
      const res = await stack.http[method](path)
        .set(headers)
        .set('Content-Type', 'application/scim+json')
        .send(method === 'get' || method === 'delete' ? undefined : '{}');
      expectScimError(res, 401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expectStatus(await stack.scim.get(`/Users/${userId}`), 200);
  });

  it("a revoked token gets 401, while the tenant's other tokens keep working", async () => {
    const { models } = stack.runtime.deps;
    const spare = await issueScimToken(models, stack.tenantId, 'spare');
    const client = scimClient(stack.runtime.app, spare.token);
    expectStatus(await client.get(`/Users/${userId}`), 200);
    expect(await revokeScimToken(models, stack.tenantId, spare.tokenId)).toBe(true);
    expectScimError(await client.get(`/Users/${userId}`), 401);
    expectScimError(await client.post('/Users', userBody('after.revocation@example.com')), 401);
    expect(await models.User.countDocuments({ tenantId: stack.tenantId, 'lc.userName': 'after.revocation@example.com' })).toBe(0);
    expectStatus(await stack.scim.get(`/Users/${userId}`), 200);
  });

  it('a rejected request writes nothing', async () => {
    const before = await tenantState(stack);
    const res = await stack.http
      .post('/scim/v2/Users')
      .set('Content-Type', 'application/scim+json')
      .send(JSON.stringify(userBody('anonymous@example.com')));
    expectScimError(res, 401);
    expect(await tenantState(stack)).toEqual(before);
  });
});
