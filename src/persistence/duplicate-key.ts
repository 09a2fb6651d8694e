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

/**
 * The per-document errors of an unordered write, by the document's position, each an Error with
 * its `code` (11000: a unique index refused it); undefined when the write failed as a whole.
 */
export function writeErrorsByIndex(err: unknown): Map<number, Error & { code?: unknown }> | undefined {
  const raw = (err as { writeErrors?: unknown } | null)?.writeErrors;
  const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as { index?: unknown; code?: unknown; errmsg?: unknown }[];
  if (list.length === 0 || !list.every((e) => typeof e.index === 'number')) return undefined;
  return new Map(list.map((e) => [e.index as number, Object.assign(new Error(typeof e.errmsg === 'string' ? e.errmsg : 'write error'), { code: e.code })]));
}

/** Indexes of an unordered insertMany that failed only on duplicate keys; undefined for any other failure. */
export function duplicateKeyIndexes(err: unknown): Set<number> | undefined {
  const failed = writeErrorsByIndex(err);
  if (!failed || ![...failed.values()].every(isDuplicateKeyError)) return undefined;
  return new Set(failed.keys());
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
