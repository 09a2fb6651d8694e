import { AppError } from '../../errors/app-error';

/**
 * The cursor of a newest-first list ordered by (at, _id): the audit log and the provisioning log.
 * Opaque to clients (base64url of [at in ms, id]); one that does not decode is a 400.
 */
export function encodeTimeCursor(doc: { at: Date; _id: string }): string {
  return Buffer.from(JSON.stringify([doc.at.getTime(), doc._id])).toString('base64url');
}

export function decodeTimeCursor(cursor: string): { at: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'number' && typeof id === 'string') return { at: new Date(at), id };
  } catch {
    // fall through to the error below
  }
  throw new AppError('badRequest', 'INVALID_CURSOR', 'The cursor is not one this API returned', { details: { field: 'cursor' } });
}
