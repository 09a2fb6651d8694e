import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../src/errors/app-error';
import { findSchemasDirectory, loadSchemaRegistry } from '../../src/attributes/registry';
import { CORE_GROUP_URN, CORE_USER_URN, CUSTOM_USER_URN, ENTERPRISE_USER_URN } from '../../src/attributes/urns';

const registry = loadSchemaRegistry();
const create = { mode: 'create' } as const;

function validateUser(body: unknown) {
  return registry.validateResource('User', body, create);
}

/** The AppError a call throws, so tests can assert kind, scimType and code together. */
function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError to be thrown');
}

describe('validateResource: real IdP requests', () => {
  it('accepts the Entra create-user request from Microsoft docs and stores the expected attrs', () => {
    // entra-docs use-scim-to-provision-users-and-groups.md, "Create User" request, verbatim.
    const body = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
      active: true,
      emails: [{ primary: true, type: 'work', value: 'Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
    };
    expect(validateUser(body)).toEqual({
      attrs: {
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
        userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
        active: true,
        emails: [{ primary: true, type: 'work', value: 'Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com' }],
        name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      },
    });
  });

  it('accepts the Okta create-user request from the Okta SCIM 2.0 reference; the password is kept apart', () => {
    // okta-developer-docs reference/scim/scim-20, "Create the User" request, verbatim.
    const body = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'test.user@okta.local',
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: '1mz050nq',
      active: true,
    };
    expect(validateUser(body)).toEqual({
      attrs: {
        userName: 'test.user@okta.local',
        name: { givenName: 'Test', familyName: 'User' },
        emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
        displayName: 'Test User',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        active: true,
      },
      password: '1mz050nq',
    });
  });

  it('accepts an Okta PUT carrying id, meta and groups, ignoring those readOnly attributes', () => {
    const body = {
      schemas: [CORE_USER_URN],
      id: '23a35c27-23d3-4c03-b4c5-6443c09e7173',
      userName: 'test.user@okta.local',
      name: { givenName: 'Another', middleName: 'Excited', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work', display: 'test.user@okta.local' }],
      active: true,
      groups: [{ value: 'g1' }],
      meta: { resourceType: 'User' },
    };
    const { attrs } = registry.validateResource('User', body, { mode: 'replace', existing: { userName: 'x' } });
    expect(attrs).toEqual({
      userName: 'test.user@okta.local',
      name: { givenName: 'Another', middleName: 'Excited', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work', display: 'test.user@okta.local' }],
      active: true,
    });
  });

  it("accepts Entra's Create Group, which lists Microsoft's ADSCIM schema next to the core one", () => {
    const body = {
      schemas: [CORE_GROUP_URN, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'displayName',
      meta: { resourceType: 'Group' },
    };
    expect(registry.validateResource('Group', body, create)).toEqual({
      attrs: { externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'displayName' },
    });
  });

  it('returns Okta group members separately and never stores them in attrs', () => {
    const body = {
      schemas: [CORE_GROUP_URN],
      displayName: 'Test SCIMv2',
      members: [
        { value: '23a35c27-23d3-4c03-b4c5-6443c09e7173', display: 'test.user@okta.local' },
        { value: '89bb1940-b905-4575-9e7f-6f887cfb368e', display: 'other@okta.local', $ref: null, type: 'User' },
        { value: '23a35c27-23d3-4c03-b4c5-6443c09e7173' },
      ],
    };
    expect(registry.validateResource('Group', body, create)).toEqual({
      attrs: { displayName: 'Test SCIMv2' },
      members: [
        { value: '23a35c27-23d3-4c03-b4c5-6443c09e7173', display: 'test.user@okta.local' },
        { value: '89bb1940-b905-4575-9e7f-6f887cfb368e', display: 'other@okta.local', type: 'User' },
      ],
    });
  });

  it('when members is empty or null, then members is [] (distinct from absent, which is undefined)', () => {
    const withEmpty = registry.validateResource('Group', { schemas: [CORE_GROUP_URN], displayName: 'a', members: [] }, create);
    const withNull = registry.validateResource('Group', { schemas: [CORE_GROUP_URN], displayName: 'a', members: null }, create);
    const without = registry.validateResource('Group', { schemas: [CORE_GROUP_URN], displayName: 'a' }, create);
    expect(withEmpty.members).toEqual([]);
    expect(withNull.members).toEqual([]);
    expect(without.members).toBeUndefined();
  });

  it('when a member has no string value, then 400 invalidValue', () => {
    const err = errorOf(() => registry.validateResource('Group', { schemas: [CORE_GROUP_URN], displayName: 'a', members: [{ display: 'x' }] }, create));
    expect(err).toMatchObject({ status: 400, scimType: 'invalidValue', code: 'SCIM_MEMBER_VALUE_MISSING' });
  });
});

describe('validateResource: schemas attribute', () => {
  it('when the body is not an object, then 400 invalidSyntax', () => {
    for (const body of [null, [], 'x', 3]) {
      expect(errorOf(() => validateUser(body))).toMatchObject({ status: 400, scimType: 'invalidSyntax' });
    }
  });

  it('when schemas is missing or lacks the core URN, then 400 invalidSyntax SCIM_SCHEMAS_MISSING', () => {
    for (const schemas of [undefined, 'x', [ENTERPRISE_USER_URN], [CORE_GROUP_URN]]) {
      expect(errorOf(() => validateUser({ schemas, userName: 'a' }))).toMatchObject({
        status: 400,
        scimType: 'invalidSyntax',
        code: 'SCIM_SCHEMAS_MISSING',
      });
    }
  });

  it('when schemas names an unknown URN, then 400 invalidSyntax SCIM_UNKNOWN_SCHEMA', () => {
    const err = errorOf(() => validateUser({ schemas: [CORE_USER_URN, 'urn:example:unknown:2.0:User'], userName: 'a' }));
    expect(err).toMatchObject({ status: 400, scimType: 'invalidSyntax', code: 'SCIM_UNKNOWN_SCHEMA' });
    expect(err.message).toContain('urn:example:unknown:2.0:User');
  });

  it('when a Group URN appears in a User body, then it is unknown for that resource type', () => {
    expect(errorOf(() => validateUser({ schemas: [CORE_USER_URN, CORE_GROUP_URN], userName: 'a' })).code).toBe('SCIM_UNKNOWN_SCHEMA');
  });

  it('URNs in schemas are matched case-insensitively', () => {
    expect(validateUser({ schemas: [CORE_USER_URN.toLowerCase()], userName: 'a' }).attrs).toEqual({ userName: 'a' });
  });
});

describe('validateResource: attribute names and unknown attributes', () => {
  it('canonicalises attribute and sub-attribute names to the schema spelling', () => {
    const { attrs } = validateUser({
      Schemas: [CORE_USER_URN],
      username: 'bjensen',
      NAME: { GIVENNAME: 'Barbara', familyname: 'Jensen' },
      Emails: [{ VALUE: 'b@example.com', Type: 'work', PRIMARY: true }],
      ExternalID: 'ext-1',
    });
    expect(attrs).toEqual({
      userName: 'bjensen',
      name: { givenName: 'Barbara', familyName: 'Jensen' },
      emails: [{ value: 'b@example.com', type: 'work', primary: true }],
      externalId: 'ext-1',
    });
  });

  it('drops unknown attributes and unknown sub-attributes without an error', () => {
    const { attrs } = validateUser({
      schemas: [CORE_USER_URN],
      userName: 'a',
      favouriteColour: 'blue',
      department: 'top-level enterprise names are not core attributes',
      name: { givenName: 'A', nickname: 'not a name sub-attribute' },
    });
    expect(attrs).toEqual({ userName: 'a', name: { givenName: 'A' } });
  });

  it('treats null, [] and {} as unassigned and drops them (RFC 7643 §2.5)', () => {
    // The shape of the Entra "Provision a user" example: unassigned attributes sent as null.
    const { attrs } = validateUser({
      schemas: [CORE_USER_URN],
      userName: 'jyoung@testuser.com',
      addresses: null,
      phoneNumbers: null,
      preferredLanguage: null,
      title: null,
      roles: [],
      name: {},
      emails: [null],
    });
    expect(attrs).toEqual({ userName: 'jyoung@testuser.com' });
  });

  it('accepts a dotted sub-attribute key for a singular complex attribute', () => {
    const { attrs } = validateUser({ schemas: [CORE_USER_URN], userName: 'a', 'name.givenName': 'A', name: { familyName: 'B' } });
    expect(attrs).toEqual({ userName: 'a', name: { givenName: 'A', familyName: 'B' } });
  });
});

describe('validateResource: extensions', () => {
  it('stores enterprise attributes sent as an object under the URN key', () => {
    const { attrs } = validateUser({
      schemas: [CORE_USER_URN, ENTERPRISE_USER_URN],
      userName: 'a',
      [ENTERPRISE_USER_URN]: { department: 'Sales', Manager: { value: 'u-2', displayName: 'readOnly, dropped' } },
    });
    expect(attrs).toEqual({ userName: 'a', enterprise: { department: 'Sales', manager: { value: 'u-2' } } });
  });

  it('stores flat URN-qualified keys (as Entra sends them) in the same place', () => {
    const { attrs } = validateUser({
      schemas: [CORE_USER_URN, ENTERPRISE_USER_URN],
      userName: 'a',
      [`${ENTERPRISE_USER_URN}:department`]: 'Sales',
      [`${ENTERPRISE_USER_URN}:manager`]: 'u-2',
      [`${ENTERPRISE_USER_URN.toUpperCase()}:EmployeeNumber`]: '42',
    });
    expect(attrs).toEqual({ userName: 'a', enterprise: { department: 'Sales', manager: { value: 'u-2' }, employeeNumber: '42' } });
  });

  it('merges the object form and flat keys of one extension', () => {
    const { attrs } = validateUser({
      schemas: [CORE_USER_URN],
      userName: 'a',
      [ENTERPRISE_USER_URN]: { department: 'Sales' },
      [`${ENTERPRISE_USER_URN}:costCenter`]: 'CC-1',
    });
    expect(attrs.enterprise).toEqual({ department: 'Sales', costCenter: 'CC-1' });
  });

  it('accepts an extension present in the body although missing from schemas (Entra omits it)', () => {
    const { attrs } = validateUser({ schemas: [CORE_USER_URN], userName: 'a', [CUSTOM_USER_URN]: { country: 'US' } });
    expect(attrs).toEqual({ userName: 'a', custom: { country: 'US' } });
  });

  it('stores the custom extension under "custom", coercing its typed attributes', () => {
    const { attrs } = validateUser({
      schemas: [CORE_USER_URN, CUSTOM_USER_URN],
      userName: 'a',
      [CUSTOM_USER_URN]: {
        audience: 'Customer',
        country: 'US',
        region: 'AMER',
        workspace: 'north',
        tags: 'vip',
        level: '3',
        hireDate: '2021-04-01T09:00:00Z',
        contractor: 'False',
      },
    });
    expect(attrs.custom).toEqual({
      audience: 'Customer',
      country: 'US',
      region: 'AMER',
      workspace: 'north',
      tags: ['vip'],
      level: 3,
      hireDate: '2021-04-01T09:00:00Z',
      contractor: false,
    });
  });

  it('does not enforce canonicalValues (audience and emails.type accept other values)', () => {
    const { attrs } = validateUser({
      schemas: [CORE_USER_URN],
      userName: 'a',
      emails: [{ value: 'a@x.io', type: 'alias' }],
      [CUSTOM_USER_URN]: { audience: 'partner' },
    });
    expect(attrs).toEqual({ userName: 'a', emails: [{ value: 'a@x.io', type: 'alias' }], custom: { audience: 'partner' } });
  });

  it('when an extension key holds a non-object, then 400 invalidValue', () => {
    expect(errorOf(() => validateUser({ schemas: [CORE_USER_URN], userName: 'a', [ENTERPRISE_USER_URN]: 'x' }))).toMatchObject({
      scimType: 'invalidValue',
      code: 'SCIM_INVALID_TYPE',
    });
  });
});

describe('validateResource: types and coercions', () => {
  const user = (extra: Record<string, unknown>) => validateUser({ schemas: [CORE_USER_URN], userName: 'a', ...extra }).attrs;

  it('coerces Entra string booleans "True"/"False" to booleans, also in sub-attributes', () => {
    expect(user({ active: 'False', emails: [{ value: 'a@x.io', primary: 'True' }] })).toEqual({
      userName: 'a',
      active: false,
      emails: [{ value: 'a@x.io', primary: true }],
    });
    expect(user({ active: 'true' }).active).toBe(true);
  });

  it('coerces numeric strings for integer attributes and refuses non-integers', () => {
    expect(user({ [CUSTOM_USER_URN]: { level: ' 7 ' } }).custom).toEqual({ level: 7 });
    const err = errorOf(() => user({ [CUSTOM_USER_URN]: { level: 2.5 } }));
    expect(err).toMatchObject({ status: 400, scimType: 'invalidValue', code: 'SCIM_INVALID_TYPE' });
    expect(err.message).toContain(`${CUSTOM_USER_URN}:level`);
  });

  it('accepts a number where a string is expected (employee numbers typed as numbers in the IdP)', () => {
    expect(user({ [ENTERPRISE_USER_URN]: { employeeNumber: 1234 } }).enterprise).toEqual({ employeeNumber: '1234' });
  });

  it('wraps a single object given for a multi-valued attribute', () => {
    expect(user({ emails: { value: 'a@x.io', type: 'work' } }).emails).toEqual([{ value: 'a@x.io', type: 'work' }]);
  });

  it('unwraps a one-element array given for a singular attribute (Entra PATCHes manager that way)', () => {
    expect(user({ [ENTERPRISE_USER_URN]: { manager: [{ value: 'u-9', $ref: 'https://x/Users/u-9' }] } }).enterprise).toEqual({
      manager: { value: 'u-9', $ref: 'https://x/Users/u-9' },
    });
  });

  it('keeps a valid dateTime as sent and refuses one that does not parse', () => {
    expect(user({ [CUSTOM_USER_URN]: { hireDate: '2020-02-29T10:00:00.5+02:00' } }).custom).toEqual({
      hireDate: '2020-02-29T10:00:00.5+02:00',
    });
    for (const hireDate of ['yesterday', '2020-13-45T99:00:00Z', 20200101]) {
      expect(errorOf(() => user({ [CUSTOM_USER_URN]: { hireDate } })).code).toBe('SCIM_INVALID_TYPE');
    }
  });

  it.each([
    ['userName as an object', { userName: { a: 1 } }, 'userName'],
    ['active as a word', { active: 'yes' }, 'active'],
    ['name as a string', { name: 'Barbara Jensen' }, 'name'],
    ['emails.value as a boolean', { emails: [{ value: true }] }, 'emails.value'],
    ['emails.primary as a number', { emails: [{ value: 'a@x.io', primary: 1 }] }, 'emails.primary'],
    ['a list for a singular attribute', { displayName: ['a', 'b'] }, 'displayName'],
    ['x509 value that is not base64', { x509Certificates: [{ value: 'not base64!' }] }, 'x509Certificates.value'],
  ])('when %s, then 400 invalidValue SCIM_INVALID_TYPE naming the attribute', (_case, extra, path) => {
    const err = errorOf(() => validateUser({ schemas: [CORE_USER_URN], userName: 'a', ...extra }));
    expect(err).toMatchObject({ status: 400, scimType: 'invalidValue', code: 'SCIM_INVALID_TYPE' });
    expect(err.message).toContain(`'${path}'`);
  });
});

describe('validateResource: required, primary, password', () => {
  it.each([
    ['missing', {}],
    ['empty', { userName: '' }],
    ['blank', { userName: '   ' }],
    ['null', { userName: null }],
  ])('when userName is %s, then 400 invalidValue SCIM_REQUIRED_MISSING', (_case, extra) => {
    expect(errorOf(() => validateUser({ schemas: [CORE_USER_URN], ...extra }))).toMatchObject({
      status: 400,
      scimType: 'invalidValue',
      code: 'SCIM_REQUIRED_MISSING',
    });
  });

  it('when a Group has no displayName, then 400 SCIM_REQUIRED_MISSING', () => {
    expect(errorOf(() => registry.validateResource('Group', { schemas: [CORE_GROUP_URN], members: [] }, create)).code).toBe('SCIM_REQUIRED_MISSING');
  });

  it('when two values of a multi-valued attribute are primary, then 400 SCIM_PRIMARY_NOT_UNIQUE', () => {
    const err = errorOf(() =>
      validateUser({
        schemas: [CORE_USER_URN],
        userName: 'a',
        phoneNumbers: [
          { value: '1', primary: true },
          { value: '2', primary: 'True' },
        ],
      }),
    );
    expect(err).toMatchObject({ scimType: 'invalidValue', code: 'SCIM_PRIMARY_NOT_UNIQUE' });
    expect(err.message).toContain('phoneNumbers');
  });

  it('returns the password apart and never in attrs, and refuses a non-string password', () => {
    const result = validateUser({ schemas: [CORE_USER_URN], userName: 'a', PassWord: 's3cret' });
    expect(result.password).toBe('s3cret');
    expect(result.attrs).not.toHaveProperty('password');
    expect(errorOf(() => validateUser({ schemas: [CORE_USER_URN], userName: 'a', password: { a: 1 } })).code).toBe('SCIM_INVALID_TYPE');
  });
});

describe('validateResource: replace mode', () => {
  it('keeps the stored readOnly manager.displayName while the manager is still set', () => {
    const existing = { userName: 'a', enterprise: { manager: { value: 'u-2', displayName: 'Boss' } } };
    const { attrs } = registry.validateResource(
      'User',
      { schemas: [CORE_USER_URN], userName: 'a', [ENTERPRISE_USER_URN]: { manager: { value: 'u-3', displayName: 'Ignored' } } },
      { mode: 'replace', existing },
    );
    expect(attrs.enterprise).toEqual({ manager: { value: 'u-3', displayName: 'Boss' } });
  });

  it('replaces everything else: attributes absent from the body are unassigned', () => {
    const existing = { userName: 'a', title: 'Old', enterprise: { department: 'Sales' } };
    const { attrs } = registry.validateResource('User', { schemas: [CORE_USER_URN], userName: 'a' }, { mode: 'replace', existing });
    expect(attrs).toEqual({ userName: 'a' });
  });

  describe('with an immutable attribute', () => {
    let dir: string;
    let scratch: string;
    beforeAll(() => {
      // Our shipped schemas have no immutable stored attribute, so make one in a private copy.
      scratch = mkdtempSync(join(tmpdir(), 'scim-immutable-'));
      dir = join(scratch, 'scim-schemas');
      cpSync(findSchemasDirectory(), dir, { recursive: true });
      const file = join(dir, 'schemas', 'EnterpriseUser.json');
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { attributes: { name: string; mutability: string }[] };
      for (const a of doc.attributes) if (a.name === 'employeeNumber') a.mutability = 'immutable';
      writeFileSync(file, JSON.stringify(doc));
    });
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    const body = (employeeNumber?: string) => ({
      schemas: [CORE_USER_URN],
      userName: 'a',
      ...(employeeNumber === undefined ? {} : { [ENTERPRISE_USER_URN]: { employeeNumber } }),
    });
    const existing = { userName: 'a', enterprise: { employeeNumber: 'E-1' } };

    it('when its value changes, then 400 mutability SCIM_IMMUTABLE', () => {
      const err = errorOf(() => loadSchemaRegistry(dir).validateResource('User', body('E-2'), { mode: 'replace', existing }));
      expect(err).toMatchObject({ status: 400, scimType: 'mutability', code: 'SCIM_IMMUTABLE' });
      expect(err.message).toContain('employeeNumber');
    });

    it('when it is resent unchanged or omitted, then the stored value stays', () => {
      const same = loadSchemaRegistry(dir).validateResource('User', body('E-1'), { mode: 'replace', existing });
      const omitted = loadSchemaRegistry(dir).validateResource('User', body(), { mode: 'replace', existing });
      expect(same.attrs.enterprise).toEqual({ employeeNumber: 'E-1' });
      expect(omitted.attrs.enterprise).toEqual({ employeeNumber: 'E-1' });
    });

    it('when it was never set, then it may be set', () => {
      const { attrs } = loadSchemaRegistry(dir).validateResource('User', body('E-5'), { mode: 'replace', existing: { userName: 'a' } });
      expect(attrs.enterprise).toEqual({ employeeNumber: 'E-5' });
    });

    it('when creating, then immutability does not apply', () => {
      expect(loadSchemaRegistry(dir).validateResource('User', body('E-2'), { mode: 'create', existing }).attrs.enterprise).toEqual({
        employeeNumber: 'E-2',
      });
    });
  });
});
