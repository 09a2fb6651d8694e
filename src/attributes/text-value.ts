/**
 * A stored attribute value read as display text. Stored attributes are typed `unknown` (the schema
 * registry validated them on the way in); a string attribute such as displayName or userName is a
 * string, and anything else (absent, or a value written before a schema change) reads as `fallback`
 * rather than as "[object Object]".
 */
export function textValue(value: unknown, fallback = ''): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fallback;
}
