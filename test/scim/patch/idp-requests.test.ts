import { ENTERPRISE_URN, USER_URN, aGroup, aUser, errorOf, fixture, groupView, patch, patchBody, registry, userView } from './helpers';

/**
 * The exact PATCH bodies Microsoft Entra ID and Okta document (the README.md in test/fixtures/entra and test/fixtures/okta lists
 * the sources). Each is applied to a plausible current resource; where the IdP sends values in
 * the wrong type, the full-resource validation that follows PATCH is run too, to show the pair
 * accepts them.
 */

const entraUser = (): Record<string, unknown> =>
  aUser({
    schemas: [USER_URN, ENTERPRISE_URN],
    id: '5171a35d82074e068ce2',
    userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
    externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
    name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
    emails: [{ primary: true, type: 'work', value: 'Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com' }],
    [ENTERPRISE_URN]: { employeeNumber: '1' },
  });

describe('Microsoft Entra ID PATCH requests', () => {
  it.each([['entra/patch-user-disable.json'], ['entra/patch-user-disable-aadoptscim062020.json']])('when Entra disables a user (%s), then active becomes false', (file) => {
    const result = patch(userView, entraUser(), fixture(file));
    expect(result.resource.active).toBe(false);
    expect(result.changed).toBe(true);
  });

  it('when Entra disables a user with the string "False" (no aadOptscim062020 flag), then the value is kept and validation makes it false', () => {
    const result = patch(userView, entraUser(), fixture('entra/patch-user-disable-legacy.json'));
    expect(result.resource.active).toBe('False');
    const validated = registry.validateResource('User', result.resource, { mode: 'replace' });
    expect(validated.attrs.active).toBe(false);
  });

  it.each([['entra/patch-user-add-nickname-legacy.json'], ['entra/patch-user-add-nickname-aadoptscim062020.json']])('when Entra adds a single-valued string (%s), then it is set', (file) => {
    const result = patch(userView, entraUser(), fixture(file));
    expect(result.resource.nickName).toBe('Babs');
  });

  it('when Entra replaces several attributes with "Replace" operations (legacy), then each path is applied', () => {
    const result = patch(userView, entraUser(), fixture('entra/patch-user-replace-attributes-legacy.json'));
    expect(result.resource).toMatchObject({
      displayName: 'Pvlo',
      externalId: 'Eqpj',
      name: { formatted: 'givenName familyName', givenName: 'Gtfd', familyName: 'Pkqf' },
      emails: [{ primary: true, type: 'work', value: 'TestBcwqnm@test.microsoft.com' }],
      [ENTERPRISE_URN]: { employeeNumber: 'Eqpj' },
    });
  });

  it('when Entra replaces several attributes with a path-less value of dotted and URN-qualified keys (aadOptscim062020), then none is ignored', () => {
    const result = patch(userView, entraUser(), fixture('entra/patch-user-replace-attributes-aadoptscim062020.json'));
    expect(result.resource).toMatchObject({
      displayName: 'Bjfe',
      name: { formatted: 'givenName familyName', givenName: 'Kkom', familyName: 'Unua' },
      emails: [{ primary: true, type: 'work', value: 'TestMhvaes@test.microsoft.com' }],
      [ENTERPRISE_URN]: { employeeNumber: 'Aklq' },
    });
    const validated = registry.validateResource('User', result.resource, { mode: 'replace' });
    expect(validated.attrs).toMatchObject({ displayName: 'Bjfe', enterprise: { employeeNumber: 'Aklq' } });
  });

  it('when Entra updates the work email and family name, then only those change', () => {
    const result = patch(userView, entraUser(), fixture('entra/patch-user-update-multivalued.json'));
    expect(result.resource.emails).toEqual([{ primary: true, type: 'work', value: 'updatedEmail@microsoft.com' }]);
    expect(result.resource.name).toEqual({
      formatted: 'givenName familyName',
      familyName: 'updatedFamilyName',
      givenName: 'givenName',
    });
  });

  it('when Entra updates the userName, then it is replaced', () => {
    const result = patch(userView, entraUser(), fixture('entra/patch-user-update-username.json'));
    expect(result.resource.userName).toBe('5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com');
  });

  it('when Entra adds a manager by the unqualified name with a one-element array, then the enterprise manager is set', () => {
    const result = patch(userView, entraUser(), fixture('entra/patch-user-add-manager.json'));
    expect(result.resource[ENTERPRISE_URN]).toEqual({
      employeeNumber: '1',
      manager: {
        $ref: 'http://.../scim/Users/00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
        value: '00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
      },
    });
  });

  it('when Entra renames a group, then displayName changes', () => {
    const result = patch(groupView, aGroup(), fixture('entra/patch-group-rename.json'));
    expect(result.resource.displayName).toBe('1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName');
    expect(result.members).toEqual({ add: [], remove: [] });
  });

  it('when Entra adds a member with "$ref": null, then the id is added', () => {
    const result = patch(groupView, aGroup(), fixture('entra/patch-group-add-member.json'));
    expect(result.members).toEqual({ add: ['f648f8d5ea4e4cd38e9c'], remove: [] });
  });

  it.each([
    ['entra/patch-group-remove-member.json', 'f648f8d5ea4e4cd38e9c'],
    ['entra/patch-group-remove-member-legacy.json', 'u1091'],
    ['entra/patch-group-remove-member-aadoptscim062020.json', '7f4bc1a3-285e-48ae-8202-5accb43efb0e'],
  ])('when Entra removes a member (%s), then only that member is removed, never the whole group', (file, id) => {
    const result = patch(groupView, aGroup(), fixture(file));
    expect(result.members).toEqual({ add: [], remove: [id] });
  });

  it('when one Entra request mixes op casing, filters, dotted keys and extension paths, then every operation applies in order', () => {
    const body = patchBody(
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@contoso.com' },
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
      { op: 'replace', value: { 'name.givenName': 'Kkom', [`${ENTERPRISE_URN}:department`]: 'Sales', active: 'True' } },
      { op: 'REMOVE', path: `${ENTERPRISE_URN}:employeeNumber` },
    );
    const result = patch(userView, entraUser(), body);
    expect(result.resource).toMatchObject({
      active: 'True',
      name: { givenName: 'Kkom', familyName: 'familyName' },
      emails: [{ primary: true, type: 'work', value: 'new@contoso.com' }],
      phoneNumbers: [{ type: 'mobile', value: '+1 555 0100' }],
      [ENTERPRISE_URN]: { department: 'Sales' },
    });
    const validated = registry.validateResource('User', result.resource, { mode: 'replace' });
    expect(validated.attrs).toMatchObject({ active: true, enterprise: { department: 'Sales' } });
  });
});

