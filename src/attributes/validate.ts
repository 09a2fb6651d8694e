import { scimError } from '../errors/app-error';
import { coerceAttributeValue, coerceSimple, isPlainObject } from './coerce';
import { IGNORED_FOREIGN_SCHEMA_URIS } from './urns';
import { findByName, type ResourceSchemaView } from './view';
import type { AttributeDefinition } from './types';

/** SCIM attributes in storage shape: extension objects under their storage keys (types.ts). */
export type StoredAttrs = Record<string, unknown>;

export interface ValidatedMember {
  value: string;
  type?: string;
  display?: string;
}

export interface ValidatedResource {
  attrs: StoredAttrs;
  /** The writeOnly password, never stored in attrs. */
  password?: string;
  /** Group members, when the body had a `members` attribute ([] when null or empty); they are
   *  stored in the memberships collection, never in attrs. */
  members?: ValidatedMember[];
}

export interface ValidateOptions {
  mode: 'create' | 'replace';
  /** The stored attrs being replaced (PUT, or PATCH applied to the current representation). */
  existing?: StoredAttrs;
}

const IGNORED_FOREIGN = new Set(IGNORED_FOREIGN_SCHEMA_URIS.map((u) => u.toLowerCase()));

/** Raw values gathered per schema URN and canonical top-level attribute name. */
type Buckets = Map<string, Record<string, unknown>>;

/**
 * Validate and coerce a full incoming resource (RFC 7643 §2, RFC 7644 §3.3 and §3.5.1) into
 * storage-shaped attrs. Unknown attributes are dropped; readOnly input is ignored.
 */
export function validateResource(view: ResourceSchemaView, body: unknown, options: ValidateOptions): ValidatedResource {
  if (!isPlainObject(body)) {
    throw scimError.invalidSyntax('The request body must be a JSON object', 'SCIM_BODY_NOT_OBJECT');
  }
  checkSchemasAttribute(view, body);
  const buckets = collectBySchema(view, body);

  const result: ValidatedResource = { attrs: {} };
  for (const schema of [view.coreSchema, ...view.extensionSchemas]) {
    const isCore = schema === view.coreSchema;
    const target: StoredAttrs = isCore ? result.attrs : {};
    for (const [name, raw] of Object.entries(buckets.get(schema) ?? {})) {
      const top = view.findTopLevel(name, schema);
      if (!top) continue;
      const definition = top.definition;
      const label = labelOf(view, schema, definition.name);
      if (definition.mutability === 'readOnly') continue;
      if (isCore && view.resourceType === 'Group' && definition.name === 'members') {
        result.members = coerceMembers(definition, raw, label);
        continue;
      }
      const value = coerceAttributeValue(definition, raw, label);
      if (value === undefined) continue;
      if (definition.mutability === 'writeOnly') {
        if (definition.name === 'password' && typeof value === 'string') result.password = value;
        continue;
      }
      target[definition.name] = value;
    }
    if (!isCore && Object.keys(target).length > 0) {
      const storageKey = view.extension(schema)?.storageKey;
      if (storageKey !== undefined) result.attrs[storageKey] = target;
    }
  }

  checkPrimaryUnique(view, result.attrs);
  if (options.mode === 'replace' && options.existing) keepProtectedValues(view, result.attrs, options.existing);
  checkRequired(view, result.attrs);
  return result;
}

function labelOf(view: ResourceSchemaView, schema: string, path: string): string {
  return schema === view.coreSchema ? path : `${schema}:${path}`;
}

/** RFC 7644 §3.3: `schemas` must name the core schema; every URN in it must be known here. */
function checkSchemasAttribute(view: ResourceSchemaView, body: Record<string, unknown>): void {
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'schemas');
  const list = key === undefined ? undefined : body[key];
  if (!Array.isArray(list) || !list.every((u): u is string => typeof u === 'string')) {
    throw scimError.invalidSyntax(`The 'schemas' attribute must be an array of schema URNs including ${view.coreSchema}`, 'SCIM_SCHEMAS_MISSING');
  }
  if (!list.some((u) => u.toLowerCase() === view.coreSchema.toLowerCase())) {
    throw scimError.invalidSyntax(`The 'schemas' attribute must include ${view.coreSchema}`, 'SCIM_SCHEMAS_MISSING');
  }
  for (const urn of list) {
    if (view.canonicalUrn(urn) === undefined && !IGNORED_FOREIGN.has(urn.toLowerCase())) {
      throw scimError.invalidSyntax(`Unknown schema '${urn}' for resource type ${view.resourceType}`, 'SCIM_UNKNOWN_SCHEMA');
    }
  }
}

