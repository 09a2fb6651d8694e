import { startTestStack, type TestStack } from '../../helpers/stack';
import { GROUP_URN, LIST_RESPONSE, SEARCH_REQUEST, USER_URN, createGroup, createUser, expectScimContentType, expectScimError, expectStatus } from './helpers';

/**
 * Listing and searching (RFC 7644 §3.4.2-§3.4.3, RFC 9865 cursors) over HTTP. The stack runs with
 * a maximum page size of 5 so that clamping and paging are visible on a dozen users.
 */

const MAX_PAGE = 5;
const q = encodeURIComponent;

let stack: TestStack;
/** userName -> id, for the twelve users below. */
const ids = new Map<string, string>();
// Mixed case on purpose: userName is caseExact false, so it sorts case-insensitively.
const FAMILY = ['Adams', 'Baker', 'Clark', 'Davis', 'Evans', 'Fisher', 'Garcia', 'Harris', 'Irwin', 'Jones', 'King', 'Lopez'];
const USER_NAMES = ['lena', 'Kai', 'jo', 'Ines', 'hugo', 'Gia', 'finn', 'Emma', 'dan', 'Cleo', 'bea', 'Abe'];

let groupIds: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ env: { SCIM_MAX_PAGE_SIZE: String(MAX_PAGE) } });
  for (const [i, userName] of USER_NAMES.entries()) {
    const user = await createUser(stack, userName, {
      name: { givenName: userName, familyName: FAMILY[i] },
      displayName: `Person ${userName}`,
      title: i % 3 === 0 ? 'Engineer' : 'Sales Rep',
      active: i % 4 !== 0,
      emails: [{ type: 'work', value: `${userName.toLowerCase()}@example.com`, primary: true }],
      password: `secret-${i}`,
    });
    ids.set(userName, user.id);
  }
  groupIds = [(await createGroup(stack, 'Person Group A')).id, (await createGroup(stack, 'Team B')).id, (await createGroup(stack, 'Team C')).id];
});
afterAll(() => stack.close());

const userNames = (body: { Resources: { userName: string }[] }) => body.Resources.map((r) => r.userName);
const sortedCaseInsensitively = [...USER_NAMES].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));

describe('sorting', () => {
  it('when sortBy=userName, then users come in case-insensitive ascending order', async () => {
    const res = expectStatus(await stack.scim.get('/Users?sortBy=userName&count=5'), 200);
    expect(userNames(res.body)).toEqual(sortedCaseInsensitively.slice(0, 5));
    const next = expectStatus(await stack.scim.get('/Users?sortBy=userName&startIndex=6&count=5'), 200);
    expect(userNames(next.body)).toEqual(sortedCaseInsensitively.slice(5, 10));
  });

  it('when sortOrder=descending, then the order is reversed', async () => {
    const res = expectStatus(await stack.scim.get('/Users?sortBy=userName&sortOrder=descending&count=5'), 200);
    expect(userNames(res.body)).toEqual([...sortedCaseInsensitively].reverse().slice(0, 5));
  });

  it('when sortBy names a sub-attribute (name.familyName), then users are ordered by it', async () => {
    const res = expectStatus(await stack.scim.get('/Users?sortBy=name.familyName&sortOrder=ascending'), 200);
    expect(res.body.Resources.map((r: { name: { familyName: string } }) => r.name.familyName)).toEqual(FAMILY.slice(0, 5));
  });

  it('when sortBy is unknown or sortOrder is not ascending/descending, then 400 invalidValue', async () => {
    expectScimError(await stack.scim.get('/Users?sortBy=nosuchattribute'), 400, 'invalidValue');
    expectScimError(await stack.scim.get('/Users?sortBy=userName&sortOrder=upwards'), 400, 'invalidValue');
  });

  it('groups sort by displayName', async () => {
    const res = expectStatus(await stack.scim.get('/Groups?sortBy=displayName&sortOrder=descending'), 200);
    expect(res.body.Resources.map((r: { displayName: string }) => r.displayName)).toEqual(['Team C', 'Team B', 'Person Group A']);
  });
});

