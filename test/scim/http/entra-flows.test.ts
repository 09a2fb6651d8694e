import { startTestStack, type TestStack } from '../../helpers/stack';
import { ENTERPRISE_URN, LIST_RESPONSE, USER_URN, createUser, expectScimContentType, expectScimError, expectStatus, fixture, fixtureWithIds, membershipsOf, patchBody } from './helpers';

/**
 * The sequence Microsoft Entra ID's provisioning service sends (entra-docs
 * app-provisioning/use-scim-to-provision-users-and-groups.md, "SCIM protocol requests and
 * responses", and application-provisioning-config-problem-scim-compatibility.md), replayed on the
 * real app, WITHOUT the aadOptscim062020 flag: the default ("legacy") forms must work as they are.
 */

const ENTRA_USER_NAME = 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee';
const ENTRA_EXTERNAL_ID = '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef';
const ENTRA_WORK_EMAIL = 'Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com';
const ENTRA_MEMBER_ID = 'f648f8d5ea4e4cd38e9c';
const ENTRA_MANAGER_ID = '00aa00aa-bb11-cc22-dd33-44ee44ee44ee';
const q = encodeURIComponent;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

async function findUsers(filter: string): Promise<string[]> {
  const res = expectStatus(await stack.scim.get(`/Users?filter=${q(filter)}`), 200);
  expectScimContentType(res);
  expect(res.body.schemas).toEqual([LIST_RESPONSE]);
  return res.body.Resources.map((r: { id: string }) => r.id);
}

