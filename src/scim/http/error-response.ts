import type { ErrorRequestHandler, Response } from 'express';
import { AppError, isAppError, type ScimType } from '../../errors/app-error';
import type { Logger } from '../../observability/logger';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** RFC 7644 §3.12: which scimTypes may accompany which status. A pair outside this is a bug of ours. */
const SCIM_TYPES_BY_STATUS: Record<number, readonly ScimType[]> = {
  400: ['invalidFilter', 'tooMany', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue', 'invalidVers', 'sensitive', 'mutability', 'invalidCursor', 'expiredCursor'],
  409: ['uniqueness'],
  413: ['tooMany'],
};

/** Anything thrown by express' body parser, mapped to the SCIM errors a client can act on. */
function fromBodyParser(err: { type?: string; status?: number; message?: string }): AppError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError('badRequest', 'SCIM_MALFORMED_JSON', 'The request body is not valid JSON', { scimType: 'invalidSyntax' });
    case 'entity.too.large':
      return new AppError('payloadTooLarge', 'SCIM_BODY_TOO_LARGE', 'The request body is larger than this server accepts', { scimType: 'tooMany' });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('badRequest', 'SCIM_ENCODING', err.message ?? 'Unsupported encoding', { scimType: 'invalidSyntax' });
    default:
      return undefined;
  }
}

export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  return fromBodyParser(err as never) ?? new AppError('internal', 'INTERNAL', 'Internal server error', { cause: err });
}

export function sendScimError(res: Response, error: AppError): void {
  const allowed = error.scimType ? SCIM_TYPES_BY_STATUS[error.status] : undefined;
  const body: Record<string, unknown> = { schemas: [SCIM_ERROR_SCHEMA], status: String(error.status), detail: error.message };
  if (error.scimType && allowed?.includes(error.scimType)) body.scimType = error.scimType;
  if (error.retryAfter !== undefined) res.setHeader('Retry-After', String(error.retryAfter));
  if (error.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="scim"');
  res.status(error.status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** The only place SCIM errors become responses. Unknown errors are logged and answered as a bare 500. */
export function scimErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const error = toAppError(err);
    // 501 (GET /Me) is a documented answer, not a failure: no error log, no stack.
    if (error.status >= 500 && error.status !== 501) logger.error('SCIM request failed', { err: error.cause ?? err, code: error.code });
    if (res.headersSent) return;
    sendScimError(res, error);
  };
}
