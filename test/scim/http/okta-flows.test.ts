import { startTestStack, type TestStack } from '../../helpers/stack';
import { GROUP_URN, LIST_RESPONSE, createUser, expectScimContentType, expectScimError, expectStatus, fixture, fixtureWithIds, membershipsOf } from './helpers';

/**
 * The request sequences of Okta's SCIM 2.0 reference (okta-developer-docs
 * reference/scim/scim-20/index.md), replayed against the real app. Bodies come from
 * test/fixtures/okta; the ids of the documentation are swapped for ours, as Okta sends back the
 * ids this server gave it.
 */

const OKTA_USER_ID = '23a35c27-23d3-4c03-b4c5-6443c09e7173';
const OKTA_OTHER_USER_ID = '89bb1940-b905-4575-9e7f-6f887cfb368e';
const OKTA_GROUP_ID = 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b';
// Okta's lookup, exactly as documented: the filter URL-encoded, startIndex=1, count=100.
const OKTA_LOOKUP = '/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

describe('Okta user provisioning', () => {
  let userId: string;

  it('when Okta looks a user up before creating it, then the answer is an empty ListResponse with integer paging fields', async () => {
    const res = expectStatus(await stack.scim.get(OKTA_LOOKUP), 200);
    expectScimContentType(res);
    expect(res.body).toEqual({ schemas: [LIST_RESPONSE], totalResults: 0, itemsPerPage: 0, startIndex: 1, Resources: [] });
  });

  it('when Okta creates the user with its documented body, then 201 returns the user with an id, without the password, and a Location; the password is not kept', async () => {
    const res = expectStatus(await stack.scim.post('/Users', fixture('okta/post-user.json')), 201);
    expectScimContentType(res);
    userId = res.body.id;
    expect(userId).toMatch(/^usr_/);
    expect(res.body).toMatchObject({
      userName: 'test.user@okta.local',
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
      meta: { resourceType: 'User' },
    });
    expect(res.body.password).toBeUndefined();
    expect(res.headers.location).toBe(res.body.meta.location);
    // Passwords are accepted and dropped (docs/decisions.md): nothing of it, not even a hash.
    const stored = await stack.runtime.deps.models.User.findById(userId).lean();
    expect(Object.keys(stored ?? {}).filter((k) => /password/i.test(k))).toEqual([]);
    expect(JSON.stringify(stored)).not.toContain('1mz050nq');
  });

  it('when Okta repeats the lookup, then it finds exactly that user (userName matches case-insensitively)', async () => {
    const res = expectStatus(await stack.scim.get(OKTA_LOOKUP), 200);
    expect(res.body).toMatchObject({ totalResults: 1, itemsPerPage: 1, startIndex: 1 });
    expect(res.body.Resources.map((r: { id: string }) => r.id)).toEqual([userId]);
    const shouted = expectStatus(await stack.scim.get('/Users?filter=userName%20eq%20%22TEST.User%40OKTA.local%22&startIndex=1&count=100'), 200);
    expect(shouted.body.Resources.map((r: { id: string }) => r.id)).toEqual([userId]);
  });

  it('when Okta creates a user that exists already, then 409 uniqueness stops the job', async () => {
    const res = await stack.scim.post('/Users', fixture('okta/post-user.json'));
    expectScimError(res, 409, 'uniqueness');
  });

  it('when Okta reads the user by id, then it gets the same user', async () => {
    const res = expectStatus(await stack.scim.get(`/Users/${userId}`), 200);
    expect(res.body).toMatchObject({ id: userId, userName: 'test.user@okta.local', active: true });
  });

  it('when Okta updates with a full PUT (carrying id, meta and groups), then the user is replaced and read-only input is ignored', async () => {
    const body = fixtureWithIds('okta/put-user.json', { [OKTA_USER_ID]: userId });
    const res = expectStatus(await stack.scim.put(`/Users/${userId}`, body), 200);
    expect(res.body).toMatchObject({
      id: userId,
      userName: 'test.user@okta.local',
      name: { givenName: 'Another', middleName: 'Excited', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work', display: 'test.user@okta.local' }],
      active: true,
    });
    // PUT replaces: what the body left out is gone (RFC 7644 §3.5.1).
    expect(res.body.displayName).toBeUndefined();
    expect(res.body.locale).toBeUndefined();
    expect(res.body.externalId).toBeUndefined();
    const again = expectStatus(await stack.scim.get(`/Users/${userId}`), 200);
    expect(again.body.name).toEqual({ givenName: 'Another', middleName: 'Excited', familyName: 'User' });
  });

  it('when Okta (password sync on) repeats the PUT or PATCHes only the password, then 200, nothing is written and the version stays', async () => {
    const before = expectStatus(await stack.scim.get(`/Users/${userId}`), 200).body.meta.version;
    const body = { ...fixtureWithIds('okta/put-user.json', { [OKTA_USER_ID]: userId }), password: 'n3w-Secret' };
    expect(expectStatus(await stack.scim.put(`/Users/${userId}`, body), 200).body.meta.version).toBe(before);
    const patch = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { password: 'an0ther-Secret' } }] };
    const patched = expectStatus(await stack.scim.patch(`/Users/${userId}`, patch), 200);
    expect(patched.body.meta.version).toBe(before);
    expect(JSON.stringify(patched.body)).not.toMatch(/password|Secret/);
    const stored = await stack.runtime.deps.models.User.findById(userId).lean();
    expect(JSON.stringify(stored)).not.toMatch(/password|Secret/);
  });

  it('when Okta deactivates with its path-less PATCH, then the user comes back with active false and stays readable', async () => {
    const res = await stack.scim.patch(`/Users/${userId}`, fixture('okta/patch-user-deactivate.json'));
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ id: userId, active: false, userName: 'test.user@okta.local' });
    const list = expectStatus(await stack.scim.get(OKTA_LOOKUP), 200);
    expect(list.body.Resources[0]).toMatchObject({ id: userId, active: false });
  });

  it('when Okta imports users page by page (startIndex, count=100), then every user comes once in a stable order', async () => {
    for (let i = 0; i < 4; i++) await createUser(stack, `import-${i}@okta.local`);
    const first = expectStatus(await stack.scim.get('/Users?startIndex=1&count=3'), 200);
    const second = expectStatus(await stack.scim.get('/Users?startIndex=4&count=3'), 200);
    expect(first.body).toMatchObject({ totalResults: 5, startIndex: 1, itemsPerPage: 3 });
    expect(second.body).toMatchObject({ totalResults: 5, startIndex: 4, itemsPerPage: 2 });
    const paged = [...first.body.Resources, ...second.body.Resources].map((r: { id: string }) => r.id);
    const whole = expectStatus(await stack.scim.get('/Users?startIndex=1&count=100'), 200);
    expect(whole.body.Resources.map((r: { id: string }) => r.id)).toEqual(paged);
    expect(new Set(paged).size).toBe(5);
  });
});

