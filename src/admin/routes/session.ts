import { errorResponses, ref, type Json } from '../openapi-kit';
import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { consoleSessionOf, principalOf, requestIdOf } from '../http-kit';
import { AppError } from '../../errors/app-error';
import { endConsoleSession } from '../../auth/console-sessions';
import { clearConsoleCookie } from '../../auth/console-cookie';
import { repositoriesOf } from '../../persistence/repositories';

/**
 * /session: who is calling. The operator console reads it at load (its tenant, when the session
 * ends, and the CSRF token it must send on unsafe methods) and DELETEs it to sign out.
 */
export function sessionRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  router.get('/session', async (_req, res) => {
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
  router.delete('/session', async (req, res) => {
    const session = consoleSessionOf(res);
    if (!session) throw new AppError('conflict', 'SESSION_NOT_CONSOLE', 'Only a console session can be signed out; a bearer token ends at its expiry');
    await endConsoleSession(deps.models, session, requestIdOf(req));
    clearConsoleCookie(req, res);
    res.status(204).end();
  });
  return router;
}

// ---- OpenAPI description of these routes (merged into src/admin/openapi.ts) ----------------

const errors = (...statuses: number[]): Json => errorResponses(401, ...statuses);

export const sessionOpenApi: { paths: Record<string, Json>; schemas: Record<string, Json> } = {
  paths: {
    '/session': {
      get: {
        tags: ['Session'],
        summary: 'The caller: tenant, subject, role, and for a console session its expiry and CSRF token',
        responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref('Session') } } }, ...errors() },
      },
      delete: {
        tags: ['Session'],
        summary: 'Sign the console session out (ends it and clears its cookie)',
        responses: { '204': { description: 'Signed out' }, ...errors(403, 409) },
      },
    },
  },
  schemas: {
    Session: {
      type: 'object',
      properties: {
        tenantId: { type: 'string' },
        tenantName: { type: 'string', nullable: true },
        subject: { type: 'string', description: "The token's sub, or the console session's id (csn_…)" },
        kind: { type: 'string', enum: ['user', 'operator'] },
        role: { type: 'string' },
        via: { type: 'string', enum: ['bearer', 'console-session'] },
        expiresAt: { type: 'string', format: 'date-time', description: 'Console sessions only' },
        csrfToken: { type: 'string', description: 'Console sessions only: send as X-CSRF-Token on POST, PATCH and DELETE' },
      },
      required: ['tenantId', 'subject', 'kind', 'role', 'via'],
    },
  },
};
