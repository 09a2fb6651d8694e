import { startTestStack, type TestStack } from '../../helpers/stack';
import { SEARCH_REQUEST, createGroup, createUser, expectStatus, fixtureWithIds, patchBody, userBody } from './helpers';

/**
 * `display` of the references between users and groups: Group.members[].display is the member
 * user's displayName (else userName), User.groups[].display the group's displayName. Both are
 * derived by the server when the representation is built, for a whole page in one query, and only
 * when the selection asks for them.
 */

let stack: TestStack;
let ada: string; // has a displayName
let bob: string; // has none: userName stands in
let groupId: string;

const OKTA_GROUP_ID = 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b';
const OKTA_USER_ID = '23a35c27-23d3-4c03-b4c5-6443c09e7173';
const OKTA_OTHER_USER_ID = '89bb1940-b905-4575-9e7f-6f887cfb368e';

beforeAll(async () => {
  stack = await startTestStack();
  ada = (await createUser(stack, 'ada@example.com', { displayName: 'Ada Lovelace' })).id;
  bob = (await createUser(stack, 'bob@example.com')).id;
  groupId = (await createGroup(stack, 'Engineers', { members: [{ value: ada }, { value: bob }] })).id;
});
afterAll(() => stack.close());

type Member = { value: string; display?: string; $ref?: string; type?: string };
const byValue = (members: Member[]) => [...members].sort((a, b) => a.value.localeCompare(b.value));

/** Calls to find() on a model's collection while `run` runs (the real driver call still happens). */
async function findsOn(collection: 'User' | 'Membership', run: () => Promise<unknown>): Promise<unknown[]> {
  const spy = jest.spyOn(stack.runtime.deps.models[collection].collection, 'find');
  try {
    await run();
    return spy.mock.calls.map((c) => c[0]);
  } finally {
    spy.mockRestore();
  }
}