describe('index pagination', () => {
  it('without startIndex and count, then the first page of the default size is served', async () => {
    const res = expectStatus(await stack.scim.get('/Users'), 200);
    expectScimContentType(res);
    expect(res.body).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 12, startIndex: 1, itemsPerPage: MAX_PAGE });
    expect(res.body.Resources).toHaveLength(MAX_PAGE);
    const config = expectStatus(await stack.scim.get('/ServiceProviderConfig'), 200);
    expect(config.body.pagination).toMatchObject({ defaultPageSize: MAX_PAGE, maxPageSize: MAX_PAGE });
    expect(config.body.filter.maxResults).toBe(MAX_PAGE);
  });

  it('when count=0, then only totalResults is answered (no resources)', async () => {
    const res = expectStatus(await stack.scim.get('/Users?count=0'), 200);
    expect(res.body.totalResults).toBe(12);
    expect(res.body.itemsPerPage).toBe(0);
    expect(res.body.Resources ?? []).toEqual([]);
    const filtered = expectStatus(await stack.scim.get(`/Users?count=0&filter=${q('title eq "Engineer"')}`), 200);
    expect(filtered.body.totalResults).toBe(4);
  });

  it('when count is above the maximum, then it is clamped to the maximum', async () => {
    const res = expectStatus(await stack.scim.get('/Users?count=1000'), 200);
    expect(res.body.itemsPerPage).toBe(MAX_PAGE);
    expect(res.body.Resources).toHaveLength(MAX_PAGE);
    expect(res.body.totalResults).toBe(12);
  });

  it('when startIndex is past the end, then Resources is empty and totalResults still counts all', async () => {
    const res = expectStatus(await stack.scim.get('/Users?startIndex=100&count=5'), 200);
    expect(res.body).toMatchObject({ totalResults: 12, startIndex: 100, itemsPerPage: 0 });
    expect(res.body.Resources ?? []).toEqual([]);
  });

  it('when startIndex is below 1 or count negative, then they are read as 1 and 0 (RFC 7644 §3.4.2.4)', async () => {
    const res = expectStatus(await stack.scim.get('/Users?startIndex=0&count=2'), 200);
    expect(res.body).toMatchObject({ startIndex: 1, itemsPerPage: 2 });
    const negative = expectStatus(await stack.scim.get('/Users?count=-3'), 200);
    expect(negative.body).toMatchObject({ totalResults: 12, itemsPerPage: 0 });
  });

  it('walking the pages without sortBy gives every user exactly once', async () => {
    const seen: string[] = [];
    for (let start = 1; start <= 12; start += MAX_PAGE) {
      const res = expectStatus(await stack.scim.get(`/Users?startIndex=${start}&count=${MAX_PAGE}`), 200);
      seen.push(...res.body.Resources.map((r: { id: string }) => r.id));
    }
    expect(seen.sort()).toEqual([...ids.values()].sort());
  });
});

describe('attributes and excludedAttributes', () => {
  it('when attributes=userName, then only userName comes back, with id and schemas always', async () => {
    const res = expectStatus(await stack.scim.get('/Users?attributes=userName&count=3'), 200);
    for (const r of res.body.Resources) {
      expect(Object.keys(r).sort()).toEqual(expect.arrayContaining(['id', 'schemas', 'userName']));
      expect(r).not.toHaveProperty('name');
      expect(r).not.toHaveProperty('emails');
      expect(r).not.toHaveProperty('title');
      expect(r.schemas).toContain(USER_URN);
    }
  });

  it('when attributes names a sub-attribute, then only that part of the complex attribute is returned', async () => {
    const id = ids.get('Abe')!;
    const res = expectStatus(await stack.scim.get(`/Users/${id}?attributes=name.familyName,emails.value`), 200);
    expect(res.body.name).toEqual({ familyName: 'Lopez' });
    expect(res.body.emails).toEqual([{ value: 'abe@example.com' }]);
    expect(res.body.id).toBe(id);
    expect(res.body.userName).toBeUndefined();
  });

  it('when excludedAttributes lists attributes, then those are left out and the rest stays', async () => {
    const res = expectStatus(await stack.scim.get(`/Users/${ids.get('Abe')}?excludedAttributes=emails,name`), 200);
    expect(res.body).not.toHaveProperty('emails');
    expect(res.body).not.toHaveProperty('name');
    expect(res.body).toMatchObject({ userName: 'Abe', title: 'Sales Rep', displayName: 'Person Abe' });
  });

  it('when excludedAttributes names id or schemas, then they are returned anyway', async () => {
    const res = expectStatus(await stack.scim.get(`/Users/${ids.get('Abe')}?excludedAttributes=id,schemas,userName`), 200);
    expect(res.body.id).toBe(ids.get('Abe'));
    expect(res.body.schemas).toContain(USER_URN);
    expect(res.body.userName).toBeUndefined();
  });

  it('the password is never returned, not even when asked for by name', async () => {
    const id = ids.get('Abe')!;
    for (const path of [`/Users/${id}`, `/Users/${id}?attributes=password`, `/Users/${id}?attributes=userName,password`, `/Users?attributes=password`, `/Users?filter=${q('userName eq "Abe"')}`]) {
      const res = expectStatus(await stack.scim.get(path), 200);
      expect(JSON.stringify(res.body)).not.toMatch(/password|secret-/i);
    }
    const created = expectStatus(await stack.scim.post('/Users?attributes=password', { schemas: [USER_URN], userName: 'pw.user', password: 'topsecret' }), 201);
    expect(JSON.stringify(created.body)).not.toMatch(/password|topsecret/);
    expectStatus(await stack.scim.delete(`/Users/${created.body.id}`), 204);
  });

  it('attributes apply to POST, PUT and PATCH responses too', async () => {
    const created = expectStatus(await stack.scim.post('/Users?attributes=userName', { schemas: [USER_URN], userName: 'projected', title: 'X' }), 201);
    expect(created.body).toMatchObject({ userName: 'projected' });
    expect(created.body.title).toBeUndefined();
    const patched = expectStatus(
      await stack.scim.patch(`/Users/${created.body.id}?excludedAttributes=title`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'title', value: 'Y' }],
      }),
      200,
    );
    expect(patched.body.title).toBeUndefined();
    expect(patched.body.userName).toBe('projected');
    expectStatus(await stack.scim.delete(`/Users/${created.body.id}`), 204);
  });
});

