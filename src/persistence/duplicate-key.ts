/** Whether a write was refused by a unique index (E11000): the one place that knows the code. */
export function isDuplicateKeyError(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 11000;
}

/** Runs a write that a unique index may refuse: true when it applied, false when the index refused it. */
export async function unlessDuplicate(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}

/** Indexes of an unordered insertMany that failed only on duplicate keys; undefined for any other failure. */
export function duplicateKeyIndexes(err: unknown): Set<number> | undefined {
  const raw = (err as { writeErrors?: unknown }).writeErrors;
  const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as { index?: number; code?: number }[];
  if (list.length === 0 || !list.every((e) => isDuplicateKeyError(e) && typeof e.index === 'number')) return undefined;
  return new Set(list.map((e) => e.index as number));
}

/** An unordered insertMany that unique indexes may refuse in part: the indexes of the documents refused (none: all went in). */
export async function insertManyRefused(collection: { insertMany(docs: never[], opts: { ordered: false }): Promise<unknown> }, docs: readonly object[]): Promise<Set<number>> {
  try {
    await collection.insertMany(docs as never[], { ordered: false });
    return new Set();
  } catch (err) {
    const taken = duplicateKeyIndexes(err);
    if (!taken) throw err;
    return taken;
  }
}