describe('Group.members[].display', () => {
  it("is the member user's displayName, else their userName", async () => {
    const res = expectStatus(await stack.scim.get(`/Groups/${groupId}`), 200);
    expect(byValue(res.body.members)).toEqual(
      byValue([
        { value: ada, display: 'Ada Lovelace', $ref: expect.stringMatching(new RegExp(`/scim/v2/Users/${ada}$`)), type: 'User' },
        { value: bob, display: 'bob@example.com', $ref: expect.stringMatching(new RegExp(`/scim/v2/Users/${bob}$`)), type: 'User' },
      ]),
    );
  });

  it('follows the user: a renamed member shows the new name', async () => {
    const carol = (await createUser(stack, 'carol@example.com', { displayName: 'Carol' })).id;
    const group = (await createGroup(stack, 'Renamers', { members: [{ value: carol }] })).id;
    expectStatus(await stack.scim.put(`/Users/${carol}`, userBody('carol@example.com', { displayName: 'Carol Shaw' })), 200);
    const res = expectStatus(await stack.scim.get(`/Groups/${group}`), 200);
    expect(res.body.members).toEqual([expect.objectContaining({ value: carol, display: 'Carol Shaw' })]);
  });

  it("is the stored user's name, not the display Okta sends in its membership PATCH", async () => {
    const group = (await createGroup(stack, 'Okta pushed')).id;
    const body = fixtureWithIds('okta/patch-group-update-members.json', { [OKTA_GROUP_ID]: group, [OKTA_USER_ID]: ada, [OKTA_OTHER_USER_ID]: bob });
    expectStatus(await stack.scim.patch(`/Groups/${group}`, body), 204);
    const res = expectStatus(await stack.scim.get(`/Groups/${group}`), 200);
    // Okta sent display "test.user@okta.local" for Ada.
    expect(res.body.members).toEqual([expect.objectContaining({ value: ada, display: 'Ada Lovelace' })]);
  });

  it('comes back in a PATCH answered with the resource (attributes=members)', async () => {
    const group = (await createGroup(stack, 'Patched with body')).id;
    const res = expectStatus(
      await stack.scim.patch(`/Groups/${group}?attributes=members`, patchBody({ op: 'add', path: 'members', value: [{ value: bob, display: 'whatever the client says' }] })),
      200,
    );
    expect(res.body.members).toEqual([expect.objectContaining({ value: bob, display: 'bob@example.com' })]);
  });

  it('is in lists and searches, and a page of groups reads memberships once and member names once', async () => {
    const other = (await createGroup(stack, 'Engineers Too', { members: [{ value: ada }] })).id;
    let res: Awaited<ReturnType<TestStack['scim']['get']>> | undefined;
    const membershipFinds = await findsOn('Membership', async () => {
      const userFinds = await findsOn('User', async () => {
        res = expectStatus(await stack.scim.get('/Groups?filter=displayName sw "Engineers"'), 200);
      });
      expect(userFinds).toHaveLength(1);
    });
    expect(membershipFinds).toHaveLength(1);
    const members = Object.fromEntries(res!.body.Resources.map((g: { id: string; members: Member[] }) => [g.id, g.members.map((m) => m.display).sort()]));
    expect(members).toEqual({ [groupId]: ['Ada Lovelace', 'bob@example.com'], [other]: ['Ada Lovelace'] });

    const search = expectStatus(await stack.scim.post('/Groups/.search', { schemas: [SEARCH_REQUEST], filter: `id eq "${other}"` }), 200);
    expect(search.body.Resources[0].members).toEqual([expect.objectContaining({ value: ada, display: 'Ada Lovelace' })]);
  });

  it('is not looked up when the selection leaves it out, and members are not read at all without them', async () => {
    let res: Awaited<ReturnType<TestStack['scim']['get']>> | undefined;
    expect(
      await findsOn('User', async () => {
        res = expectStatus(await stack.scim.get(`/Groups/${groupId}?attributes=members.value`), 200);
      }),
    ).toHaveLength(0);
    expect(res!.body.members.map((m: Member) => m.display)).toEqual([undefined, undefined]);

    expect(
      await findsOn('User', async () => {
        res = expectStatus(await stack.scim.get(`/Groups/${groupId}?excludedAttributes=members.display`), 200);
      }),
    ).toHaveLength(0);
    expect(res!.body.members.map((m: Member) => [m.value, 'display' in m]).sort()).toEqual(
      [
        [ada, false],
        [bob, false],
      ].sort(),
    );

    const reads = await findsOn('Membership', async () => {
      expect(
        await findsOn('User', async () => {
          res = expectStatus(await stack.scim.get(`/Groups/${groupId}?excludedAttributes=members`), 200);
        }),
      ).toHaveLength(0);
    });
    expect(reads).toHaveLength(0);
    expect(res!.body.members).toBeUndefined();
  });
});

describe('User.groups[].display', () => {
  it("is the group's displayName, in GET and in lists", async () => {
    const eve = (await createUser(stack, 'eve@example.com')).id;
    const group = (await createGroup(stack, 'Auditors', { members: [{ value: eve }] })).id;
    const one = expectStatus(await stack.scim.get(`/Users/${eve}`), 200);
    expect(one.body.groups).toEqual([{ value: group, display: 'Auditors', $ref: expect.stringMatching(new RegExp(`/scim/v2/Groups/${group}$`)), type: 'direct' }]);
    const list = expectStatus(await stack.scim.get('/Users?filter=userName eq "eve@example.com"'), 200);
    expect(list.body.Resources[0].groups).toEqual([expect.objectContaining({ value: group, display: 'Auditors' })]);
  });

  it('follows a group rename', async () => {
    const dan = (await createUser(stack, 'dan@example.com')).id;
    const group = (await createGroup(stack, 'Before', { members: [{ value: dan }] })).id;
    expectStatus(await stack.scim.patch(`/Groups/${group}`, patchBody({ op: 'replace', path: 'displayName', value: 'After' })), 204);
    const res = expectStatus(await stack.scim.get(`/Users/${dan}`), 200);
    expect(res.body.groups).toEqual([expect.objectContaining({ value: group, display: 'After' })]);
  });
});
