import { AppError, scimError } from '../../errors/app-error';
import { isDuplicateKeyError } from '../../persistence/duplicate-key';
import type { Preconditions } from './context';

/** Retries of an optimistic write that lost a race with another writer of the same document. */
export const MAX_WRITE_ATTEMPTS = 8;

/**
 * A user write without If-Match (the client asked for no precondition, as Okta and Entra send
 * attribute PATCHes) is retried on a lost race until it lands, up to this bound: IdPs retry 429
 * and 503 but not 409, so 50 concurrent PATCHes of one user must all land. Each try re-reads and
 * recomputes, so no change is lost. The request deadline bounds the time all tries may take.
 */
const UNCONDITIONAL_WRITE_ATTEMPTS = 100;

/** How many times a write may be tried: with If-Match, a lost race usually ends in 412 at the next read anyway. */
export function writeAttemptsFor(pre: Preconditions): number {
  return pre.ifMatch === undefined ? UNCONDITIONAL_WRITE_ATTEMPTS : MAX_WRITE_ATTEMPTS;
}

/** A random pause after the attempt-th lost race (growing to 50 ms), so that the losers do not all race again at once. */
export function afterLostRace(attempt: number): Promise<void> {
  const ceilingMs = Math.min(50, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceilingMs));
}

/** Maps a duplicate-key error on a unique index to 409 uniqueness; rethrows anything else. */
export function rethrowDuplicate(err: unknown, message: string): never {
  if (isDuplicateKeyError(err)) throw scimError.uniqueness(message);
  throw err;
}

export function notFound(type: 'User' | 'Group', id: string): AppError {
  return new AppError('notFound', 'SCIM_NOT_FOUND', `${type} ${id} not found`);
}

export function writeConflict(type: 'User' | 'Group', id: string): AppError {
  return new AppError('conflict', 'SCIM_WRITE_CONFLICT', `${type} ${id} is being changed concurrently; retry the request`);
}
