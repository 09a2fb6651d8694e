import type { Response } from 'supertest';
import { startTestStack, type TestStack } from '../../helpers/stack';
import { SEARCH_REQUEST, USER_URN, createGroup, createUser, expectScimError, expectStatus, tenantState } from './helpers';

/**
 * RFC 7644 §4 / RFC 9110 §15.5.6: a method an endpoint does not support answers 405 with the SCIM
 * Error message and an Allow header naming what it does support, whatever the body — the method
 * is refused before the body is read — and writes nothing.
 */

let stack: TestStack;
let userId: string;
let groupId: string;
beforeAll(async () => {
  stack = await startTestStack();
  userId = (await createUser(stack, 'methods.user@example.com')).id;
  groupId = (await createGroup(stack, 'Methods Group')).id;
});
afterAll(() => stack.close());

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

function call(method: Method, path: string, body?: string, contentType = 'application/scim+json') {
  const req = stack.http[method](`/scim/v2${path}`).set('Authorization', `Bearer ${stack.token}`);
  return body === undefined ? req : req.set('Content-Type', contentType).send(body);
}

async function expectNotAllowed(res: Response, allow: string): Promise<void> {
  expectScimError(res, 405);
  expect(res.headers.allow).toBe(allow);
}

const DISCOVERY = ['/ServiceProviderConfig', '/ResourceTypes', '/ResourceTypes/User', '/Schemas', `/Schemas/${USER_URN}`];
const WRITES: Method[] = ['post', 'put', 'patch', 'delete'];

describe('discovery endpoints are read-only', () => {
  it.each(DISCOVERY.flatMap((path) => WRITES.map((m) => [m.toUpperCase(), path, m] as const)))('%s %s answers 405 with Allow: GET, HEAD and writes nothing', async (_label, path, method) => {
    const before = await tenantState(stack);
    await expectNotAllowed(await call(method, path, method === 'delete' ? undefined : '{"schemas": []}'), 'GET, HEAD');
    expect(await tenantState(stack)).toEqual(before);
  });

  it('a body that is not JSON still gets 405, not 400: the method is refused before the body is parsed', async () => {
    await expectNotAllowed(await call('post', '/Schemas', 'this is not json'), 'GET, HEAD');
    await expectNotAllowed(await call('put', '/ServiceProviderConfig', '{"truncated": '), 'GET, HEAD');
    await expectNotAllowed(await call('patch', '/ResourceTypes/Group', '<xml/>', 'application/xml'), 'GET, HEAD');
  });

  it('needs no token, like the GET it stands beside', async () => {
    await expectNotAllowed(await stack.http.delete('/scim/v2/ServiceProviderConfig'), 'GET, HEAD');
  });

  it('HEAD is served where GET is', async () => {
    expectStatus(await stack.http.head('/scim/v2/ServiceProviderConfig'), 200);
  });
});

describe('resource endpoints', () => {
  it.each([
    ['GET', '/Users/.search', 'POST'],
    ['PUT', '/Users/.search', 'POST'],
    ['GET', '/Groups/.search', 'POST'],
    ['DELETE', '/Groups/.search', 'POST'],
    ['GET', '/.search', 'POST'],
    ['GET', '/Bulk', 'POST'],
    ['PATCH', '/Bulk', 'POST'],
    ['PUT', '/Users', 'GET, HEAD, POST'],
    ['DELETE', '/Groups', 'GET, HEAD, POST'],
    ['POST', '/Users/{user}', 'GET, HEAD, PUT, PATCH, DELETE'],
    ['POST', '/Groups/{group}', 'GET, HEAD, PUT, PATCH, DELETE'],
  ] as const)('%s %s answers 405 with Allow: %s and writes nothing', async (method, path, allow) => {
    const url = path.replace('{user}', userId).replace('{group}', groupId);
    const before = await tenantState(stack);
    await expectNotAllowed(await call(method.toLowerCase() as Method, url, method === 'GET' || method === 'DELETE' ? undefined : 'not json'), allow);
    expect(await tenantState(stack)).toEqual(before);
  });

  it('the supported methods beside them still work: POST /Users/.search, GET /Users/{id}', async () => {
    const search = expectStatus(await stack.scim.post('/Users/.search', { schemas: [SEARCH_REQUEST], filter: 'userName eq "methods.user@example.com"' }), 200);
    expect(search.body.Resources.map((r: { id: string }) => r.id)).toEqual([userId]);
    expect(expectStatus(await stack.scim.get(`/Users/${userId}`), 200).body.id).toBe(userId);
  });

  it('path matching is as lenient as routing: case and a trailing slash do not escape the 405', async () => {
    await expectNotAllowed(await call('get', '/users/.SEARCH'), 'POST');
    await expectNotAllowed(await call('post', '/schemas/'), 'GET, HEAD');
  });

  it('a path that names no endpoint is still 404, whatever the method', async () => {
    expectScimError(await call('delete', '/Widgets'), 404);
    expectScimError(await call('post', `/Users/${userId}/extra`, '{}'), 404);
  });
});
