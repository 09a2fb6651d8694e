import { loadSchemaRegistry } from '../../src/attributes/registry';
import { CORE_GROUP_URN, CORE_USER_URN, CUSTOM_USER_URN, ENTERPRISE_USER_URN } from '../../src/attributes/urns';

const registry = loadSchemaRegistry();

describe('toScim', () => {
  it('renders stored attrs with extensions under their URNs and lists only the extensions present', () => {
    const attrs = {
      userName: 'bjensen',
      externalId: 'ext-1',
      active: false,
      enterprise: { department: 'Sales', manager: { value: 'u-2' } },
      custom: {},
    };
    expect(registry.toScim('User', attrs)).toEqual({
      schemas: [CORE_USER_URN, ENTERPRISE_USER_URN],
      externalId: 'ext-1',
      userName: 'bjensen',
      active: false,
      [ENTERPRISE_USER_URN]: { department: 'Sales', manager: { value: 'u-2' } },
    });
  });

  it('leaves out what is not stored SCIM data: passwords, members, unknown leftovers', () => {
    const scim = registry.toScim('Group', { displayName: 'Sales', members: [{ value: 'u-1' }], legacy: 1 });
    expect(scim).toEqual({ schemas: [CORE_GROUP_URN], displayName: 'Sales' });
    expect(registry.toScim('User', { userName: 'a', password: 'x' })).toEqual({ schemas: [CORE_USER_URN], userName: 'a' });
  });

  it('round-trips what validateResource produced', () => {
    const body = {
      schemas: [CORE_USER_URN, ENTERPRISE_USER_URN, CUSTOM_USER_URN],
      userName: 'a',
      emails: [{ value: 'A@X.io', type: 'work', primary: true }],
      [ENTERPRISE_USER_URN]: { costCenter: 'CC' },
      [CUSTOM_USER_URN]: { tags: ['x', 'y'], level: 2 },
    };
    const { attrs } = registry.validateResource('User', body, { mode: 'create' });
    expect(registry.toScim('User', attrs)).toEqual(body);
  });

  it('does not share objects with the stored attrs', () => {
    const attrs = { userName: 'a', name: { givenName: 'A' } };
    const scim = registry.toScim('User', attrs);
    (scim.name as Record<string, unknown>).givenName = 'changed';
    expect(attrs.name.givenName).toBe('A');
  });
});

describe('shadows', () => {
  it('lower-cases userName, displayName and every email value of a User, and keeps every value as search terms', () => {
    expect(
      registry.shadows('User', {
        userName: 'BJensen@Example.COM',
        displayName: 'Barbara Jensen',
        emails: [{ value: 'B@Example.com' }, { value: 'b@example.com' }, { value: 'Other@X.io' }, { type: 'work' }],
      }),
    ).toEqual({
      userName: 'bjensen@example.com',
      displayName: 'barbara jensen',
      emails: ['b@example.com', 'other@x.io'],
      terms: ['bjensen@example.com', 'bjensen', 'example.com', 'barbara jensen', 'barbara', 'jensen', 'b@example.com', 'b', 'other@x.io', 'other', 'x.io', 'work'],
    });
  });

  it('gives an empty emails list and no displayName when the User has none', () => {
    expect(registry.shadows('User', { userName: 'a' })).toEqual({ userName: 'a', emails: [], terms: ['a'] });
  });

  it('lower-cases a Group displayName', () => {
    expect(registry.shadows('Group', { displayName: 'Sales EMEA' })).toEqual({ displayName: 'sales emea' });
  });
});
