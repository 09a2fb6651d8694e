/**
 * `a AND b AND …` as one flat query document when no field repeats, else `$and`. MongoDB reads both
 * the same; the embedded server picks an index only from a query's top-level fields, so
 * `{$and: [{tenantId}, {'lc.userName': x}]}` was a collection scan there and `{tenantId, 'lc.userName': x}`
 * is a unique-index lookup.
 */
export function conjunction(...parts: Record<string, unknown>[]): Record<string, unknown> {
  const present = parts.filter((part) => Object.keys(part).length > 0);
  const merged: Record<string, unknown> = {};
  for (const part of present) {
    for (const [field, condition] of Object.entries(part)) {
      if (field in merged) return { $and: present };
      merged[field] = condition;
    }
  }
  return merged;
}
