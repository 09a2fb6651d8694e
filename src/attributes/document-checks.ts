import type { AttributeDefinition, ResourceTypeDefinition, SchemaDefinition } from './types';

/**
 * Structural checks of the documents in scim-schemas/, run once at load so that a broken edit
 * fails at startup instead of at the first request. Every attribute must carry every RFC 7643
 * §7 characteristic (discovery serves these documents as they are).
 */

const TYPES = ['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'binary', 'complex'];
const MUTABILITY = ['readOnly', 'readWrite', 'immutable', 'writeOnly'];
const RETURNED = ['always', 'never', 'default', 'request'];
const UNIQUENESS = ['none', 'server', 'global'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function fail(source: string, message: string): never {
  throw new Error(`Invalid SCIM document ${source}: ${message}`);
}

function checkAttribute(raw: unknown, where: string, source: string, isSub: boolean): AttributeDefinition {
  if (!isRecord(raw)) return fail(source, `${where} is not an object`);
  const name = raw.name;
  if (typeof name !== 'string' || !/^\$?[A-Za-z][\w-]*$/.test(name)) return fail(source, `${where} has no valid name`);
  const at = `${where} '${name}'`;
  const oneOf = (key: string, allowed: readonly string[]): void => {
    if (typeof raw[key] !== 'string' || !allowed.includes(raw[key])) fail(source, `${at}.${key} must be one of ${allowed.join(', ')}`);
  };
  oneOf('type', TYPES);
  oneOf('mutability', MUTABILITY);
  oneOf('returned', RETURNED);
  oneOf('uniqueness', UNIQUENESS);
  for (const key of ['multiValued', 'required', 'caseExact']) {
    if (typeof raw[key] !== 'boolean') fail(source, `${at}.${key} must be a boolean`);
  }
  if (typeof raw.description !== 'string') fail(source, `${at}.description must be a string`);
  if (raw.canonicalValues !== undefined && !isStringArray(raw.canonicalValues)) {
    fail(source, `${at}.canonicalValues must be an array of strings`);
  }
  if (raw.type === 'reference' && !isStringArray(raw.referenceTypes)) fail(source, `${at} needs referenceTypes`);
  if (raw.type === 'complex') {
    // RFC 7643 §2.3.8: a complex attribute MUST NOT contain sub-attributes that have sub-attributes.
    if (isSub) fail(source, `${at} is a complex sub-attribute`);
    if (!Array.isArray(raw.subAttributes) || raw.subAttributes.length === 0) fail(source, `${at} needs subAttributes`);
    raw.subAttributes.forEach((s, i) => checkAttribute(s, `${at}.subAttributes[${i}]`, source, true));
    assertUniqueNames(raw.subAttributes as AttributeDefinition[], at, source);
  } else if (raw.subAttributes !== undefined) {
    fail(source, `${at} has subAttributes but is not complex`);
  }
  return raw as unknown as AttributeDefinition;
}

function assertUniqueNames(definitions: readonly AttributeDefinition[], where: string, source: string): void {
  const seen = new Set<string>();
  for (const d of definitions) {
    const key = d.name.toLowerCase();
    if (seen.has(key)) fail(source, `${where} defines '${d.name}' twice (names are case-insensitive)`);
    seen.add(key);
  }
}

export function checkSchemaDocument(raw: unknown, source: string): SchemaDefinition {
  if (!isRecord(raw)) return fail(source, 'not a JSON object');
  if (typeof raw.id !== 'string' || !raw.id.startsWith('urn:')) fail(source, 'id must be a schema URN');
  if (typeof raw.name !== 'string') fail(source, 'name must be a string');
  if (!Array.isArray(raw.attributes) || raw.attributes.length === 0) fail(source, 'attributes must be a non-empty array');
  raw.attributes.forEach((a, i) => checkAttribute(a, `attributes[${i}]`, source, false));
  assertUniqueNames(raw.attributes as AttributeDefinition[], 'attributes', source);
  return raw as unknown as SchemaDefinition;
}

export function checkResourceTypeDocument(raw: unknown, source: string): ResourceTypeDefinition {
  if (!isRecord(raw)) return fail(source, 'not a JSON object');
  for (const key of ['id', 'name', 'endpoint', 'schema']) {
    if (typeof raw[key] !== 'string') fail(source, `${key} must be a string`);
  }
  if (!isStringArray(raw.schemas)) fail(source, 'schemas must be an array of URNs');
  const extensions = raw.schemaExtensions ?? [];
  if (!Array.isArray(extensions)) return fail(source, 'schemaExtensions must be an array');
  for (const e of extensions) {
    if (!isRecord(e) || typeof e.schema !== 'string' || typeof e.required !== 'boolean') {
      fail(source, 'each schemaExtensions entry needs schema (string) and required (boolean)');
    }
  }
  return raw as unknown as ResourceTypeDefinition;
}
