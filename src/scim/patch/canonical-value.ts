import type { ResolvedAttribute, SchemaView } from '../../attributes/types';
import { isPlainObject, type JsonObject } from './scim-json';

/**
 * Renames the sub-attribute keys of a PATCH value to their canonical spelling (attribute names are
 * case-insensitive, RFC 7643 §2.1: Entra writes `Value`). Types are left as given: the caller's
 * full-resource validation coerces "False" to false and rejects what cannot be coerced. Keys that
 * are not sub-attributes are kept as written so that validation can name them.
 */
export function canonicalizeElement(view: SchemaView, attribute: ResolvedAttribute, value: unknown): unknown {
  if (attribute.definition.type !== 'complex' || !isPlainObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, member] of Object.entries(value)) {
    const name = view.resolve(key, attribute)?.scimPath.at(-1) ?? key;
    result[name] = member;
  }
  return result;
}

/**
 * The values of a multi-valued attribute as a list: a single value becomes a one-element list
 * (clients send `"value": {"value": "id"}` as often as `[{"value": "id"}]`), null an empty one.
 */
export function canonicalList(view: SchemaView, attribute: ResolvedAttribute, value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((element) => canonicalizeElement(view, attribute, element));
}

/**
 * The value of a single-valued attribute. A one-element array is unwrapped: Entra sends the
 * enterprise manager as `[{"$ref": "…", "value": "id"}]` (entra-docs,
 * use-scim-to-provision-users-and-groups.md, "Example 5").
 */
export function canonicalSingle(view: SchemaView, attribute: ResolvedAttribute, value: unknown): unknown {
  const single: unknown = Array.isArray(value) && value.length === 1 ? (value as unknown[])[0] : value;
  return canonicalizeElement(view, attribute, single);
}
