import { loadSchemaRegistry } from '../../src/attributes/registry';
import { CORE_GROUP_URN, CORE_USER_URN, CUSTOM_USER_URN, ENTERPRISE_USER_URN } from '../../src/attributes/urns';

const registry = loadSchemaRegistry();
const users = registry.view('User');
const groups = registry.view('Group');

describe('SchemaView.resolve', () => {
  it('exposes the core and extension URNs of each resource type', () => {
    expect(users.coreSchema).toBe(CORE_USER_URN);
    expect(users.extensionSchemas).toEqual([ENTERPRISE_USER_URN, CUSTOM_USER_URN]);
    expect(groups.coreSchema).toBe(CORE_GROUP_URN);
    expect(groups.extensionSchemas).toEqual([]);
  });

  it('resolves core attributes case-insensitively to canonical scim and attrs paths', () => {
    expect(users.resolve('USERNAME')).toMatchObject({
      scimPath: ['userName'],
      mongoPath: 'attrs.userName',
      lowerShadowPath: 'lc.userName',
      schema: CORE_USER_URN,
      definition: { name: 'userName', caseExact: false },
    });
    const given = users.resolve('name.GivenName');
    expect(given).toMatchObject({ scimPath: ['name', 'givenName'], mongoPath: 'attrs.name.givenName' });
    expect(given?.parent?.name).toBe('name');
    expect(given?.lowerShadowPath).toBeUndefined();
  });

  it('gives the lower-cased shadows of userName, displayName and emails.value for Users and displayName for Groups', () => {
    expect(users.resolve('displayName')?.lowerShadowPath).toBe('lc.displayName');
    expect(users.resolve('emails.value')).toMatchObject({ mongoPath: 'attrs.emails.value', lowerShadowPath: 'lc.emails' });
    expect(users.resolve('emails.type')?.lowerShadowPath).toBeUndefined();
    expect(groups.resolve('displayname')).toMatchObject({ mongoPath: 'attrs.displayName', lowerShadowPath: 'lc.displayName' });
  });

  it('maps id, externalId and meta dates to their stored fields', () => {
    expect(users.resolve('id')).toMatchObject({ mongoPath: '_id', definition: { caseExact: true, returned: 'always' } });
    expect(users.resolve('externalId')).toMatchObject({ mongoPath: 'attrs.externalId', definition: { caseExact: true } });
    expect(users.resolve('meta.created')).toMatchObject({ scimPath: ['meta', 'created'], mongoPath: 'createdAt', definition: { type: 'dateTime' } });
    expect(groups.resolve('META.LASTMODIFIED')).toMatchObject({ mongoPath: 'updatedAt' });
  });

  it('marks meta attributes that are derived when rendering with an empty mongoPath', () => {
    expect(users.resolve('meta.resourceType')?.mongoPath).toBe('');
    expect(users.resolve('meta.location')?.mongoPath).toBe('');
  });

  it('resolves URN-qualified extension attributes under their storage key', () => {
    expect(users.resolve(`${ENTERPRISE_USER_URN}:manager.value`)).toMatchObject({
      scimPath: [ENTERPRISE_USER_URN, 'manager', 'value'],
      mongoPath: 'attrs.enterprise.manager.value',
      schema: ENTERPRISE_USER_URN,
      definition: { name: 'value' },
      parent: { name: 'manager' },
    });
    expect(users.resolve(`${CUSTOM_USER_URN.toUpperCase()}:HIREDATE`)).toMatchObject({
      scimPath: [CUSTOM_USER_URN, 'hireDate'],
      mongoPath: 'attrs.custom.hireDate',
      definition: { type: 'dateTime' },
    });
  });

  it('resolves URN-qualified core attributes like unqualified ones', () => {
    expect(users.resolve(`${CORE_USER_URN}:userName`)?.mongoPath).toBe('attrs.userName');
    expect(users.resolve(`${CORE_USER_URN}:name.familyName`)?.scimPath).toEqual(['name', 'familyName']);
  });

  it('resolves an unqualified extension attribute name (rules say `department`), core names first', () => {
    expect(users.resolve('department')).toMatchObject({ schema: ENTERPRISE_USER_URN, mongoPath: 'attrs.enterprise.department' });
    expect(users.resolve('country')).toMatchObject({ schema: CUSTOM_USER_URN, mongoPath: 'attrs.custom.country' });
    expect(users.resolve('displayName')?.schema).toBe(CORE_USER_URN);
  });

  it('resolves a sub-attribute relative to its parent for value filters (emails[type eq "work"])', () => {
    const emails = users.resolve('emails');
    expect(emails).toBeDefined();
    expect(users.resolve('TYPE', emails)).toMatchObject({
      scimPath: ['emails', 'type'],
      mongoPath: 'attrs.emails.type',
      parent: { name: 'emails' },
    });
    expect(users.resolve('value', emails)?.lowerShadowPath).toBe('lc.emails');
    const manager = users.resolve(`${ENTERPRISE_USER_URN}:manager`);
    expect(users.resolve('value', manager)?.mongoPath).toBe('attrs.enterprise.manager.value');
    expect(users.resolve('nope', emails)).toBeUndefined();
    expect(users.resolve('type', users.resolve('userName'))).toBeUndefined();
  });

  it('resolves Group members and User groups outside attrs, since memberships live in their own collection', () => {
    expect(groups.resolve('members.value')).toMatchObject({ mongoPath: 'members.value', definition: { caseExact: true } });
    expect(groups.resolve('members')?.mongoPath).toBe('members');
    expect(users.resolve('groups.display')?.mongoPath).toBe('groups.display');
  });

  it('returns undefined for unknown, too deep or wrong-schema paths', () => {
    for (const path of ['nope', 'name.nope', 'emails.value.x', 'urn:example:x:2.0:User:foo', ENTERPRISE_USER_URN, `${ENTERPRISE_USER_URN}:userName`, '']) {
      expect({ path, resolved: users.resolve(path) }).toEqual({ path, resolved: undefined });
    }
    expect(groups.resolve('userName')).toBeUndefined();
  });
});
