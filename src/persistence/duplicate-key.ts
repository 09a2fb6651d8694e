/** Whether a write was refused by a unique index (E11000): the one place that knows the code. */
export function isDuplicateKeyError(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 11000;
}
