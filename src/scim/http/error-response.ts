import type { ErrorRequestHandler, Response } from 'express';
import type { AppError, ScimType } from '../../errors/app-error';
import { toAppError } from '../../http/infrastructure-errors';

export { toAppError };
import type { Logger } from '../../observability/logger';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** RFC 7644 §3.12: which scimTypes may accompany which status. A pair outside this is a bug of ours. */
const SCIM_TYPES_BY_STATUS: Record<number, readonly ScimType[]> = {
  400: ['invalidFilter', 'tooMany', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue', 'invalidVers', 'sensitive', 'mutability', 'invalidCursor', 'expiredCursor'],
  409: ['uniqueness'],
  413: ['tooMany'],
};

export function sendScimError(res: Response, error: AppError): void {
  const allowed = error.scimType ? SCIM_TYPES_BY_STATUS[error.status] : undefined;
  const body: Record<string, unknown> = { schemas: [SCIM_ERROR_SCHEMA], status: String(error.status), detail: error.message };
  if (error.scimType && allowed?.includes(error.scimType)) body.scimType = error.scimType;
  if (error.retryAfter !== undefined) res.setHeader('Retry-After', String(error.retryAfter));
  if (error.allow !== undefined) res.setHeader('Allow', error.allow.join(', '));
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