describe('Entra user provisioning', () => {
  let userId: string;
  let managerId: string;

  it('when Entra tests the connection with a random matching value, then it gets 200 and an empty ListResponse', async () => {
    const res = expectStatus(await stack.scim.get(`/Users?filter=${q('userName eq "6b0a2f9e-3c1d-4b7a-9f55-0d6c7e8a1b2c"')}`), 200);
    expect(res.body).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 0, Resources: [] });
  });

  it('when Entra looks the user up by userName before creating it, then nothing is found', async () => {
    expect(await findUsers(`userName eq "${ENTRA_USER_NAME}"`)).toEqual([]);
  });

  it('when Entra creates the user with its documented body (meta, roles [] included), then 201 and the values are stored as sent', async () => {
    const res = expectStatus(await stack.scim.post('/Users', fixture('entra/post-user.json')), 201);
    userId = res.body.id;
    expect(res.body).toMatchObject({
      id: userId,
      externalId: ENTRA_EXTERNAL_ID,
      userName: ENTRA_USER_NAME,
      active: true,
      emails: [{ primary: true, type: 'work', value: ENTRA_WORK_EMAIL }],
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      meta: { resourceType: 'User' },
    });
    expect(res.body.meta.created).toEqual(expect.any(String));
    expect(res.body.roles).toBeUndefined();
  });

  it('when Entra creates a user with enterprise extension attributes, then they are returned under the extension URN', async () => {
    const res = expectStatus(
      await stack.scim.post('/Users', {
        schemas: [USER_URN, ENTERPRISE_URN],
        userName: 'manager@contoso.com',
        externalId: 'manager',
        active: true,
        [ENTERPRISE_URN]: { department: 'Sales', employeeNumber: '701984', costCenter: 'CC-1' },
      }),
      201,
    );
    managerId = res.body.id;
    expect(res.body.schemas).toEqual(expect.arrayContaining([USER_URN, ENTERPRISE_URN]));
    expect(res.body[ENTERPRISE_URN]).toEqual({ department: 'Sales', employeeNumber: '701984', costCenter: 'CC-1' });
  });

  it('when Entra matches by userName, externalId or work email, then each finds the user', async () => {
    expect(await findUsers(`userName eq "${ENTRA_USER_NAME}"`)).toEqual([userId]);
    expect(await findUsers(`externalId eq "${ENTRA_EXTERNAL_ID}"`)).toEqual([userId]);
    expect(await findUsers(`emails[type eq "work"].value eq "${ENTRA_WORK_EMAIL}"`)).toEqual([userId]);
    // Entra only ever combines with "and".
    expect(await findUsers(`userName eq "${ENTRA_USER_NAME}" and externalId eq "${ENTRA_EXTERNAL_ID}"`)).toEqual([userId]);
    expect(await findUsers(`externalId eq "someone-else"`)).toEqual([]);
  });

  it('when Entra reads the user by id, then 200; an unknown id answers 404 with a SCIM error', async () => {
    expectStatus(await stack.scim.get(`/Users/${userId}`), 200);
    expectScimError(await stack.scim.get('/Users/5171a35d82074e068ce2'), 404);
  });

  it('when Entra updates multi-valued properties ("Replace", emails[type eq "work"].value), then both changes land', async () => {
    const res = expectStatus(await stack.scim.patch(`/Users/${userId}`, fixture('entra/patch-user-update-multivalued.json')), 200);
    expect(res.body.emails).toEqual([{ primary: true, type: 'work', value: 'updatedEmail@microsoft.com' }]);
    expect(res.body.name).toMatchObject({ familyName: 'updatedFamilyName', givenName: 'givenName' });
    expect(await findUsers('emails[type eq "work"].value eq "updatedEmail@microsoft.com"')).toEqual([userId]);
    expect(await findUsers(`emails[type eq "work"].value eq "${ENTRA_WORK_EMAIL}"`)).toEqual([]);
  });

  it('when Entra replaces several attributes one "Replace" at a time (no flag), then each is applied', async () => {
    const res = expectStatus(await stack.scim.patch(`/Users/${userId}`, fixture('entra/patch-user-replace-attributes-legacy.json')), 200);
    expect(res.body).toMatchObject({
      displayName: 'Pvlo',
      externalId: 'Eqpj',
      name: { givenName: 'Gtfd', familyName: 'Pkqf' },
      emails: [{ type: 'work', value: 'TestBcwqnm@test.microsoft.com' }],
      [ENTERPRISE_URN]: { employeeNumber: 'Eqpj' },
    });
    expect(await findUsers('externalId eq "Eqpj"')).toEqual([userId]);
  });

  it('when Entra replaces with a path-less value of dotted and URN-qualified keys, then none is ignored', async () => {
    const res = expectStatus(await stack.scim.patch(`/Users/${userId}`, fixture('entra/patch-user-replace-attributes-aadoptscim062020.json')), 200);
    expect(res.body).toMatchObject({
      displayName: 'Bjfe',
      name: { givenName: 'Kkom', familyName: 'Unua' },
      emails: [{ type: 'work', value: 'TestMhvaes@test.microsoft.com' }],
      [ENTERPRISE_URN]: { employeeNumber: 'Aklq' },
    });
    const stored = expectStatus(await stack.scim.get(`/Users/${userId}`), 200);
    expect(stored.body.name).toMatchObject({ givenName: 'Kkom', familyName: 'Unua' });
  });

  it('when Entra adds a nickName with "Add", then it is set', async () => {
    const res = expectStatus(await stack.scim.patch(`/Users/${userId}`, fixture('entra/patch-user-add-nickname-legacy.json')), 200);
    expect(res.body.nickName).toBe('Babs');
  });

  it('when Entra changes the userName, then the user is found under the new name only', async () => {
    expectStatus(await stack.scim.patch(`/Users/${userId}`, fixture('entra/patch-user-update-username.json')), 200);
    expect(await findUsers('userName eq "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"')).toEqual([userId]);
    expect(await findUsers(`userName eq "${ENTRA_USER_NAME}"`)).toEqual([]);
  });

  it('when Entra adds the manager with an unqualified "manager" path and a one-element array, then the enterprise manager is set', async () => {
    const body = fixtureWithIds('entra/patch-user-add-manager.json', { [ENTRA_MANAGER_ID]: managerId });
    const res = expectStatus(await stack.scim.patch(`/Users/${userId}`, body), 200);
    expect(res.body[ENTERPRISE_URN].manager).toMatchObject({ value: managerId });
    expect(await findUsers(`${ENTERPRISE_URN}:manager.value eq "${managerId}"`)).toEqual([userId]);
  });

  it('when Entra replaces the manager through the qualified path with a bare id, then the new manager is stored', async () => {
    const other = await createUser(stack, 'other.manager@contoso.com');
    const res = expectStatus(await stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'Replace', path: `${ENTERPRISE_URN}:manager`, value: other.id })), 200);
    expect(res.body[ENTERPRISE_URN].manager).toEqual({ value: other.id });
    expect(res.body[ENTERPRISE_URN].employeeNumber).toBe('Aklq');
  });

  it('when Entra removes the manager, then it is gone and the other enterprise attributes stay', async () => {
    const res = expectStatus(await stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'Remove', path: `${ENTERPRISE_URN}:manager` })), 200);
    expect(res.body[ENTERPRISE_URN]).toEqual({ employeeNumber: 'Aklq' });
  });

  it('when two PATCHes to one user race, then both changes land (optimistic concurrency, no lost update)', async () => {
    const [a, b] = await Promise.all([
      stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'Replace', path: 'title', value: 'Raced title' })),
      stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'Replace', path: 'preferredLanguage', value: 'de-DE' })),
    ]);
    expectStatus(a, 200);
    expectStatus(b, 200);
    const now = expectStatus(await stack.scim.get(`/Users/${userId}`), 200);
    expect(now.body).toMatchObject({ title: 'Raced title', preferredLanguage: 'de-DE' });
  });

  it('when Entra disables the user with "Replace" and the string "False" (no flag), then active is false and the user is still returned', async () => {
    const res = expectStatus(await stack.scim.patch(`/Users/${userId}`, fixture('entra/patch-user-disable-legacy.json')), 200);
    expect(res.body.active).toBe(false);
    const stored = await stack.runtime.deps.models.User.findById(userId).lean();
    expect(stored?.attrs.active).toBe(false);
    expectStatus(await stack.scim.get(`/Users/${userId}`), 200);
  });

  it('when Entra disables with the documented Disable User body (Operations before schemas, boolean), then active stays false', async () => {
    const res = expectStatus(await stack.scim.patch(`/Users/${userId}`, fixture('entra/patch-user-disable.json')), 200);
    expect(res.body.active).toBe(false);
  });

  it('when Entra re-enables with "True" (its periodic active=true PATCH), then active is true', async () => {
    const res = expectStatus(await stack.scim.patch(`/Users/${userId}`, patchBody({ op: 'Replace', path: 'active', value: 'True' })), 200);
    expect(res.body.active).toBe(true);
  });

  it('when Entra deletes the user, then 204 and afterwards 404 and no match', async () => {
    const res = await stack.scim.delete(`/Users/${userId}`);
    expect(res.status).toBe(204);
    expectScimError(await stack.scim.get(`/Users/${userId}`), 404);
    expect(await findUsers('externalId eq "Eqpj"')).toEqual([]);
  });
});

