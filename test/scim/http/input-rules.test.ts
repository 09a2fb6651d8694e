import { startTestStack, type TestStack } from '../../helpers/stack';
import { BULK_REQUEST, SEARCH_REQUEST, createUser, expectScimError, expectStatus, tenantState, userBody } from './helpers';

/** Small rules of input that once let a client's mistake through as a success. */

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
  await createUser(stack, 'someone@example.com');
});
afterAll(() => stack.close());

describe('empty filter', () => {
  it.each(['/Users?filter=', '/Users?filter=%20%20', '/Groups?filter='])('GET %s answers 400 invalidFilter, not every resource', async (path) => {
    expectScimError(await stack.scim.get(path), 400, 'invalidFilter');
  });

  it('a search request with filter "" answers 400 invalidFilter', async () => {
    expectScimError(await stack.scim.post('/Users/.search', { schemas: [SEARCH_REQUEST], filter: '' }), 400, 'invalidFilter');
  });
});

describe('bulkId', () => {
  it('when two operations share a bulkId, then 400 invalidValue and no operation runs', async () => {
    const before = await tenantState(stack);
    const res = await stack.scim.post('/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'same', data: userBody('first.dup@example.com') },
        { method: 'POST', path: '/Users', bulkId: 'same', data: userBody('second.dup@example.com') },
      ],
    });
    expectScimError(res, 400, 'invalidValue');
    expect(res.body.detail).toContain('"same"');
    expect(await tenantState(stack)).toEqual(before);
  });
});

describe('userName is compared after trimming surrounding whitespace', () => {
  it('a userName with a trailing space is the same user: 409 uniqueness, and the first is stored as sent', async () => {
    const created = await createUser(stack, 'trailing@example.com ');
    expect(created.userName).toBe('trailing@example.com ');
    expectScimError(await stack.scim.post('/Users', userBody('trailing@example.com')), 409, 'uniqueness');
    expectScimError(await stack.scim.post('/Users', userBody('  Trailing@Example.com')), 409, 'uniqueness');
  });

  it('an IdP lookup by userName finds the user whatever surrounding whitespace either side has', async () => {
    const created = await createUser(stack, ' padded@example.com');
    for (const filter of ['userName eq "padded@example.com"', 'userName eq "PADDED@example.com  "']) {
      const res = expectStatus(await stack.scim.get(`/Users?filter=${encodeURIComponent(filter)}`), 200);
      expect(res.body.Resources.map((r: { id: string }) => r.id)).toEqual([created.id]);
    }
  });

  it('renaming onto a name that differs only by whitespace from another user answers 409', async () => {
    const other = await createUser(stack, 'rename.target@example.com');
    expectScimError(await stack.scim.put(`/Users/${other.id}`, userBody('someone@example.com\t')), 409, 'uniqueness');
  });
});
