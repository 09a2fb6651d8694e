/**
 * Serialises this process's conditional writes to one document. MongoDB applies a filtered
 * update atomically, so this changes nothing there; FerretDB 1.24 (SQLite backend) does not:
 * two concurrent `{_id, version: n}` updates can both succeed and one is lost. Queuing the
 * writes per document makes the second see the first's version (and retry), within one process.
 */
const tails = new Map<string, Promise<unknown>>();

export async function withDocumentLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => undefined);
  tails.set(key, tail);
  try {
    return await run;
  } finally {
    if (tails.get(key) === tail) tails.delete(key);
  }
}
