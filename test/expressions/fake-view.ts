import type { AttributeDefinition, AttributeType, ResolvedAttribute, ResourceTypeName, SchemaView } from '../../src/attributes/types';

/**
 * A small hand-written SchemaView following the storage convention of schema/types.ts, so the
 * filter tests do not depend on the schema registry: core attributes under `attrs`, the
 * enterprise and custom extensions under `attrs.enterprise` / `attrs.custom`, lower-cased shadows
 * under `lc`, id/meta.created/meta.lastModified as `_id`/`createdAt`/`updatedAt`.
 */
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const CUSTOM = 'urn:scim-sync:params:scim:schemas:extension:custom:2.0:User';
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

function attr(name: string, type: AttributeType, options: { caseExact?: boolean; multiValued?: boolean; subAttributes?: AttributeDefinition[] } = {}): AttributeDefinition {
  return {
    name,
    type,
    multiValued: options.multiValued ?? false,
    required: false,
    caseExact: options.caseExact ?? false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...(options.subAttributes ? { subAttributes: options.subAttributes } : {}),
  };
}

const multiValuedSubs = () => [attr('value', 'string'), attr('type', 'string'), attr('primary', 'boolean'), attr('display', 'string')];

const COMMON: AttributeDefinition[] = [
  attr('id', 'string', { caseExact: true }),
  attr('externalId', 'string', { caseExact: true }),
  attr('meta', 'complex', {
    subAttributes: [attr('created', 'dateTime'), attr('lastModified', 'dateTime'), attr('resourceType', 'string', { caseExact: true }), attr('location', 'reference', { caseExact: true })],
  }),
];

const USER_CORE: AttributeDefinition[] = [
  attr('userName', 'string'),
  attr('displayName', 'string'),
  attr('title', 'string'),
  attr('active', 'boolean'),
  attr('name', 'complex', { subAttributes: [attr('givenName', 'string'), attr('familyName', 'string')] }),
  attr('emails', 'complex', { multiValued: true, subAttributes: multiValuedSubs() }),
  attr('phoneNumbers', 'complex', { multiValued: true, subAttributes: multiValuedSubs() }),
  attr('x509Certificates', 'complex', {
    multiValued: true,
    subAttributes: [attr('value', 'binary', { caseExact: true }), attr('type', 'string')],
  }),
  attr('groups', 'complex', { multiValued: true, subAttributes: [attr('value', 'string', { caseExact: true })] }),
];

const ENTERPRISE_ATTRIBUTES: AttributeDefinition[] = [
  attr('department', 'string'),
  attr('employeeNumber', 'string'),
  attr('manager', 'complex', { subAttributes: [attr('value', 'string', { caseExact: true }), attr('displayName', 'string')] }),
];

const CUSTOM_ATTRIBUTES: AttributeDefinition[] = [attr('level', 'integer'), attr('hireDate', 'dateTime'), attr('tags', 'string', { multiValued: true }), attr('contractor', 'boolean')];

const GROUP_CORE: AttributeDefinition[] = [
  attr('displayName', 'string'),
  attr('members', 'complex', { multiValued: true, subAttributes: [attr('value', 'string', { caseExact: true }), attr('display', 'string')] }),
];

const SHADOWS: Record<ResourceTypeName, Record<string, string>> = {
  User: { userName: 'lc.userName', displayName: 'lc.displayName', 'emails.value': 'lc.emails' },
  Group: { displayName: 'lc.displayName' },
};

interface Schema {
  urn: string;
  attributes: AttributeDefinition[];
  /** Under `attrs`, or undefined for the common attributes. */
  storageKey?: string;
}

const find = (defs: readonly AttributeDefinition[] | undefined, name: string) => defs?.find((d) => d.name.toLowerCase() === name.toLowerCase());