describe('Okta group push', () => {
  let groupId: string;
  let alice: string;
  let bob: string;
  let carol: string;
  let dave: string;

  beforeAll(async () => {
    alice = (await createUser(stack, 'alice@okta.local')).id;
    bob = (await createUser(stack, 'bob@okta.local')).id;
    carol = (await createUser(stack, 'carol@okta.local')).id;
    dave = (await createUser(stack, 'dave@okta.local')).id;
  });

  it('when Okta pushes a new group with an empty member list, then 201 returns it', async () => {
    const res = expectStatus(await stack.scim.post('/Groups', fixture('okta/post-group.json')), 201);
    groupId = res.body.id;
    expect(groupId).toMatch(/^grp_/);
    expect(res.body).toMatchObject({ schemas: [GROUP_URN], displayName: 'Test SCIMv2', meta: { resourceType: 'Group' } });
    expect(res.body.members ?? []).toEqual([]);
    expect(await membershipsOf(stack, groupId)).toEqual([]);
  });

  it('when Okta reads the group by id, then it gets it', async () => {
    const res = expectStatus(await stack.scim.get(`/Groups/${groupId}`), 200);
    expect(res.body).toMatchObject({ id: groupId, displayName: 'Test SCIMv2' });
  });

  it('when Okta (AIW) PUTs the group with its whole member list, then exactly those become SCIM members', async () => {
    // An admin also put carol and dave in the group by hand; the IdP does not own those memberships.
    await stack.runtime.deps.memberships.addSource(stack.tenantId, groupId, [carol, dave], 'manual');
    const body = {
      schemas: [GROUP_URN],
      id: groupId,
      displayName: 'Test SCIMv2',
      members: [
        { value: alice, display: 'alice' },
        { value: dave, display: 'dave' },
      ],
    };
    const res = expectStatus(await stack.scim.put(`/Groups/${groupId}`, body), 200);
    expect(res.body.members.map((m: { value: string }) => m.value).sort()).toEqual([alice, carol, dave].sort());
    expect(await membershipsOf(stack, groupId)).toEqual(
      [
        { userId: alice, sources: ['scim'] },
        { userId: carol, sources: ['manual'] },
        { userId: dave, sources: ['manual', 'scim'] },
      ].sort((a, b) => a.userId.localeCompare(b.userId)),
    );
  });

  it("when the next PUT drops members, then only the IdP's memberships end: hand-made ones survive", async () => {
    const body = { schemas: [GROUP_URN], id: groupId, displayName: 'Test SCIMv2', members: [{ value: bob }] };
    expectStatus(await stack.scim.put(`/Groups/${groupId}`, body), 200);
    expect(await membershipsOf(stack, groupId)).toEqual(
      [
        { userId: bob, sources: ['scim'] },
        { userId: carol, sources: ['manual'] },
        { userId: dave, sources: ['manual'] },
      ].sort((a, b) => a.userId.localeCompare(b.userId)),
    );
  });

  it('when a PUT lists hand-made members too, then they gain the IdP source, and dropping them again removes only that source', async () => {
    const all = { schemas: [GROUP_URN], id: groupId, displayName: 'Test SCIMv2', members: [{ value: bob }, { value: carol }, { value: dave }] };
    expectStatus(await stack.scim.put(`/Groups/${groupId}`, all), 200);
    expect((await membershipsOf(stack, groupId)).find((m) => m.userId === carol)).toEqual({ userId: carol, sources: ['manual', 'scim'] });
    expectStatus(await stack.scim.put(`/Groups/${groupId}`, { ...all, members: [{ value: bob }] }), 200);
    expect(await membershipsOf(stack, groupId)).toEqual(
      [
        { userId: bob, sources: ['scim'] },
        { userId: carol, sources: ['manual'] },
        { userId: dave, sources: ['manual'] },
      ].sort((a, b) => a.userId.localeCompare(b.userId)),
    );
  });

  it('when a PUT leaves members out, then the group is renamed and its memberships are left alone', async () => {
    const before = await membershipsOf(stack, groupId);
    const res = expectStatus(await stack.scim.put(`/Groups/${groupId}`, { schemas: [GROUP_URN], id: groupId, displayName: 'Test SCIMv2 (renamed)' }), 200);
    expect(res.body.displayName).toBe('Test SCIMv2 (renamed)');
    expect(await membershipsOf(stack, groupId)).toEqual(before);
    expectStatus(await stack.scim.put(`/Groups/${groupId}`, { schemas: [GROUP_URN], id: groupId, displayName: 'Test SCIMv2' }), 200);
  });

  it('when Okta sends its rename PATCH (which repeats the group id) with the current name, then it succeeds and changes nothing', async () => {
    const before = expectStatus(await stack.scim.get(`/Groups/${groupId}?excludedAttributes=members`), 200);
    const res = await stack.scim.patch(`/Groups/${groupId}`, fixtureWithIds('okta/patch-group-rename.json', { [OKTA_GROUP_ID]: groupId }));
    expect([200, 204]).toContain(res.status);
    const after = expectStatus(await stack.scim.get(`/Groups/${groupId}?excludedAttributes=members`), 200);
    expect(after.body.meta.version).toBe(before.body.meta.version);
  });

  it('when Okta renames the group with that PATCH, then the new name is stored', async () => {
    const body = fixtureWithIds('okta/patch-group-rename.json', { [OKTA_GROUP_ID]: groupId, 'Test SCIMv2': 'Test SCIMv20' });
    const res = await stack.scim.patch(`/Groups/${groupId}`, body);
    expect([200, 204]).toContain(res.status);
    const after = expectStatus(await stack.scim.get(`/Groups/${groupId}`), 200);
    expect(after.body.displayName).toBe('Test SCIMv20');
  });

  it('when Okta PATCHes membership (remove by filter, then add), then exactly that changes', async () => {
    const body = fixtureWithIds('okta/patch-group-update-members.json', { [OKTA_OTHER_USER_ID]: bob, [OKTA_USER_ID]: alice });
    const res = await stack.scim.patch(`/Groups/${groupId}`, body);
    expect([200, 204]).toContain(res.status);
    expect(await membershipsOf(stack, groupId)).toEqual(
      [
        { userId: alice, sources: ['scim'] },
        { userId: carol, sources: ['manual'] },
        { userId: dave, sources: ['manual'] },
      ].sort((a, b) => a.userId.localeCompare(b.userId)),
    );
  });

  it('when Okta pushes the full membership with a replace PATCH, then it is applied as a delta and hand-made memberships survive', async () => {
    const body = fixtureWithIds('okta/patch-group-replace-members.json', { [OKTA_USER_ID]: bob, [OKTA_OTHER_USER_ID]: dave });
    const res = await stack.scim.patch(`/Groups/${groupId}`, body);
    expect([200, 204]).toContain(res.status);
    expect(await membershipsOf(stack, groupId)).toEqual(
      [
        { userId: bob, sources: ['scim'] },
        { userId: carol, sources: ['manual'] },
        { userId: dave, sources: ['manual', 'scim'] },
      ].sort((a, b) => a.userId.localeCompare(b.userId)),
    );
  });

  it('when a pushed member is unknown to this tenant, then the PUT is refused with 400 and nothing changes', async () => {
    const before = await membershipsOf(stack, groupId);
    const body = { schemas: [GROUP_URN], id: groupId, displayName: 'Test SCIMv20', members: [{ value: alice }, { value: 'usr_does_not_exist' }] };
    expectScimError(await stack.scim.put(`/Groups/${groupId}`, body), 400, 'invalidValue');
    expect(await membershipsOf(stack, groupId)).toEqual(before);
  });

  it('when Okta unlinks the pushed group and deletes it, then 204, the group is gone and so are its memberships', async () => {
    const res = await stack.scim.delete(`/Groups/${groupId}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectScimError(await stack.scim.get(`/Groups/${groupId}`), 404);
    expect(await membershipsOf(stack, groupId)).toEqual([]);
    // The users stay.
    expectStatus(await stack.scim.get(`/Users/${bob}`), 200);
  });
});