describe('Okta PATCH requests', () => {
  const oktaGroup = (): Record<string, unknown> => aGroup({ id: 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b', displayName: 'Test SCIMv1' });

  it('when Okta deactivates a user with a path-less replace, then active becomes false', () => {
    const result = patch(userView, aUser({ id: '23a35c27-23d3-4c03-b4c5-6443c09e7173' }), fixture('okta/patch-user-deactivate.json'));
    expect(result.resource.active).toBe(false);
  });

  it('when Okta renames a group with a value that repeats the group id, then the id is accepted and the name changes', () => {
    const result = patch(groupView, oktaGroup(), fixture('okta/patch-group-rename.json'));
    expect(result.resource).toMatchObject({ id: 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b', displayName: 'Test SCIMv2' });
    expect(result.changed).toBe(true);
  });

  it('when Okta sends the rename again with the current name (it does with every membership push), then changed is false', () => {
    const current = aGroup({ id: 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b', displayName: 'Test SCIMv2' });
    const result = patch(groupView, current, fixture('okta/patch-group-rename.json'));
    expect(result.changed).toBe(false);
  });

  it('when the rename names a different group id, then 400 mutability', () => {
    const error = errorOf(() => patch(groupView, aGroup({ id: 'another' }), fixture('okta/patch-group-rename.json')));
    expect(error).toMatchObject({ scimType: 'mutability' });
  });

  it('when Okta removes one member by filter and adds another, then the delta has both', () => {
    const result = patch(groupView, oktaGroup(), fixture('okta/patch-group-update-members.json'));
    expect(result.members).toEqual({
      add: ['23a35c27-23d3-4c03-b4c5-6443c09e7173'],
      remove: ['89bb1940-b905-4575-9e7f-6f887cfb368e'],
    });
    expect(result.resourceChanged).toBe(false);
  });

  it('when Okta pushes the full membership with replace, then replaceAll holds it', () => {
    const result = patch(groupView, oktaGroup(), fixture('okta/patch-group-replace-members.json'));
    expect(result.members).toEqual({
      replaceAll: ['23a35c27-23d3-4c03-b4c5-6443c09e7173', '89bb1940-b905-4575-9e7f-6f887cfb368e'],
      add: [],
      remove: [],
    });
  });
});