/**
 * Gather raw values by schema under canonical attribute names. Extension attributes may come
 * as an object under the URN or as flat URN-qualified keys (Entra); a dotted key
 * ('name.givenName') addresses a sub-attribute of a singular complex attribute.
 */
function collectBySchema(view: ResourceSchemaView, body: Record<string, unknown>): Buckets {
  const buckets: Buckets = new Map([view.coreSchema, ...view.extensionSchemas].map((s) => [s, {}]));

  const place = (schema: string, key: string, value: unknown): void => {
    const dot = key.indexOf('.');
    const name = dot < 0 ? key : key.slice(0, dot);
    const top = view.findTopLevel(name, schema);
    const bucket = top ? buckets.get(top.schema) : undefined;
    if (!top || !bucket) return; // unknown attributes are ignored
    const canonical = top.definition.name;
    const current = bucket[canonical];
    if (dot < 0) {
      bucket[canonical] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
      return;
    }
    if (top.definition.type !== 'complex' || top.definition.multiValued) return;
    bucket[canonical] = { ...(isPlainObject(current) ? current : {}), [key.slice(dot + 1)]: value };
  };

  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === 'schemas') continue;
    const extension = view.extension(key);
    if (extension) {
      if (value === null || value === undefined) continue;
      if (!isPlainObject(value)) {
        throw scimError.invalidValue(`Attribute '${extension.definition.id}' must be an object`, 'SCIM_INVALID_TYPE');
      }
      for (const [k, v] of Object.entries(value)) place(extension.definition.id, k, v);
      continue;
    }
    const { schema, rest } = view.splitSchemaPrefix(key);
    if (schema !== undefined && rest === '') continue; // the core URN as a key carries nothing we know
    place(schema ?? view.coreSchema, schema === undefined ? key : rest, value);
  }
  return buckets;
}

function coerceMembers(definition: AttributeDefinition, raw: unknown, label: string): ValidatedMember[] {
  if (raw === null || raw === undefined) return [];
  const items = Array.isArray(raw) ? raw : [raw];
  const seen = new Set<string>();
  const members: ValidatedMember[] = [];
  for (const item of items) {
    if (item === null || item === undefined) continue;
    const coerced = coerceSimple(definition, item, label);
    const value = isPlainObject(coerced) ? coerced.value : undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      throw scimError.invalidValue(`Each value of '${label}' needs a non-empty string 'value' (the member's id)`, 'SCIM_MEMBER_VALUE_MISSING');
    }
    if (seen.has(value)) continue;
    seen.add(value);
    const member: ValidatedMember = { value };
    if (isPlainObject(coerced) && typeof coerced.type === 'string') member.type = coerced.type;
    if (isPlainObject(coerced) && typeof coerced.display === 'string') member.display = coerced.display;
    members.push(member);
  }
  return members;
}

/** A top-level attribute with the container it lives in inside storage-shaped attrs. */
interface StoredSlot {
  schema: string;
  definition: AttributeDefinition;
  container: (attrs: StoredAttrs, create: boolean) => Record<string, unknown> | undefined;
}

function storedSlots(view: ResourceSchemaView): StoredSlot[] {
  const slots: StoredSlot[] = view.core.attributes.map((definition) => ({
    schema: view.coreSchema,
    definition,
    container: (attrs: StoredAttrs) => attrs,
  }));
  for (const ext of view.extensions) {
    const container = (attrs: StoredAttrs, create: boolean): Record<string, unknown> | undefined => {
      const current = attrs[ext.storageKey];
      if (isPlainObject(current)) return current;
      if (!create) return undefined;
      const fresh: Record<string, unknown> = {};
      attrs[ext.storageKey] = fresh;
      return fresh;
    };
    for (const definition of ext.definition.attributes) slots.push({ schema: ext.definition.id, definition, container });
  }
  return slots;
}

