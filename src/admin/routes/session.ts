import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { consoleSessionOf, principalOf, requestIdOf } from '../http-kit';
import { AppError } from '../../errors/app-error';
import { endConsoleSession } from '../../auth/console-sessions';
import { clearConsoleCookie } from '../../auth/console-cookie';
import { repositoriesOf } from '../../persistence/repositories';
import { mount, operation } from '../contract/operation';
import { SessionSchema } from '../contract/schemas';

export const sessionOperations = {
  get: operation({
    method: 'get',
    path: '/session',
    tag: 'Session',
    summary: 'The caller: tenant, subject, role, and for a console session its expiry and CSRF token',
    responses: { 200: { description: 'OK', schema: SessionSchema } },
  }),
  delete: operation({
    method: 'delete',
    path: '/session',
    tag: 'Session',
    summary: 'Sign the console session out (ends it and clears its cookie)',
    responses: { 204: { description: 'Signed out' } },
    errors: [403, 409],
  }),
};

/**
 * /session: who is calling. The operator console reads it at load (its tenant, when the session
 * ends, and the CSRF token it must send on unsafe methods) and DELETEs it to sign out.
 */
export function sessionRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  mount(router, sessionOperations.get, async (_input, _req, res) => {
    const p = principalOf(res);
    const session = consoleSessionOf(res);
    const tenantName = await repositoriesOf(deps.models).tenants.nameOf(p.tenantId);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      tenantId: p.tenantId,
      tenantName,
      subject: p.userId,
      kind: p.kind,
      role: p.role,
      via: session ? 'console-session' : 'bearer',
      ...(session ? { expiresAt: session.expiresAt, csrfToken: session.csrfToken } : {}),
    });
  });
  mount(router, sessionOperations.delete, async (_input, req, res) => {
    const session = consoleSessionOf(res);
    if (!session) throw new AppError('conflict', 'SESSION_NOT_CONSOLE', 'Only a console session can be signed out; a bearer token ends at its expiry');
    await endConsoleSession(deps.models, session, requestIdOf(req));
    clearConsoleCookie(req, res);
    res.status(204).end();
  });
  return router;
}
