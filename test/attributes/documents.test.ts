import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSchemasDirectory, loadSchemaRegistry } from '../../src/attributes/registry';
import { CORE_GROUP_URN, CORE_USER_URN, CUSTOM_USER_URN, ENTERPRISE_USER_URN } from '../../src/attributes/urns';
import type { AttributeDefinition } from '../../src/attributes/types';

const CHARACTERISTICS = ['name', 'type', 'multiValued', 'description', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness'];

function everyAttribute(attributes: readonly AttributeDefinition[], prefix = ''): [string, AttributeDefinition][] {
  return attributes.flatMap((a) => [[`${prefix}${a.name}`, a] as [string, AttributeDefinition], ...everyAttribute(a.subAttributes ?? [], `${prefix}${a.name}.`)]);
}

describe('scim-schemas documents', () => {
  const registry = loadSchemaRegistry();

  it('when loaded from the repository, then the four schemas and two resource types are present', () => {
    expect(
      registry
        .schemas()
        .map((s) => s.id)
        .sort(),
    ).toEqual([CORE_GROUP_URN, CORE_USER_URN, ENTERPRISE_USER_URN, CUSTOM_USER_URN].sort());
    expect(
      registry
        .resourceTypes()
        .map((t) => t.name)
        .sort(),
    ).toEqual(['Group', 'User']);
  });

  it('every attribute and sub-attribute carries every RFC 7643 §7 characteristic', () => {
    for (const schema of registry.schemas()) {
      for (const [path, attribute] of everyAttribute(schema.attributes)) {
        for (const key of CHARACTERISTICS) {
          expect({ schema: schema.id, path, key, present: key in attribute }).toEqual({
            schema: schema.id,
            path,
            key,
            present: true,
          });
        }
        if (attribute.type === 'reference') expect(attribute.referenceTypes?.length).toBeGreaterThan(0);
        if (attribute.type === 'complex') expect(attribute.subAttributes?.length).toBeGreaterThan(0);
      }
    }
  });

  it('the core User schema has every RFC 7643 §4.1 attribute', () => {
    const names = registry.schema(CORE_USER_URN)?.attributes.map((a) => a.name);
    expect(names).toEqual([
      'userName',
      'name',
      'displayName',
      'nickName',
      'profileUrl',
      'title',
      'userType',
      'preferredLanguage',
      'locale',
      'timezone',
      'active',
      'password',
      'emails',
      'phoneNumbers',
      'ims',
      'photos',
      'addresses',
      'groups',
      'entitlements',
      'roles',
      'x509Certificates',
    ]);
  });

  it('password is writeOnly and never returned; groups is readOnly; userName is required and unique', () => {
    const attrs = new Map(everyAttribute(registry.schema(CORE_USER_URN)?.attributes ?? []));
    expect(attrs.get('password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
    expect(attrs.get('groups')).toMatchObject({ mutability: 'readOnly', multiValued: true });
    expect(attrs.get('groups.value')).toMatchObject({ mutability: 'readOnly' });
    expect(attrs.get('userName')).toMatchObject({ required: true, uniqueness: 'server', caseExact: false });
    expect(attrs.get('emails.type')?.canonicalValues).toEqual(['work', 'home', 'other']);
    expect(attrs.get('x509Certificates.value')).toMatchObject({ type: 'binary', caseExact: true });
  });

  it('the enterprise extension has manager with value, $ref and a readOnly displayName', () => {
    const manager = registry.schema(ENTERPRISE_USER_URN)?.attributes.find((a) => a.name === 'manager');
    expect(manager?.subAttributes?.map((s) => [s.name, s.mutability])).toEqual([
      ['value', 'readWrite'],
      ['$ref', 'readWrite'],
      ['displayName', 'readOnly'],
    ]);
    expect(registry.schema(ENTERPRISE_USER_URN)?.attributes.map((a) => a.name)).toEqual(['employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager']);
  });

  it('the Group schema requires displayName and defines members {value, $ref, display, type}', () => {
    const group = registry.schema(CORE_GROUP_URN);
    expect(group?.attributes.find((a) => a.name === 'displayName')?.required).toBe(true);
    const members = group?.attributes.find((a) => a.name === 'members');
    expect(members).toMatchObject({ multiValued: true, mutability: 'readWrite' });
    expect(members?.subAttributes?.map((s) => s.name)).toEqual(['value', '$ref', 'display', 'type']);
  });

  it('the custom extension describes the attributes access rules use, with their types', () => {
    const custom = registry.schema(CUSTOM_USER_URN);
    expect(custom?.attributes.map((a) => [a.name, a.type, a.multiValued])).toEqual([
      ['audience', 'string', false],
      ['country', 'string', false],
      ['region', 'string', false],
      ['workspace', 'string', false],
      ['tags', 'string', true],
      ['level', 'integer', false],
      ['hireDate', 'dateTime', false],
      ['contractor', 'boolean', false],
    ]);
    expect(custom?.attributes[0]).toMatchObject({ canonicalValues: ['user', 'customer'], caseExact: false });
  });

  it('the User resource type carries the enterprise and custom extensions, both optional', () => {
    expect(registry.resourceType('User')).toMatchObject({
      id: 'User',
      endpoint: '/Users',
      schema: CORE_USER_URN,
      schemaExtensions: [
        { schema: ENTERPRISE_USER_URN, required: false },
        { schema: CUSTOM_USER_URN, required: false },
      ],
    });
    expect(registry.resourceType('group')).toMatchObject({ endpoint: '/Groups', schema: CORE_GROUP_URN });
  });

  it('the service provider config advertises RFC 7643 §5 features and the RFC 9865 pagination block', () => {
    expect(registry.serviceProviderConfig()).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
      filter: { supported: true, maxResults: 1000 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken', primary: true })],
      pagination: {
        cursor: true,
        index: true,
        defaultPaginationMethod: 'index',
        defaultPageSize: 100,
        maxPageSize: 1000,
        cursorTimeout: 3600,
      },
    });
  });

  it('when the documents are loaded, then they are frozen so no caller can alter them for others', () => {
    expect(Object.isFrozen(registry.serviceProviderConfig())).toBe(true);
    expect(Object.isFrozen(registry.schema(CORE_USER_URN)?.attributes[0])).toBe(true);
  });

  it('storage keys come from the extension URNs', () => {
    expect(registry.storageKey(ENTERPRISE_USER_URN)).toBe('enterprise');
    expect(registry.storageKey(CUSTOM_USER_URN.toUpperCase())).toBe('custom');
    expect(registry.storageKey(CORE_USER_URN)).toBeUndefined();
  });
});

describe('locating and checking scim-schemas/', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'scim-schemas-test-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('when started from a compiled dist/src/attributes folder, then the repository copy is found', () => {
    const repo = join(scratch, 'repo');
    const compiled = join(repo, 'dist', 'src', 'attributes');
    mkdirSync(compiled, { recursive: true });
    mkdirSync(join(repo, 'scim-schemas'));
    expect(findSchemasDirectory(compiled)).toBe(join(repo, 'scim-schemas'));
  });

  it('when an attribute lacks a characteristic, then loading fails naming the file and attribute', () => {
    const copy = join(scratch, 'scim-schemas');
    cpSync(findSchemasDirectory(), copy, { recursive: true });
    const file = join(copy, 'schemas', 'Group.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { attributes: Record<string, unknown>[] };
    delete doc.attributes[0]?.uniqueness;
    writeFileSync(file, JSON.stringify(doc));
    expect(() => loadSchemaRegistry(copy)).toThrow(/Group\.json.*'displayName'\.uniqueness/);
  });
});