/** RFC 7643 §2.4: the primary attribute value true MUST appear no more than once. */
function checkPrimaryUnique(view: ResourceSchemaView, attrs: StoredAttrs): void {
  for (const slot of storedSlots(view)) {
    const { definition } = slot;
    if (!definition.multiValued || findByName(definition.subAttributes, 'primary') === undefined) continue;
    const values = slot.container(attrs, false)?.[definition.name];
    if (!Array.isArray(values)) continue;
    const primaries = values.filter((v) => isPlainObject(v) && v.primary === true).length;
    if (primaries > 1) {
      throw scimError.invalidValue(`Attribute '${labelOf(view, slot.schema, definition.name)}' has ${primaries} values with primary true; at most one is allowed`, 'SCIM_PRIMARY_NOT_UNIQUE');
    }
  }
}

/**
 * Replacing a resource (RFC 7644 §3.5.1): readOnly values stay as stored; an immutable value
 * that is already set must not change (omitting it keeps it).
 */
function keepProtectedValues(view: ResourceSchemaView, attrs: StoredAttrs, existing: StoredAttrs): void {
  for (const slot of storedSlots(view)) {
    const { definition } = slot;
    const before = slot.container(existing, false)?.[definition.name];
    if (before === undefined) continue;
    const label = labelOf(view, slot.schema, definition.name);
    const after = slot.container(attrs, false)?.[definition.name];
    if (definition.mutability === 'readOnly' || definition.mutability === 'immutable') {
      if (after === undefined) {
        const target = slot.container(attrs, true);
        if (target) target[definition.name] = structuredClone(before);
      } else if (definition.mutability === 'immutable' && !sameValue(definition, before, after)) {
        throw scimError.mutability(`Attribute '${label}' is immutable and cannot be changed`, 'SCIM_IMMUTABLE');
      }
      continue;
    }
    // Sub-attributes of a singular complex attribute can be protected on their own (manager.displayName).
    if (definition.type !== 'complex' || definition.multiValued || !isPlainObject(before)) continue;
    for (const sub of definition.subAttributes ?? []) {
      if (sub.mutability !== 'readOnly' && sub.mutability !== 'immutable') continue;
      const subBefore = before[sub.name];
      if (subBefore === undefined) continue;
      const parent = slot.container(attrs, false)?.[definition.name];
      const subAfter = isPlainObject(parent) ? parent[sub.name] : undefined;
      if (subAfter === undefined) {
        // Keep it only while the parent still exists: replacing without the parent unassigns it.
        if (isPlainObject(parent)) parent[sub.name] = structuredClone(subBefore);
      } else if (sub.mutability === 'immutable' && !sameValue(sub, subBefore, subAfter)) {
        throw scimError.mutability(`Attribute '${label}.${sub.name}' is immutable and cannot be changed`, 'SCIM_IMMUTABLE');
      }
    }
  }
}

function sameValue(definition: AttributeDefinition, a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string' && !definition.caseExact) {
    return a.toLowerCase() === b.toLowerCase();
  }
  return deepEqual(a, b);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** Required attributes (userName, Group displayName) must be present and non-empty. */
function checkRequired(view: ResourceSchemaView, attrs: StoredAttrs): void {
  const fail = (label: string): never => {
    throw scimError.invalidValue(`Attribute '${label}' is required`, 'SCIM_REQUIRED_MISSING');
  };
  for (const slot of storedSlots(view)) {
    const { definition, schema } = slot;
    if (definition.mutability === 'readOnly' || definition.mutability === 'writeOnly') continue;
    if (!view.isStoredInAttrs({ schema, definition })) continue; // members are checked elsewhere
    const container = slot.container(attrs, false);
    const extensionRequired = schema !== view.coreSchema && view.extension(schema)?.required === true;
    // An extension's required attributes apply once the extension is present (or required).
    if (container === undefined && !extensionRequired) continue;
    const value = container?.[definition.name];
    const label = labelOf(view, schema, definition.name);
    if (isMissing(value)) {
      if (definition.required) fail(label);
      continue;
    }
    const requiredSubs = (definition.subAttributes ?? []).filter((s) => s.required && s.mutability !== 'readOnly');
    const items = Array.isArray(value) ? value : [value];
    for (const sub of requiredSubs) {
      for (const item of items) if (isPlainObject(item) && isMissing(item[sub.name])) fail(`${label}.${sub.name}`);
    }
  }
}
