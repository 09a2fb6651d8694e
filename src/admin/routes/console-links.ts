import express, { type Router } from 'express';
import { adminErrors, type Json } from '../openapi-kit';
import type { AdminDeps } from '../admin-deps';
import { consoleSessionOf } from '../http-kit';
import { tenantAdminContext } from './route-kit';
import { CONSOLE_LANDINGS, CONSOLE_LINK_TTL_SECONDS, issueConsoleLink } from '../../auth/console-sessions';
import { recordAudit } from '../../domain/audit';
import { AppError } from '../../errors/app-error';
import { invalid, readBody, readEnum } from '../../domain/groups/input';
import { baseUrlOf } from '../../scim/http/router';

/**
 * POST /console-links: the vendor's application mints a one-time sign-in link to the console for
 * the tenant its token speaks for (as WorkOS's admin portal links): short-lived (60 s to 1 h,
 * default 10 min), opening a chosen page, audited. A console session cannot mint one (it would
 * outlive itself): the caller is the vendor's backend with an admin token.
 */
export function consoleLinksRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  router.post('/console-links', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'mint console sign-in links');
    if (consoleSessionOf(res)) throw new AppError('forbidden', 'CONSOLE_LINK_FROM_CONSOLE', 'A console session cannot mint sign-in links: the application that gave access does');
    const body = readBody(req.body === undefined ? {} : req.body, ['ttlSeconds', 'landing']);
    const ttl = body.ttlSeconds === undefined ? CONSOLE_LINK_TTL_SECONDS : body.ttlSeconds;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 60 || ttl > 3600) throw invalid('ttlSeconds', '"ttlSeconds" must be an integer from 60 to 3600');
    const landing = readEnum(body, 'landing', CONSOLE_LANDINGS);
    const link = await issueConsoleLink(deps.models, ctx.tenantId, baseUrlOf(req, deps.publicBaseUrl).replace(/\/scim\/v2$/, ''), ttl, landing);
    await recordAudit(deps.models, {
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      action: 'console.link.created',
      object: { type: 'ConsoleLink', id: 'link' },
      after: { expiresAt: link.expiresAt, ...(landing ? { landing } : {}) },
      ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    });
    res.status(201).json({ url: link.url, expiresAt: link.expiresAt.toISOString() });
  });
  return router;
}

// ---- OpenAPI description of these routes (merged into src/admin/openapi.ts) ----------------

export const consoleLinksOpenApi: { paths: Record<string, Json>; schemas: Record<string, Json> } = {
  paths: {
    '/console-links': {
      post: {
        tags: ['Session'],
        summary: "A one-time sign-in link to the operator console for the token's tenant (admin tokens of the vendor's application; not from a console session)",
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  ttlSeconds: { type: 'integer', minimum: 60, maximum: 3600, default: CONSOLE_LINK_TTL_SECONDS, description: 'How long the link may be followed (once)' },
                  landing: { type: 'string', enum: [...CONSOLE_LANDINGS], description: 'The console page the link opens' },
                },
                additionalProperties: false,
              },
            },
          },
        },
        responses: {
          '201': {
            description: 'Minted: hand the url to the signed-in customer admin (it signs in once, until expiresAt)',
            content: {
              'application/json': { schema: { type: 'object', properties: { url: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } }, required: ['url', 'expiresAt'] } },
            },
          },
          ...adminErrors(400),
        },
      },
    },
  },
  schemas: {},
};
