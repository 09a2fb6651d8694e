import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors/app-error';
import { toAppError } from '../http/infrastructure-errors';
import { sendJsonError } from '../http/json-error';
import type { AdminPrincipal } from '../auth/admin-jwt';
import { authenticateAdminRequest } from '../auth/admin-request-auth';
import type { ConsoleSession } from '../auth/console-sessions';
import type { Models } from '../persistence/models';
import type { Config } from '../config/config';
import type { Logger } from '../observability/logger';
import { logContext } from '../observability/logger';

/** The verified caller of an admin request (set by adminAuth). */
export function principalOf(res: Response): AdminPrincipal {
  const p = res.locals.principal as AdminPrincipal | undefined;
  if (!p) throw new AppError('internal', 'ADMIN_NO_PRINCIPAL', 'request was not authenticated');
  return p;
}

/** The console session behind the request, when the caller is the operator console (set by adminAuth). */
export function consoleSessionOf(res: Response): ConsoleSession | undefined {
  return res.locals.consoleSession as ConsoleSession | undefined;
}

/** Authenticates the caller (bearer JWT or console session: src/auth/admin-request-auth.ts) and checks they still exist. */
export function adminAuth(jwt: Config['adminJwt'], models: Models): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const { principal, consoleSession } = await authenticateAdminRequest(req, jwt, models);
      res.locals.principal = principal;
      if (consoleSession) res.locals.consoleSession = consoleSession;
      const store = logContext.getStore();
      if (store) {
        store.tenantId = principal.tenantId;
        store.actor = principal.userId;
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** Request id of the current request, for audit events. */
export function requestIdOf(req: Request): string | undefined {
  return (req as Request & { id?: string }).id;
}

/** The only place admin errors become responses: `{error: {code, message, details}}`. */
export function adminErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const error = toAppError(err);
    // 501 is an answer (not implemented), not a failure of ours.
    if (error.status >= 500 && error.status !== 501) logger.error('admin request failed', { err: error.cause ?? err, code: error.code });
    if (res.headersSent) return;
    sendJsonError(res, error);
  };
}
