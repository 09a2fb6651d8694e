import { AppError, isAppError } from '../errors/app-error';
import { isDatabaseUnavailable } from '../persistence/database-unavailable';

/** Seconds a client is told to wait when the database does not answer or the request passed its deadline. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * Errors thrown by express' body parser (http-errors carrying `type` and `status`), mapped to
 * the errors a client can act on. Anything else it reports with a 4xx status (an undecodable
 * gzip body, an aborted upload) is the client's, never a 500.
 */
function fromBodyParser(err: { type?: unknown; status?: unknown; message?: unknown }): AppError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError('badRequest', 'MALFORMED_JSON', 'The request body is not valid JSON', { scimType: 'invalidSyntax' });
    case 'entity.too.large':
      return new AppError('payloadTooLarge', 'BODY_TOO_LARGE', 'The request body is larger than this server accepts', { scimType: 'tooMany' });
    case 'encoding.unsupported':
      return new AppError('unsupportedMediaType', 'UNSUPPORTED_CONTENT_ENCODING', 'Content-Encoding must be identity, gzip, deflate or br');
    case 'charset.unsupported':
      return new AppError('unsupportedMediaType', 'UNSUPPORTED_CHARSET', typeof err.message === 'string' ? err.message : 'Unsupported charset');
    default:
      break;
  }
  if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
    return new AppError('badRequest', 'UNREADABLE_BODY', 'The request body could not be read (is its Content-Encoding right?)', { scimType: 'invalidSyntax' });
  }
  return undefined;
}

/** The database did not answer (down, unreachable, failing over): a 503 the client may retry, not our bug. */
function fromDatabase(err: unknown): AppError | undefined {
  if (!isDatabaseUnavailable(err)) return undefined;
  return new AppError('unavailable', 'DATABASE_UNAVAILABLE', 'The database is not available; retry later', {
    cause: err,
    retryAfter: UNAVAILABLE_RETRY_AFTER_SECONDS,
  });
}

/** Any thrown value as the service's one error type; unknown errors become a 500 that keeps its cause. */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  if (typeof err === 'object' && err !== null) {
    const known = fromBodyParser(err) ?? fromDatabase(err);
    if (known) return known;
  }
  return new AppError('internal', 'INTERNAL', 'Internal server error', { cause: err });
}
