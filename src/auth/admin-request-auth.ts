import type { Request } from 'express';
import type { Config } from '../config/config';
import type { Models } from '../persistence/models';
import { AppError } from '../errors/app-error';
import { verifyAdminToken, type AdminPrincipal } from './admin-jwt';
import { assertPrincipalCurrent } from './admin-principal';
import { consoleCookieOf } from './console-cookie';
import { csrfTokenMatches, findConsoleSession, type ConsoleSession } from './console-sessions';

export interface AdminCaller {
  principal: AdminPrincipal;
  /** Set when the caller is the operator console (cookie), not a bearer JWT. */
  consoleSession?: ConsoleSession;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The one place that decides who calls the admin API: a bearer JWT when the request carries an
 * Authorization header, else the operator console's session cookie. A console session speaks for
 * its tenant's operator (role admin, no user). Cookies are sent by the browser on its own, so an
 * unsafe method must also prove it comes from the console page: the X-CSRF-Token header (which
 * only a page of our origin can read from GET /session) on top of SameSite=Strict.
 */
export async function authenticateAdminRequest(req: Request, jwt: Config['adminJwt'], models: Models): Promise<AdminCaller> {
  const cookie = consoleCookieOf(req);
  if (req.get('authorization') !== undefined || cookie === undefined) {
    const principal = verifyAdminToken(jwt, req.get('authorization'));
    await assertPrincipalCurrent(models, principal);
    return { principal };
  }
  const session = await findConsoleSession(models, cookie);
  if (!SAFE_METHODS.has(req.method) && !csrfTokenMatches(session, req.get('x-csrf-token'))) {
    throw new AppError('forbidden', 'CSRF_TOKEN_INVALID', "A console request that changes something must carry the session's X-CSRF-Token header");
  }
  const principal: AdminPrincipal = { userId: session.sessionId, tenantId: session.tenantId, role: 'admin', kind: 'operator' };
  await assertPrincipalCurrent(models, principal);
  return { principal, consoleSession: session };
}
