import { ENTERPRISE_URN, USER_URN, aUser, errorOf, patch, patchBody, userView } from './helpers';

describe('add (RFC 7644 §3.5.2.1)', () => {
  it('when the path is a single-valued attribute, then it is set (or replaced)', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'add', path: 'nickName', value: 'Babs' }));
    expect(result.resource.nickName).toBe('Babs');
    expect(result.changed).toBe(true);
    const again = patch(userView, aUser({ nickName: 'B' }), patchBody({ op: 'add', path: 'nickName', value: 'Babs' }));
    expect(again.resource.nickName).toBe('Babs');
  });

  it('when the path is a multi-valued attribute, then the values are appended, given as an array or alone', () => {
    const asArray = patch(userView, aUser(), patchBody({ op: 'add', path: 'emails', value: [{ value: 'b@work.example', type: 'other' }] }));
    expect(asArray.resource.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@home.example', type: 'home' },
      { value: 'b@work.example', type: 'other' },
    ]);
    const alone = patch(userView, aUser(), patchBody({ op: 'add', path: 'phoneNumbers', value: { value: '555', type: 'work' } }));
    expect(alone.resource.phoneNumbers).toEqual([{ value: '555', type: 'work' }]);
  });

  it('when the added value is already there, then nothing changes', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'add', path: 'emails', value: [{ Type: 'home', value: 'babs@home.example' }] }));
    expect(result.changed).toBe(false);
    expect(result.resource).toEqual(aUser());
  });

  it('when the path is a complex attribute, then the given sub-attributes are merged into it', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'add', path: 'name', value: { middleName: 'Jane', GivenName: 'Babs' } }));
    expect(result.resource.name).toEqual({ givenName: 'Babs', familyName: 'Jensen', middleName: 'Jane' });
  });

  it('when there is no path, then each key of the value is added at its own path', () => {
    const result = patch(
      userView,
      aUser(),
      patchBody({
        op: 'add',
        value: {
          title: 'Tour Guide',
          'name.middleName': 'Jane',
          emails: [{ value: 'x@example.com', type: 'other' }],
          [`${ENTERPRISE_URN}:department`]: 'Tours',
          [ENTERPRISE_URN]: { costCenter: '4130' },
        },
      }),
    );
    expect(result.resource).toMatchObject({
      title: 'Tour Guide',
      name: { givenName: 'Barbara', familyName: 'Jensen', middleName: 'Jane' },
      [ENTERPRISE_URN]: { department: 'Tours', costCenter: '4130' },
    });
    expect(result.resource.emails).toHaveLength(3);
  });

  it('when an extension attribute is added, then the extension URN joins schemas', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'add', path: `${ENTERPRISE_URN}:department`, value: 'Tours' }));
    expect(result.resource.schemas).toEqual([USER_URN, ENTERPRISE_URN]);
  });

  it('when the path has a filter that matches, then the sub-attribute of the matching elements is set', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'add', path: 'emails[type eq "home"].display', value: 'Home' }));
    expect(result.resource.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@home.example', type: 'home', display: 'Home' },
    ]);
  });

  it('when the path has an eq filter that matches nothing, then the element it describes is created', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' }));
    expect(result.resource.phoneNumbers).toEqual([{ type: 'mobile', value: '+1 555 0100' }]);
  });

  it('when the filter matches nothing and does not describe one element, then 400 noTarget', () => {
    const error = errorOf(() => patch(userView, aUser(), patchBody({ op: 'add', path: 'phoneNumbers[type sw "mob"].value', value: '555' })));
    expect(error).toMatchObject({ status: 400, scimType: 'noTarget' });
  });

  it('when a single-valued attribute is given as a one-element array, then the element is used', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'add', path: 'manager', value: [{ value: 'boss-1', $ref: null }] }));
    expect(result.resource[ENTERPRISE_URN]).toEqual({ manager: { value: 'boss-1' } });
  });
});

