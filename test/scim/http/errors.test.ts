import type { Response } from 'supertest';
import { startTestStack, type TestStack } from '../../helpers/stack';
import { createLogger } from '../../../src/observability/logger';
import { ERROR_SCHEMA, GROUP_URN, PATCH_OP, USER_URN, createGroup, createUser, expectScimContentType, expectScimError, expectStatus, groupBody, patchBody, tenantState, userBody } from './helpers';

/**
 * RFC 7644 §3.12 error handling over HTTP: the right status and scimType, always as the SCIM
 * Error message with `status` as a string — and a refused request writes nothing at all.
 */

let stack: TestStack;
let userId: string;
let groupId: string;
const CUSTOM_URN = 'urn:scim-sync:params:scim:schemas:extension:custom:2.0:User';

beforeAll(async () => {
  stack = await startTestStack();
  userId = (await createUser(stack, 'Existing.User@example.com', { name: { givenName: 'Existing', familyName: 'User' } })).id;
  groupId = (await createGroup(stack, 'Existing Group')).id;
});
afterAll(() => stack.close());

/** Runs the request, asserts the SCIM error, and that the tenant's data is exactly as before. */
async function refused(request: () => Promise<Response>, status: number, scimType?: string): Promise<Response> {
  const before = await tenantState(stack);
  const res = await request();
  expectScimError(res, status, scimType);
  expect(await tenantState(stack)).toEqual(before);
  return res;
}

function raw(method: 'post' | 'put' | 'patch', path: string, body: string, contentType = 'application/scim+json') {
  return stack.http[method](`/scim/v2${path}`).set('Authorization', `Bearer ${stack.token}`).set('Content-Type', contentType).send(body);
}

describe('malformed requests', () => {
  it.each([
    ['post', '/Users'],
    ['put', '/Users/{user}'],
    ['patch', '/Users/{user}'],
    ['patch', '/Groups/{group}'],
    ['post', '/Bulk'],
    ['post', '/Users/.search'],
  ] as const)('when the body of %s %s is not valid JSON, then 400 invalidSyntax', async (method, path) => {
    const url = path.replace('{user}', userId).replace('{group}', groupId);
    await refused(() => raw(method, url, '{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": '), 400, 'invalidSyntax');
  });

  it('when the body is plain application/json, it is accepted like application/scim+json (RFC 7644 §3.1)', async () => {
    const res = expectStatus(await raw('post', '/Users', JSON.stringify(userBody('plain.json@example.com')), 'application/json'), 201);
    expectScimContentType(res);
    expectStatus(await stack.scim.delete(`/Users/${res.body.id}`), 204);
  });

  it('when the body is not a JSON object (an array, a string, nothing), then 400 invalidSyntax', async () => {
    await refused(() => raw('post', '/Users', '[]'), 400, 'invalidSyntax');
    await refused(() => raw('post', '/Users', '"text"'), 400, 'invalidSyntax');
    await refused(() => stack.http.post('/scim/v2/Users').set('Authorization', `Bearer ${stack.token}`), 400, 'invalidSyntax');
  });

  it('when the body is larger than the limit, then 413 as a SCIM error', async () => {
    const huge = JSON.stringify(userBody('huge@example.com', { displayName: 'x'.repeat(stack.config.scim.maxBodyBytes + 1) }));
    const before = await tenantState(stack);
    const res = await raw('post', '/Users', huge);
    expect(res.status).toBe(413);
    expectScimContentType(res);
    expect(res.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '413' });
    expect([undefined, 'tooMany']).toContain(res.body.scimType);
    expect(await tenantState(stack)).toEqual(before);
  });
});