describe('filters end to end', () => {
  it.each([
    ['title eq "Engineer"', 4],
    ['title ne "Engineer"', 8],
    ['active eq false', 3],
    ['userName sw "c"', 1],
    ['name.familyName co "ar"', 3],
    ['emails.value ew "@example.com"', 12],
    ['emails[type eq "work" and value sw "a"]', 1],
    ['title pr and active eq true', 9],
    ['not (title eq "Engineer")', 8],
    ['(title eq "Engineer" or userName eq "bea") and active eq true', 4],
    ['USERNAME EQ "ABE"', 1],
  ])('%s matches %i users', async (filter, expected) => {
    const res = expectStatus(await stack.scim.get(`/Users?count=0&filter=${q(filter)}`), 200);
    expect(res.body.totalResults).toBe(expected);
  });

  it('meta.lastModified gt finds only users changed after the instant', async () => {
    const before = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    expectStatus(
      await stack.scim.patch(`/Users/${ids.get('jo')}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'nickName', value: 'Jojo' }] }),
      200,
    );
    const res = expectStatus(await stack.scim.get(`/Users?filter=${q(`meta.lastModified gt "${before}"`)}`), 200);
    expect(userNames(res.body)).toEqual(['jo']);
  });
});

describe('RFC 9865 cursor pagination', () => {
  async function walk(first: string, next: (cursor: string) => string): Promise<string[]> {
    const seen: string[] = [];
    let res = expectStatus(await stack.scim.get(first), 200);
    for (let pages = 0; pages < 20; pages++) {
      expect(res.body.Resources.length).toBeLessThanOrEqual(MAX_PAGE);
      seen.push(...res.body.Resources.map((r: { id: string }) => r.id));
      if (res.body.nextCursor === undefined) return seen;
      expect(typeof res.body.nextCursor).toBe('string');
      res = expectStatus(await stack.scim.get(next(res.body.nextCursor)), 200);
    }
    throw new Error('the cursor never ended');
  }

  it('when a client walks every page with cursor and nextCursor, then it sees each user exactly once and the last page has no nextCursor', async () => {
    const first = expectStatus(await stack.scim.get('/Users?cursor&count=5'), 200);
    expect(first.body).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 12, itemsPerPage: 5 });
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const seen = await walk('/Users?cursor&count=5', (c) => `/Users?cursor=${q(c)}&count=5`);
    expect(seen).toHaveLength(12);
    expect([...seen].sort()).toEqual([...ids.values()].sort());
  });

  it('when a filter is combined with cursors, then only matching users are walked', async () => {
    const filter = q('active eq true');
    const seen = await walk(`/Users?filter=${filter}&cursor=&count=2`, (c) => `/Users?filter=${filter}&cursor=${q(c)}&count=2`);
    expect(seen).toHaveLength(9);
    expect(new Set(seen).size).toBe(9);
  });

  it('when groups are walked with cursors, then every group comes once', async () => {
    const seen = await walk('/Groups?cursor&count=2', (c) => `/Groups?cursor=${q(c)}&count=2`);
    expect([...seen].sort()).toEqual([...groupIds].sort());
  });

  it('when the cursor is not one this server issued, then 400 invalidCursor', async () => {
    expectScimError(await stack.scim.get('/Users?cursor=not-a-cursor&count=5'), 400, 'invalidCursor');
    expectScimError(await stack.scim.get(`/Users?cursor=${q(Buffer.from('{"x":1}').toString('base64url'))}`), 400, 'invalidCursor');
  });

  it('when a cursor is replayed against another filter, then 400 invalidCursor', async () => {
    const first = expectStatus(await stack.scim.get('/Users?cursor&count=2'), 200);
    expectScimError(await stack.scim.get(`/Users?filter=${q('active eq true')}&cursor=${q(first.body.nextCursor)}&count=2`), 400, 'invalidCursor');
  });

  it('cursors work through POST /Users/.search as well', async () => {
    const first = expectStatus(await stack.scim.post('/Users/.search', { schemas: [SEARCH_REQUEST], cursor: '', count: 5 }), 200);
    expect(first.body.Resources).toHaveLength(5);
    const second = expectStatus(await stack.scim.post('/Users/.search', { schemas: [SEARCH_REQUEST], cursor: first.body.nextCursor, count: 5 }), 200);
    const overlap = second.body.Resources.filter((r: { id: string }) => first.body.Resources.some((f: { id: string }) => f.id === r.id));
    expect(overlap).toEqual([]);
  });
});

describe('POST .search', () => {
  it('POST /Users/.search takes filter, sortBy, startIndex, count and attributes from the body', async () => {
    const res = expectStatus(
      await stack.scim.post('/Users/.search', {
        schemas: [SEARCH_REQUEST],
        filter: 'title eq "Sales Rep"',
        sortBy: 'userName',
        sortOrder: 'descending',
        startIndex: 2,
        count: 3,
        attributes: ['userName'],
      }),
      200,
    );
    expectScimContentType(res);
    const salesDescending = USER_NAMES.filter((_, i) => i % 3 !== 0).sort((a, b) => b.toLowerCase().localeCompare(a.toLowerCase()));
    expect(res.body).toMatchObject({ totalResults: 8, startIndex: 2, itemsPerPage: 3 });
    expect(userNames(res.body)).toEqual(salesDescending.slice(1, 4));
    expect(res.body.Resources[0].title).toBeUndefined();
  });

  it('POST /Groups/.search searches groups', async () => {
    const res = expectStatus(await stack.scim.post('/Groups/.search', { schemas: [SEARCH_REQUEST], filter: 'displayName sw "Team"', excludedAttributes: ['members'] }), 200);
    expect(res.body.totalResults).toBe(2);
    expect(res.body.Resources.every((r: Record<string, unknown>) => !('members' in r))).toBe(true);
  });

  it('POST /.search spans users and groups', async () => {
    const resources: { meta: { resourceType: string }; schemas: string[]; displayName: string }[] = [];
    for (let start = 1; start <= 13; start += MAX_PAGE) {
      const res = expectStatus(await stack.scim.post('/.search', { schemas: [SEARCH_REQUEST], filter: 'displayName sw "Person"', startIndex: start }), 200);
      expect(res.body.totalResults).toBe(13);
      resources.push(...res.body.Resources);
    }
    const types = resources.map((r) => r.meta.resourceType);
    expect(types.filter((t) => t === 'User')).toHaveLength(12);
    expect(types.filter((t) => t === 'Group')).toHaveLength(1);
    expect(resources.find((r) => r.schemas.includes(GROUP_URN))?.displayName).toBe('Person Group A');
  });

  it('POST /.search pages across the two types', async () => {
    const res = expectStatus(await stack.scim.post('/.search', { schemas: [SEARCH_REQUEST], filter: 'displayName sw "Person"', startIndex: 11, count: 5 }), 200);
    expect(res.body).toMatchObject({ totalResults: 13, startIndex: 11, itemsPerPage: 3 });
    expect(res.body.Resources.map((r: { meta: { resourceType: string } }) => r.meta.resourceType)).toEqual(['User', 'User', 'Group']);
  });

  it('POST /.search with an attribute only users have matches users and no groups, instead of failing', async () => {
    const res = expectStatus(await stack.scim.post('/.search', { schemas: [SEARCH_REQUEST], filter: 'userName eq "Abe"' }), 200);
    expect(res.body.totalResults).toBe(1);
    expect(res.body.Resources[0].id).toBe(ids.get('Abe'));
    expectScimError(await stack.scim.post('/.search', { schemas: [SEARCH_REQUEST], filter: 'nosuchattribute eq "x"' }), 400, 'invalidFilter');
  });

  it('a search body without the SearchRequest schema is 400 invalidSyntax', async () => {
    expectScimError(await stack.scim.post('/Users/.search', { filter: 'userName eq "Abe"' }), 400, 'invalidSyntax');
    expectScimError(await stack.scim.post('/.search', { schemas: [USER_URN] }), 400, 'invalidSyntax');
  });
});
