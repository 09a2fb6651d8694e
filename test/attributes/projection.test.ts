import { loadSchemaRegistry } from '../../src/attributes/registry';
import { CORE_GROUP_URN, CORE_USER_URN, CUSTOM_USER_URN, ENTERPRISE_USER_URN } from '../../src/attributes/urns';

const registry = loadSchemaRegistry();

const user = (): Record<string, unknown> => ({
  schemas: [CORE_USER_URN, ENTERPRISE_USER_URN, CUSTOM_USER_URN],
  id: 'u-1',
  externalId: 'ext-1',
  userName: 'bjensen',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  emails: [
    { value: 'b@example.com', type: 'work', primary: true },
    { value: 'b@home.example', type: 'home' },
  ],
  active: true,
  password: 'must never leak',
  [ENTERPRISE_USER_URN]: { department: 'Sales', manager: { value: 'u-2', displayName: 'Boss' } },
  [CUSTOM_USER_URN]: { country: 'US' },
  meta: { resourceType: 'User', created: '2024-01-01T00:00:00.000Z', lastModified: '2024-01-02T00:00:00.000Z' },
});

const group = (): Record<string, unknown> => ({
  schemas: [CORE_GROUP_URN],
  id: 'grp_1',
  displayName: 'Sales',
  members: [{ value: 'u-1', display: 'bjensen' }],
  meta: { resourceType: 'Group' },
});

describe('project: attributes', () => {
  it('when attributes=userName, then only id, schemas and userName are returned', () => {
    expect(registry.project('User', user(), { attributes: ['userName'] })).toEqual({
      schemas: [CORE_USER_URN],
      id: 'u-1',
      userName: 'bjensen',
    });
  });

  it('matches attribute names case-insensitively and accepts comma-separated lists', () => {
    expect(registry.project('User', user(), { attributes: ['USERNAME, active'] })).toEqual({
      schemas: [CORE_USER_URN],
      id: 'u-1',
      userName: 'bjensen',
      active: true,
    });
  });

  it('selects sub-attributes, element by element in multi-valued attributes', () => {
    expect(registry.project('User', user(), { attributes: ['name.givenName', 'emails.value', 'meta.created'] })).toEqual({
      schemas: [CORE_USER_URN],
      id: 'u-1',
      name: { givenName: 'Barbara' },
      emails: [{ value: 'b@example.com' }, { value: 'b@home.example' }],
      meta: { created: '2024-01-01T00:00:00.000Z' },
    });
  });

  it('selects URN-qualified extension attributes and whole extensions, keeping schemas in step', () => {
    expect(registry.project('User', user(), { attributes: [`${ENTERPRISE_USER_URN}:manager.value`] })).toEqual({
      schemas: [CORE_USER_URN, ENTERPRISE_USER_URN],
      id: 'u-1',
      [ENTERPRISE_USER_URN]: { manager: { value: 'u-2' } },
    });
    expect(registry.project('User', user(), { attributes: [CUSTOM_USER_URN] })).toEqual({
      schemas: [CORE_USER_URN, CUSTOM_USER_URN],
      id: 'u-1',
      [CUSTOM_USER_URN]: { country: 'US' },
    });
  });

  it('never returns the password, even when asked for it', () => {
    expect(registry.project('User', user(), { attributes: ['password', 'userName'] })).not.toHaveProperty('password');
    expect(registry.project('User', user(), {})).not.toHaveProperty('password');
  });

  it('when attributes names only unknown attributes, then id and schemas remain', () => {
    expect(registry.project('User', user(), { attributes: ['shoeSize'] })).toEqual({ schemas: [CORE_USER_URN], id: 'u-1' });
  });
});

describe('project: excludedAttributes and defaults', () => {
  it('without a selection, returns every default attribute except the password', () => {
    const { password: _password, ...expected } = user();
    expect(registry.project('User', user(), {})).toEqual(expected);
  });

  it('when excludedAttributes=members, then a Group comes back without members', () => {
    expect(registry.project('Group', group(), { excludedAttributes: ['members'] })).toEqual({
      schemas: [CORE_GROUP_URN],
      id: 'grp_1',
      displayName: 'Sales',
      meta: { resourceType: 'Group' },
    });
  });

  it('excludes sub-attributes and whole extensions; id and schemas cannot be excluded', () => {
    const projected = registry.project('User', user(), {
      excludedAttributes: ['id', 'schemas', 'emails.type', 'name', ENTERPRISE_USER_URN, `${CUSTOM_USER_URN}:country`],
    });
    expect(projected).toEqual({
      schemas: [CORE_USER_URN],
      id: 'u-1',
      externalId: 'ext-1',
      userName: 'bjensen',
      emails: [{ value: 'b@example.com', primary: true }, { value: 'b@home.example' }],
      active: true,
      meta: user().meta,
    });
  });

  it('does not modify the resource it is given', () => {
    const resource = user();
    registry.project('User', resource, { excludedAttributes: ['emails.type'] });
    expect(resource).toEqual(user());
  });
});

describe('includes', () => {
  it('tells whether group members would be returned, so they need not be loaded', () => {
    expect(registry.includes('Group', 'members', {})).toBe(true);
    expect(registry.includes('Group', 'members', { excludedAttributes: ['members'] })).toBe(false);
    expect(registry.includes('Group', 'members', { excludedAttributes: ['Members'] })).toBe(false);
    expect(registry.includes('Group', 'members', { excludedAttributes: ['members.display'] })).toBe(true);
    expect(registry.includes('Group', 'members', { attributes: ['displayName'] })).toBe(false);
    expect(registry.includes('Group', 'members', { attributes: ['members.value'] })).toBe(true);
  });

  it('always includes id and never includes the password', () => {
    expect(registry.includes('User', 'id', { attributes: ['userName'], excludedAttributes: ['id'] })).toBe(true);
    expect(registry.includes('User', 'password', { attributes: ['password'] })).toBe(false);
  });

  it('understands URN-qualified names and whole-extension selections', () => {
    expect(registry.includes('User', `${ENTERPRISE_USER_URN}:department`, { attributes: [ENTERPRISE_USER_URN] })).toBe(true);
    expect(registry.includes('User', `${ENTERPRISE_USER_URN}:department`, { excludedAttributes: [ENTERPRISE_USER_URN] })).toBe(false);
    expect(registry.includes('User', 'groups', { attributes: ['userName'] })).toBe(false);
  });
});