describe('resource validation', () => {
  it.each([
    ['active is not a boolean', { active: 'yes' }],
    ['name is not an object', { name: 'Barbara Jensen' }],
    ['emails holds strings, not objects', { emails: ['bjensen@example.com'] }],
    ['userName is an object', { userName: { value: 'bjensen' } }],
    ['userName is a boolean', { userName: true }],
    ['an extension integer is text', { schemas: [USER_URN, CUSTOM_URN], [CUSTOM_URN]: { level: 'senior' } }],
    ['an extension dateTime is not a date', { schemas: [USER_URN, CUSTOM_URN], [CUSTOM_URN]: { hireDate: 'yesterday' } }],
    [
      'two emails are primary',
      {
        emails: [
          { value: 'a@example.com', primary: true },
          { value: 'b@example.com', primary: true },
        ],
      },
    ],
  ])('when %s, then 400 invalidValue and nothing is created', async (_label, extra) => {
    await refused(() => stack.scim.post('/Users', userBody('typed@example.com', extra)), 400, 'invalidValue');
  });

  it('when a wrongly typed value comes in a PUT or PATCH, then 400 invalidValue and the user is unchanged', async () => {
    await refused(() => stack.scim.put(`/Users/${userId}`, userBody('Existing.User@example.com', { active: 42 })), 400, 'invalidValue');
    await refused(() => stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'replace', path: 'active', value: 'perhaps' })), 400, 'invalidValue');
    await refused(() => stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'replace', path: 'name', value: 7 })), 400, 'invalidValue');
  });

  it('when userName is missing or blank, then 400 invalidValue', async () => {
    await refused(() => stack.scim.post('/Users', { schemas: [USER_URN], displayName: 'No Name' }), 400, 'invalidValue');
    await refused(() => stack.scim.post('/Users', userBody('   ')), 400, 'invalidValue');
    await refused(() => stack.scim.post('/Groups', { schemas: [GROUP_URN] }), 400, 'invalidValue');
  });

  it('when the body carries attributes this server does not know, then they are ignored (not stored, not returned)', async () => {
    const res = expectStatus(
      await stack.scim.post('/Users', userBody('unknown.attrs@example.com', { favouriteColour: 'blue', name: { givenName: 'Una', nick: 'U' }, emails: [{ value: 'u@example.com', label: 'x' }] })),
      201,
    );
    expect(res.body.favouriteColour).toBeUndefined();
    expect(res.body.name).toEqual({ givenName: 'Una' });
    expect(res.body.emails).toEqual([{ value: 'u@example.com' }]);
    const stored = await stack.runtime.deps.models.User.findById(res.body.id).lean();
    expect(JSON.stringify(stored)).not.toMatch(/favouriteColour|nick|label/);
  });

  it('when schemas names an unknown schema URN, or lacks the core schema, then 400 invalidSyntax', async () => {
    await refused(() => stack.scim.post('/Users', userBody('urn@example.com', { schemas: [USER_URN, 'urn:example:params:scim:schemas:extension:unknown:2.0:User'] })), 400, 'invalidSyntax');
    await refused(() => stack.scim.post('/Users', { schemas: [GROUP_URN], userName: 'wrong.schema@example.com' }), 400, 'invalidSyntax');
    await refused(() => stack.scim.post('/Users', { userName: 'no.schemas@example.com' }), 400, 'invalidSyntax');
    await refused(() => stack.scim.put(`/Users/${userId}`, { schemas: ['urn:example:unknown'], userName: 'Existing.User@example.com' }), 400, 'invalidSyntax');
  });

  it('when a group member is not a user of this tenant, then 400 invalidValue and no group is created', async () => {
    await refused(() => stack.scim.post('/Groups', groupBody('With Ghost', { members: [{ value: 'usr_ghost' }] })), 400, 'invalidValue');
  });
});

describe('uniqueness', () => {
  it('when userName is taken, compared case-insensitively, then 409 uniqueness', async () => {
    await refused(() => stack.scim.post('/Users', userBody('existing.user@EXAMPLE.com')), 409, 'uniqueness');
  });

  it('when a PUT or PATCH would rename a user onto a taken userName, then 409 and the user keeps its name', async () => {
    const other = await createUser(stack, 'second.user@example.com');
    await refused(() => stack.scim.put(`/Users/${other.id}`, userBody('EXISTING.USER@example.com')), 409, 'uniqueness');
    await refused(() => stack.scim.patch(`/Users/${other.id}`, patchBody({ op: 'replace', path: 'userName', value: 'Existing.user@example.com' })), 409, 'uniqueness');
  });

  it('when a group displayName is taken (case-insensitively), then 409 uniqueness on create and on rename', async () => {
    await refused(() => stack.scim.post('/Groups', groupBody('existing group')), 409, 'uniqueness');
    const other = await createGroup(stack, 'Another Group');
    await refused(() => stack.scim.patch(`/Groups/${other.id}`, patchBody({ op: 'replace', path: 'displayName', value: 'EXISTING GROUP' })), 409, 'uniqueness');
    await refused(() => stack.scim.put(`/Groups/${other.id}`, groupBody('Existing Group')), 409, 'uniqueness');
  });

  it("a SCIM group may share a name with one of the tenant's internal default groups", async () => {
    expectStatus(await stack.scim.post('/Groups', groupBody('Admins')), 201);
  });
});