describe('replace (RFC 7644 §3.5.2.3)', () => {
  it('when the path is a simple attribute, then it is replaced and the value is kept as given', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'Replace', path: 'active', value: 'False' }));
    expect(result.resource.active).toBe('False');
  });

  it('when the path is a multi-valued attribute without filter, then all its values are replaced', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'replace', path: 'emails', value: [{ value: 'new@example.com', type: 'work' }] }));
    expect(result.resource.emails).toEqual([{ value: 'new@example.com', type: 'work' }]);
  });

  it('when the path is a complex attribute, then given sub-attributes replace and others stay', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'replace', path: 'name', value: { familyName: 'Smith' } }));
    expect(result.resource.name).toEqual({ givenName: 'Barbara', familyName: 'Smith' });
  });

  it('when the attribute does not exist yet, then replace adds it', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'replace', path: 'name.middleName', value: 'Jane' }));
    expect(result.resource.name).toEqual({ givenName: 'Barbara', familyName: 'Jensen', middleName: 'Jane' });
    const added = patch(userView, aUser(), patchBody({ op: 'replace', path: 'nickName', value: 'Babs' }));
    expect(added.resource.nickName).toBe('Babs');
  });

  it('when a value filter with a sub-attribute matches, then only that sub-attribute of the matching elements changes', () => {
    const user = aUser({
      addresses: [
        { type: 'work', streetAddress: '100 Universal City Plaza', locality: 'Hollywood' },
        { type: 'home', streetAddress: '456 Hollywood Blvd' },
      ],
    });
    const result = patch(userView, user, patchBody({ op: 'replace', path: 'addresses[type eq "work"].streetAddress', value: '911 Universal City Plaza' }));
    expect(result.resource.addresses).toEqual([
      { type: 'work', streetAddress: '911 Universal City Plaza', locality: 'Hollywood' },
      { type: 'home', streetAddress: '456 Hollywood Blvd' },
    ]);
  });

  it('when a value filter compares a case-insensitive attribute, then case does not matter', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'replace', path: 'emails[type eq "WORK"].value', value: 'b@new.example' }));
    expect(result.resource.emails).toEqual([
      { value: 'b@new.example', type: 'work', primary: true },
      { value: 'babs@home.example', type: 'home' },
    ]);
  });

  it('when a value filter matches nothing, then 400 noTarget', () => {
    const error = errorOf(() => patch(userView, aUser(), patchBody({ op: 'replace', path: 'emails[type eq "other"].value', value: 'x@example.com' })));
    expect(error).toMatchObject({ status: 400, scimType: 'noTarget', code: 'SCIM_PATCH_NO_MATCH' });
  });

  it('when a value filter without sub-attribute matches, then the matching elements are replaced whole', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'replace', path: 'emails[type eq "home"]', value: { value: 'new@home.example', type: 'home' } }));
    expect(result.resource.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'new@home.example', type: 'home' },
    ]);
  });

  it('when there is no path, then each key is replaced at its own path, dotted keys included', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'replace', value: { Active: false, 'name.familyName': 'Smith', [`${ENTERPRISE_URN}:employeeNumber`]: '7' } }));
    expect(result.resource).toMatchObject({
      active: false,
      name: { givenName: 'Barbara', familyName: 'Smith' },
      [ENTERPRISE_URN]: { employeeNumber: '7' },
    });
  });

  it('when the value is null, then the attribute is unassigned', () => {
    const result = patch(userView, aUser({ title: 'Boss' }), patchBody({ op: 'replace', path: 'title', value: null }));
    expect(result.resource).not.toHaveProperty('title');
  });

  it('when the new value equals the current one, then changed is false', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'replace', value: { active: true, name: { givenName: 'Barbara' }, userName: 'bjensen@example.com' } }));
    expect(result.changed).toBe(false);
    expect(result.resourceChanged).toBe(false);
  });

  it('when the input resource is patched, then the input object itself is left untouched', () => {
    const user = aUser();
    patch(userView, user, patchBody({ op: 'replace', path: 'emails[type eq "work"].value', value: 'x@example.com' }));
    expect(user).toEqual(aUser());
  });
});

describe('primary values (RFC 7643 §2.4)', () => {
  it('when an added value is primary, then the others stop being primary', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'other', primary: true }] }));
    expect(result.resource.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work', primary: false },
      { value: 'babs@home.example', type: 'home' },
      { value: 'new@example.com', type: 'other', primary: true },
    ]);
  });

  it('when an element is made primary through a filter, then the previous primary is cleared', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'replace', path: 'emails[type eq "home"].primary', value: true }));
    expect(result.resource.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work', primary: false },
      { value: 'babs@home.example', type: 'home', primary: true },
    ]);
  });

  it('when a replaced list marks several values primary, then only the last keeps it', () => {
    const result = patch(
      userView,
      aUser(),
      patchBody({
        op: 'replace',
        path: 'emails',
        value: [
          { value: 'a@example.com', primary: true },
          { value: 'b@example.com', primary: 'True' },
        ],
      }),
    );
    expect(result.resource.emails).toEqual([
      { value: 'a@example.com', primary: false },
      { value: 'b@example.com', primary: 'True' },
    ]);
  });
});

