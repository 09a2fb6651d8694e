/**
 * Whether a write was refused by a unique index. MongoDB says E11000; FerretDB 1.x (SQLite
 * backend) says so on insert but answers an update with InternalError (code 1)
 * "UNIQUE constraint failed". The one place that knows both.
 */
export function isDuplicateKeyError(err: unknown): boolean {
  const e = err as { code?: number; message?: unknown } | null;
  if (!e) return false;
  return e.code === 11000 || (e.code === 1 && typeof e.message === 'string' && e.message.includes('UNIQUE constraint failed'));
}