describe('read-only and immutable attributes', () => {
  it('when a POST carries id and meta, then they are ignored: the server assigns both', async () => {
    const res = expectStatus(
      await stack.scim.post('/Users', userBody('own.id@example.com', { id: 'my-own-id', meta: { created: '2001-01-01T00:00:00Z', version: 'W/"99"', location: 'https://evil.example/Users/x' } })),
      201,
    );
    expect(res.body.id).not.toBe('my-own-id');
    expect(res.body.id).toMatch(/^usr_/);
    expect(Date.parse(res.body.meta.created)).toBeGreaterThan(Date.now() - 60_000);
    expect(res.body.meta.version).toBe('W/"1"');
    expect(res.body.meta.location).toMatch(new RegExp(`/scim/v2/Users/${res.body.id}$`));
    expectScimError(await stack.scim.get('/Users/my-own-id'), 404);
  });

  it('when a PUT carries another id and meta, then they are ignored and the resource keeps its id', async () => {
    const res = expectStatus(await stack.scim.put(`/Users/${userId}`, userBody('Existing.User@example.com', { id: 'usr_other', meta: { created: '2001-01-01T00:00:00Z' } })), 200);
    expect(res.body.id).toBe(userId);
    expect(res.body.meta.created).not.toBe('2001-01-01T00:00:00Z');
    expect(await stack.runtime.deps.models.User.countDocuments({ _id: 'usr_other' })).toBe(0);
  });

  it('when a PATCH targets a readOnly attribute (id, meta, groups), then 400 mutability', async () => {
    await refused(() => stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'replace', path: 'id', value: 'usr_new' })), 400, 'mutability');
    await refused(() => stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'replace', path: 'meta.created', value: '2001-01-01T00:00:00Z' })), 400, 'mutability');
    await refused(() => stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'add', path: 'groups', value: [{ value: groupId }] })), 400, 'mutability');
    await refused(() => stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'replace', value: { id: 'usr_new' } })), 400, 'mutability');
  });

  it('when a PATCH removes a required attribute, then 400 mutability', async () => {
    await refused(() => stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'remove', path: 'userName' })), 400, 'mutability');
    await refused(() => stack.scim.patch(`/Groups/${groupId}`, patchBody({ op: 'remove', path: 'displayName' })), 400, 'mutability');
  });
});

describe('filters', () => {
  it.each([
    'userName eq',
    'userName zz "x"',
    '(userName eq "a"',
    'userName eq "unterminated',
    'emails[type eq "work"',
    'userName eq "a" and',
    'nosuchattribute eq "x"',
    'name.nosuch eq "x"',
    '"just a string"',
    'userName eq "a" or or userName eq "b"',
    'emails[type eq "work"].value.deeper eq "x"',
    'meta.created gt "not a date"',
  ])('when the filter is %j, then 400 invalidFilter (never 500)', async (filter) => {
    const res = await stack.scim.get(`/Users?filter=${encodeURIComponent(filter)}`);
    expectScimError(res, 400, 'invalidFilter');
  });

  it('when a group filter or a search body is invalid, then 400 invalidFilter too', async () => {
    expectScimError(await stack.scim.get(`/Groups?filter=${encodeURIComponent('displayName eq')}`), 400, 'invalidFilter');
    expectScimError(await stack.scim.get(`/Groups?filter=${encodeURIComponent('userName eq "x"')}`), 400, 'invalidFilter');
    expectScimError(await stack.scim.post('/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName eq' }), 400, 'invalidFilter');
  });
});