describe('remove (RFC 7644 §3.5.2.2)', () => {
  it('when the path is an attribute, then it is removed', () => {
    const result = patch(userView, aUser({ title: 'Boss' }), patchBody({ op: 'remove', path: 'title' }));
    expect(result.resource).not.toHaveProperty('title');
    expect(result.changed).toBe(true);
  });

  it('when the path is a sub-attribute and it was the last one, then the complex attribute goes too', () => {
    const result = patch(userView, aUser({ name: { givenName: 'B' } }), patchBody({ op: 'remove', path: 'name.givenName' }));
    expect(result.resource).not.toHaveProperty('name');
  });

  it('when the path has a value filter, then only the matching elements are removed', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'remove', path: 'emails[type eq "work"]' }));
    expect(result.resource.emails).toEqual([{ value: 'babs@home.example', type: 'home' }]);
  });

  it('when the filter matches every element, then the attribute becomes unassigned', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'remove', path: 'emails[value co "example"]' }));
    expect(result.resource).not.toHaveProperty('emails');
  });

  it('when the path has a value filter and a sub-attribute, then that sub-attribute is removed from matching elements', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'remove', path: 'emails[type eq "work"].primary' }));
    expect(result.resource.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work' },
      { value: 'babs@home.example', type: 'home' },
    ]);
  });

  it('when nothing matches, then nothing changes and no error is raised (a retried request succeeds)', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'remove', path: 'emails[type eq "other"]' }));
    expect(result.changed).toBe(false);
  });

  it('when a multi-valued attribute is removed with a value, then only the listed values go', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'Remove', path: 'emails', value: [{ value: 'babs@home.example' }] }));
    expect(result.resource.emails).toEqual([{ value: 'bjensen@example.com', type: 'work', primary: true }]);
  });

  it('when the last extension attribute is removed, then the extension object and its schemas entry go', () => {
    const user = aUser({ schemas: [USER_URN, ENTERPRISE_URN], [ENTERPRISE_URN]: { department: 'Tours' } });
    const result = patch(userView, user, patchBody({ op: 'remove', path: `${ENTERPRISE_URN}:department` }));
    expect(result.resource).not.toHaveProperty(ENTERPRISE_URN);
    expect(result.resource.schemas).toEqual([USER_URN]);
  });

  it('when the path is an extension URN, then the whole extension object is removed', () => {
    const user = aUser({ schemas: [USER_URN, ENTERPRISE_URN], [ENTERPRISE_URN]: { department: 'Tours', costCenter: '1' } });
    const result = patch(userView, user, patchBody({ op: 'remove', path: ENTERPRISE_URN }));
    expect(result.resource).not.toHaveProperty(ENTERPRISE_URN);
  });

  it('when the removed attribute was not there, then changed is false', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'remove', path: 'nickName' }));
    expect(result.changed).toBe(false);
  });
});

describe('readOnly attributes in path-less values', () => {
  it('when the value repeats the current id, then it is ignored', () => {
    const result = patch(userView, aUser(), patchBody({ op: 'replace', value: { id: 'u-1', nickName: 'B' } }));
    expect(result.resource).toMatchObject({ id: 'u-1', nickName: 'B' });
  });

  it('when the value would change a readOnly attribute, then 400 mutability', () => {
    for (const value of [{ id: 'other' }, { meta: { created: '2000-01-01T00:00:00Z' } }, { groups: [{ value: 'g-9' }] }]) {
      const error = errorOf(() => patch(userView, aUser(), patchBody({ op: 'replace', value })));
      expect(error).toMatchObject({ status: 400, scimType: 'mutability', code: 'SCIM_PATCH_READ_ONLY' });
    }
  });
});

describe('operations apply in order, all or nothing', () => {
  it('when a later operation fails, then the error is raised and the caller has nothing to write', () => {
    const user = aUser();
    const error = errorOf(() => patch(userView, user, patchBody({ op: 'replace', path: 'nickName', value: 'B' }, { op: 'replace', path: 'emails[type eq "other"].value', value: 'x' })));
    expect(error.scimType).toBe('noTarget');
    expect(user).toEqual(aUser());
  });

  it('when one operation builds on an earlier one, then it sees its result', () => {
    const result = patch(
      userView,
      aUser(),
      patchBody({ op: 'add', path: 'phoneNumbers[type eq "mobile"].value', value: '555' }, { op: 'replace', path: 'phoneNumbers[type eq "mobile"].display', value: 'Mobile' }),
    );
    expect(result.resource.phoneNumbers).toEqual([{ type: 'mobile', value: '555', display: 'Mobile' }]);
  });
});
