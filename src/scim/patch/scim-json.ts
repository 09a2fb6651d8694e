/**
 * Small helpers for walking and comparing SCIM JSON. RFC 7643 §2.5: an unassigned attribute, a
 * null value and an empty array are equivalent, so comparisons and writes treat them alike.
 */

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** undefined, null, [] and {} all mean "no value" (RFC 7643 §2.5). */
export function isUnassigned(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isPlainObject(value)) return Object.values(value).every(isUnassigned);
  return false;
}

/** Deep equality in which unassigned values are equal to each other and key order is irrelevant. */
export function scimEqual(a: unknown, b: unknown): boolean {
  if (isUnassigned(a) && isUnassigned(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((element, i) => scimEqual(element, b[i]));
  }
  if (isPlainObject(a) || isPlainObject(b)) {
    if (!isPlainObject(a) || !isPlainObject(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!scimEqual(a[key], b[key])) return false;
    return true;
  }
  return a === b;
}

export function cloneJson<T>(value: T): T {
  return structuredClone(value);
}

/** Drops the unassigned members of an object (a `"$ref": null` in a member value, say). */
export function withoutUnassigned(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, member] of Object.entries(value)) if (!isUnassigned(member)) result[key] = member;
  return result;
}

export function getAt(root: JsonObject, keys: readonly string[]): unknown {
  let current: unknown = root;
  for (const key of keys) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Writes `value` at `keys`, creating intermediate objects; an unassigned value deletes instead. */
export function setAt(root: JsonObject, keys: readonly string[], value: unknown): void {
  if (isUnassigned(value)) {
    deleteAt(root, keys);
    return;
  }
  const parentKeys = keys.slice(0, -1);
  const leaf = keys[keys.length - 1];
  if (leaf === undefined) return;
  let current = root;
  for (const key of parentKeys) {
    const next = current[key];
    if (isPlainObject(next)) {
      current = next;
    } else {
      const created: JsonObject = {};
      current[key] = created;
      current = created;
    }
  }
  current[leaf] = value;
}

/** Deletes the value at `keys` and then every ancestor object the deletion left empty. */
export function deleteAt(root: JsonObject, keys: readonly string[]): void {
  const chain: JsonObject[] = [root];
  for (const key of keys.slice(0, -1)) {
    const next = chain[chain.length - 1]?.[key];
    if (!isPlainObject(next)) return;
    chain.push(next);
  }
  for (let depth = keys.length - 1; depth >= 0; depth--) {
    const container = chain[depth];
    const key = keys[depth];
    if (container === undefined || key === undefined) return;
    if (depth === keys.length - 1 || isUnassigned(container[key])) delete container[key];
    else return;
  }
}

/** A multi-valued attribute's current values; a stray single value counts as a one-element list. */
export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? [...(value as unknown[])] : [value];
}

/** `primary` may arrive as the string "True" from Entra; validation coerces it later. */
export function isTrueLike(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}