describe('PATCH requests', () => {
  it.each([
    ['an unknown attribute', { op: 'replace', path: 'nosuchattribute', value: 'x' }],
    ['an unknown sub-attribute', { op: 'replace', path: 'name.nosuch', value: 'x' }],
    ['an unterminated value filter', { op: 'replace', path: 'emails[type eq "work"', value: 'x' }],
    ['an unknown extension attribute', { op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nosuch', value: 'x' }],
    ['a path that is not a string', { op: 'replace', path: 42, value: 'x' }],
  ])('when the path is %s, then 400 invalidPath and nothing changes', async (_label, operation) => {
    await refused(() => stack.scim.patch(`/Users/${userId}`, patchBody(operation)), 400, 'invalidPath');
  });

  it('when a path-less value names an unknown attribute among known ones, then 400 invalidPath and none of it is applied', async () => {
    // Unlike a POST/PUT body, a PatchOp key is a path (RFC 7644 §3.5.2): an unknown one is
    // invalidPath, and the whole request fails.
    await refused(() => stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'replace', value: { displayName: 'Changed', nosuchattribute: 'x' } })), 400, 'invalidPath');
  });

  it('when the op is unknown, the schemas are wrong or Operations is empty, then 400 invalidSyntax', async () => {
    await refused(() => stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'merge', path: 'displayName', value: 'x' })), 400, 'invalidSyntax');
    await refused(() => stack.scim.patch(`/Users/${userId}`, { schemas: [USER_URN], Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] }), 400, 'invalidSyntax');
    await refused(() => stack.scim.patch(`/Users/${userId}`, { schemas: [PATCH_OP], Operations: [] }), 400, 'invalidSyntax');
  });

  it('when remove has no path, then 400 noTarget; when replace through a filter matches nothing, then 400 noTarget', async () => {
    await refused(() => stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'remove' })), 400, 'noTarget');
    await refused(() => stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'replace', path: 'emails[type eq "home"].value', value: 'h@example.com' })), 400, 'noTarget');
  });

  it('when a later operation fails, then the earlier ones of the same request are not applied either', async () => {
    await refused(
      () => stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'replace', path: 'displayName', value: 'Half Done' }, { op: 'replace', path: 'nosuchattribute', value: 'x' })),
      400,
      'invalidPath',
    );
    await refused(
      () => stack.scim.patch(`/Groups/${groupId}`, patchBody({ op: 'replace', path: 'displayName', value: 'Half Done' }, { op: 'add', path: 'members', value: [{ value: 'usr_ghost' }] })),
      400,
      'invalidValue',
    );
  });

  it('when a member filter is used to write, then 400 invalidPath', async () => {
    await refused(() => stack.scim.patch(`/Groups/${groupId}`, patchBody({ op: 'replace', path: `members[value eq "${userId}"].display`, value: 'x' })), 400, 'invalidPath');
  });
});

describe('unknown resources and endpoints', () => {
  it('when the id does not exist, then GET, PUT, PATCH and DELETE answer 404', async () => {
    await refused(() => stack.scim.get('/Users/usr_missing'), 404);
    await refused(() => stack.scim.put('/Users/usr_missing', userBody('missing@example.com')), 404);
    await refused(() => stack.scim.patch('/Groups/grp_missing', patchBody({ op: 'replace', path: 'displayName', value: 'x' })), 404);
    await refused(() => stack.scim.delete('/Groups/grp_missing'), 404);
  });

  it('an internal (non-SCIM) group of the tenant is not reachable over SCIM', async () => {
    const internal = await stack.runtime.deps.models.Group.findOne({ tenantId: stack.tenantId, origin: 'internal' }).lean();
    expect(internal).not.toBeNull();
    await refused(() => stack.scim.get(`/Groups/${internal!._id}`), 404);
    await refused(() => stack.scim.delete(`/Groups/${internal!._id}`), 404);
  });

  it('when the endpoint does not exist, then 404; /Me answers 501', async () => {
    expectScimError(await stack.scim.get('/Widgets'), 404);
    expectScimError(await stack.scim.get('/Me'), 501);
  });

  it('/Me answers 501 without an error log (a documented answer, not a failure)', async () => {
    const lines: string[] = [];
    const logged = await startTestStack({ logger: createLogger('debug', {}, (line) => lines.push(line)) });
    try {
      expectScimError(await logged.scim.get('/Me'), 501);
      expect(lines.map((l) => JSON.parse(l) as { level: string }).filter((l) => l.level === 'error')).toEqual([]);
    } finally {
      await logged.close();
    }
  });

  it('when a query parameter is malformed, then 400 invalidValue', async () => {
    expectScimError(await stack.scim.get('/Users?count=ten'), 400, 'invalidValue');
    expectScimError(await stack.scim.get('/Users?startIndex=1.5'), 400, 'invalidValue');
    expectScimError(await stack.scim.get('/Users?filter=a&filter=b'), 400, 'invalidValue');
  });
});
