import type { Response } from 'supertest';
import { startTestStack, type TestStack } from '../../helpers/stack';
import { createGroup, createUser, expectScimContentType, expectStatus, fixture, fixtureWithIds, patchBody } from './helpers';

/**
 * RFC 7644 §3.5.2: a successful PATCH answers 200 with the resource or 204. Groups: 200 with the
 * resource (projected) when the request carries `attributes` or `excludedAttributes`, 204 with the
 * new ETag otherwise (what Entra documents). Users: always 200 with the user, as Okta's and Entra's
 * user PATCH examples show.
 */

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

const ENTRA_MEMBER_ID = 'f648f8d5ea4e4cd38e9c';
const OKTA_GROUP_ID = 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b';

function expectNoContent(res: Response): void {
  expectStatus(res, 204);
  expect(res.text).toBe('');
  expect(res.headers.etag).toMatch(/^W\/".+"$/);
}

describe('a user PATCH answers 200 with the user', () => {
  it.each([
    ['Entra "Disable User"', 'entra/patch-user-disable.json'],
    ['Entra disable without flag ("False")', 'entra/patch-user-disable-legacy.json'],
    ['Okta deactivate (path-less replace)', 'okta/patch-user-deactivate.json'],
  ])('as %s sends it: 200, the changed user and its new ETag', async (_idp, name) => {
    const user = await createUser(stack, `${name.replace(/\W/g, '.')}@example.com`);
    const res = expectStatus(await stack.scim.patch(`/Users/${user.id}`, fixture(name)), 200);
    expectScimContentType(res);
    expect(res.body).toMatchObject({ id: user.id, active: false });
    const read = expectStatus(await stack.scim.get(`/Users/${user.id}`), 200);
    expect(read.body.active).toBe(false);
    expect(read.headers.etag).toBe(res.headers.etag);
  });

  it('a user PATCH that changes nothing answers 200 with the unchanged ETag', async () => {
    const user = await createUser(stack, 'unchanged@example.com', { title: 'Same' });
    const res = expectStatus(await stack.scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'Same' })), 200);
    expect(res.headers.etag).toBe((user.meta as { version: string }).version);
  });
});

describe('a group PATCH without attributes or excludedAttributes: 204', () => {
  it('a group PATCH as Entra adds a member, and as Okta renames, answers 204', async () => {
    const user = await createUser(stack, 'entra.member@example.com');
    const group = await createGroup(stack, 'Test SCIMv2');
    expectNoContent(await stack.scim.patch(`/Groups/${group.id}`, fixtureWithIds('entra/patch-group-add-member.json', { [ENTRA_MEMBER_ID]: user.id })));
    const renamed = fixtureWithIds('okta/patch-group-rename.json', { [OKTA_GROUP_ID]: group.id, 'Test SCIMv2': 'Renamed by Okta' });
    expectNoContent(await stack.scim.patch(`/Groups/${group.id}`, renamed));
    const read = expectStatus(await stack.scim.get(`/Groups/${group.id}`), 200);
    expect(read.body).toMatchObject({ displayName: 'Renamed by Okta', members: [expect.objectContaining({ value: user.id })] });
  });

  it('a group PATCH that changes nothing answers 204 too, with the unchanged ETag', async () => {
    const group = await createGroup(stack, 'Unchanged Group');
    const res = await stack.scim.patch(`/Groups/${group.id}`, patchBody({ op: 'replace', path: 'displayName', value: 'Unchanged Group' }));
    expectNoContent(res);
    expect(res.headers.etag).toBe((group.meta as { version: string }).version);
  });
});

describe('with attributes or excludedAttributes: 200 with the resource, projected', () => {
  it('a user PATCH with attributes returns just those (and id, schemas)', async () => {
    const user = await createUser(stack, 'projected.patch@example.com', { title: 'Old' });
    const res = expectStatus(await stack.scim.patch(`/Users/${user.id}?attributes=title,active`, fixture('entra/patch-user-disable.json')), 200);
    expectScimContentType(res);
    expect(res.body).toEqual({ schemas: expect.any(Array), id: user.id, title: 'Old', active: false });
    expect(res.headers.etag).toBe(expectStatus(await stack.scim.get(`/Users/${user.id}`), 200).headers.etag);
  });

  it('a user PATCH with excludedAttributes returns the rest', async () => {
    const user = await createUser(stack, 'excluded.patch@example.com', { title: 'Kept' });
    const res = expectStatus(await stack.scim.patch(`/Users/${user.id}?excludedAttributes=emails,title`, fixture('okta/patch-user-deactivate.json')), 200);
    expect(res.body).toMatchObject({ id: user.id, userName: 'excluded.patch@example.com', active: false, meta: { resourceType: 'User' } });
    expect(res.body.title).toBeUndefined();
  });

  it('a group PATCH with excludedAttributes=members returns the group without its members', async () => {
    const user = await createUser(stack, 'group.patch.member@example.com');
    const group = await createGroup(stack, 'Projected Group');
    const res = expectStatus(await stack.scim.patch(`/Groups/${group.id}?excludedAttributes=members`, fixtureWithIds('entra/patch-group-add-member.json', { [ENTRA_MEMBER_ID]: user.id })), 200);
    expect(res.body).toMatchObject({ id: group.id, displayName: 'Projected Group', meta: { resourceType: 'Group' } });
    expect(res.body.members).toBeUndefined();
  });

  it('a group PATCH with attributes=members returns them with display', async () => {
    const user = await createUser(stack, 'shown.member@example.com', { displayName: 'Shown Member' });
    const group = await createGroup(stack, 'Group With Body');
    const res = expectStatus(await stack.scim.patch(`/Groups/${group.id}?attributes=members`, patchBody({ op: 'add', path: 'members', value: [{ value: user.id }] })), 200);
    expect(res.body).toEqual({ schemas: expect.any(Array), id: group.id, members: [expect.objectContaining({ value: user.id, display: 'Shown Member' })] });
  });
});
