import { AppError, scimError } from '../../errors/app-error';
import { isDuplicateKeyError } from '../../persistence/duplicate-key';

/** Retries of an optimistic write that lost a race with another writer of the same document. */
export const MAX_WRITE_ATTEMPTS = 8;


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