class FakeView implements SchemaView {
  readonly extensionSchemas: readonly string[];
  constructor(
    readonly resourceType: ResourceTypeName,
    readonly coreSchema: string,
    private readonly schemas: Schema[],
  ) {
    this.extensionSchemas = schemas.filter((s) => s.urn !== coreSchema && s.urn !== '').map((s) => s.urn);
  }

  resolve(path: string, within?: ResolvedAttribute): ResolvedAttribute | undefined {
    if (within) {
      if (within.parent || within.definition.type !== 'complex') return undefined;
      const sub = find(within.definition.subAttributes, path);
      if (!sub) return undefined;
      return this.build(within.scimPath, within.mongoPath, within.definition, sub, within.schema);
    }
    let rest = path;
    let schemas = this.schemas.filter((s) => s.urn === this.coreSchema || s.urn === '');
    for (const s of this.schemas) {
      if (s.urn !== '' && path.toLowerCase().startsWith(`${s.urn.toLowerCase()}:`)) {
        rest = path.slice(s.urn.length + 1);
        schemas = [s];
      }
    }
    const [name, subName, ...deeper] = rest.split('.');
    if (name === undefined || deeper.length > 0) return undefined;
    for (const schema of schemas) {
      const top = find(schema.attributes, name);
      if (!top) continue;
      const scimPath = schema.storageKey === undefined || schema.urn === this.coreSchema ? [top.name] : [schema.urn, top.name];
      const mongoPath = this.mongoPath(schema, top);
      if (subName === undefined) return this.build([], '', undefined, top, schema.urn || this.coreSchema, scimPath, mongoPath);
      const sub = find(top.subAttributes, subName);
      return sub ? this.build(scimPath, mongoPath, top, sub, schema.urn || this.coreSchema) : undefined;
    }
    return undefined;
  }

  private mongoPath(schema: Schema, top: AttributeDefinition): string {
    if (schema.storageKey === undefined) {
      if (top.name === 'id') return '_id';
      if (top.name === 'externalId') return 'attrs.externalId';
      return top.name === 'meta' ? '' : top.name;
    }
    if (top.name === 'groups' || top.name === 'members') return top.name; // not stored under attrs
    return schema.storageKey === '' ? `attrs.${top.name}` : `attrs.${schema.storageKey}.${top.name}`;
  }

  private build(
    parentScimPath: string[],
    parentMongoPath: string,
    parent: AttributeDefinition | undefined,
    definition: AttributeDefinition,
    schema: string,
    scimPath?: string[],
    mongoPath?: string,
  ): ResolvedAttribute {
    const resolvedScimPath = scimPath ?? [...parentScimPath, definition.name];
    let resolvedMongoPath = mongoPath ?? `${parentMongoPath}.${definition.name}`;
    if (parent?.name === 'meta') {
      resolvedMongoPath = definition.name === 'created' ? 'createdAt' : definition.name === 'lastModified' ? 'updatedAt' : '';
    }
    const resolved: ResolvedAttribute = { scimPath: resolvedScimPath, mongoPath: resolvedMongoPath, definition, schema };
    if (parent) resolved.parent = parent;
    const dotted = parent ? `${parent.name}.${definition.name}` : definition.name;
    const shadow = schema === this.coreSchema ? SHADOWS[this.resourceType][dotted] : undefined;
    if (shadow) resolved.lowerShadowPath = shadow;
    return resolved;
  }
}

export const fakeUserView: SchemaView = new FakeView('User', CORE_USER, [
  { urn: CORE_USER, attributes: USER_CORE, storageKey: '' },
  { urn: '', attributes: COMMON },
  { urn: ENTERPRISE, attributes: ENTERPRISE_ATTRIBUTES, storageKey: 'enterprise' },
  { urn: CUSTOM, attributes: CUSTOM_ATTRIBUTES, storageKey: 'custom' },
]);

export const fakeGroupView: SchemaView = new FakeView('Group', CORE_GROUP, [
  { urn: CORE_GROUP, attributes: GROUP_CORE, storageKey: '' },
  { urn: '', attributes: COMMON },
]);