describe('Entra group provisioning', () => {
  let groupId: string;
  let first: string;
  let second: string;
  const groupLookup = `/Groups?excludedAttributes=members&filter=${q('displayName eq "displayName"')}`;

  beforeAll(async () => {
    first = (await createUser(stack, 'member.one@contoso.com')).id;
    second = (await createUser(stack, 'member.two@contoso.com')).id;
  });

  it('when Entra looks the group up by displayName with excludedAttributes=members, then nothing is found', async () => {
    const res = expectStatus(await stack.scim.get(groupLookup), 200);
    expect(res.body).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 0, Resources: [] });
  });

  it("when Entra creates the group empty (listing Microsoft's ADSCIM schema too), then 201", async () => {
    const res = expectStatus(await stack.scim.post('/Groups', fixture('entra/post-group.json')), 201);
    groupId = res.body.id;
    expect(res.body).toMatchObject({ displayName: 'displayName', externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', meta: { resourceType: 'Group' } });
  });

  it('when Entra looks it up again, then it finds it without a members attribute', async () => {
    const res = expectStatus(await stack.scim.get(groupLookup), 200);
    expect(res.body.totalResults).toBe(1);
    expect(res.body.Resources[0]).toMatchObject({ id: groupId, displayName: 'displayName' });
    expect(res.body.Resources[0]).not.toHaveProperty('members');
    const byCase = expectStatus(await stack.scim.get(`/Groups?excludedAttributes=members&filter=${q('displayName eq "DISPLAYNAME"')}`), 200);
    expect(byCase.body.Resources.map((r: { id: string }) => r.id)).toEqual([groupId]);
  });

  it('when Entra adds members one PATCH at a time, then each answers 204 with no body', async () => {
    for (const id of [first, second]) {
      const res = await stack.scim.patch(`/Groups/${groupId}`, fixtureWithIds('entra/patch-group-add-member.json', { [ENTRA_MEMBER_ID]: id }));
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
    }
    expect((await membershipsOf(stack, groupId)).map((m) => m.userId).sort()).toEqual([first, second].sort());
  });

  it('when Entra reads the group with excludedAttributes=members, then no members key is present', async () => {
    const res = expectStatus(await stack.scim.get(`/Groups/${groupId}?excludedAttributes=members`), 200);
    expect(res.body).not.toHaveProperty('members');
    expect(res.body.displayName).toBe('displayName');
  });

  it('when Entra removes one member with the value-array form (no filter), then ONLY that member is removed', async () => {
    const res = await stack.scim.patch(`/Groups/${groupId}`, fixtureWithIds('entra/patch-group-remove-member.json', { [ENTRA_MEMBER_ID]: first }));
    expect(res.status).toBe(204);
    expect(await membershipsOf(stack, groupId)).toEqual([{ userId: second, sources: ['scim'] }]);
    const withMembers = expectStatus(await stack.scim.get(`/Groups/${groupId}`), 200);
    expect(withMembers.body.members.map((m: { value: string }) => m.value)).toEqual([second]);
  });

  it('when Entra removes a member with the legacy body shape again, then removing an absent member is a harmless no-op', async () => {
    const res = await stack.scim.patch(`/Groups/${groupId}`, fixtureWithIds('entra/patch-group-remove-member-legacy.json', { u1091: first }));
    expect(res.status).toBe(204);
    expect(await membershipsOf(stack, groupId)).toEqual([{ userId: second, sources: ['scim'] }]);
  });

  it('when Entra renames the group, then 204 and the new name is found', async () => {
    const res = await stack.scim.patch(`/Groups/${groupId}`, fixture('entra/patch-group-rename.json'));
    expect(res.status).toBe(204);
    const found = expectStatus(await stack.scim.get(`/Groups?excludedAttributes=members&filter=${q('displayName eq "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"')}`), 200);
    expect(found.body.Resources.map((r: { id: string }) => r.id)).toEqual([groupId]);
  });

  it('when member adds for one group arrive concurrently, then every one of them lands', async () => {
    const users = await Promise.all(Array.from({ length: 8 }, (_, i) => createUser(stack, `concurrent.${i}@contoso.com`)));
    const results = await Promise.all(users.map((u) => stack.scim.patch(`/Groups/${groupId}`, fixtureWithIds('entra/patch-group-add-member.json', { [ENTRA_MEMBER_ID]: u.id }))));
    expect(results.map((r) => r.status)).toEqual(users.map(() => 204));
    const members = (await membershipsOf(stack, groupId)).map((m) => m.userId);
    expect(members.sort()).toEqual([second, ...users.map((u) => u.id)].sort());
    for (const u of users) {
      expect((await stack.scim.patch(`/Groups/${groupId}`, fixtureWithIds('entra/patch-group-remove-member.json', { [ENTRA_MEMBER_ID]: u.id }))).status).toBe(204);
    }
  });

  it('when Entra deletes the group, then 204, then 404; its members remain users', async () => {
    const res = await stack.scim.delete(`/Groups/${groupId}`);
    expect(res.status).toBe(204);
    expectScimError(await stack.scim.get(`/Groups/${groupId}`), 404);
    expect(await membershipsOf(stack, groupId)).toEqual([]);
    expectStatus(await stack.scim.get(`/Users/${second}`), 200);
  });
});
