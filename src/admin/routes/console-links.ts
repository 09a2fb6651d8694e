import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { consoleSessionOf } from '../http-kit';
import { tenantAdminContext } from './route-kit';
import { CONSOLE_LANDINGS, CONSOLE_LINK_TTL_SECONDS, issueConsoleLink } from '../../auth/console-sessions';
import { recordAudit } from '../../domain/audit';
import { AppError } from '../../errors/app-error';
import { baseUrlOf } from '../../scim/http/router';
import { mount, operation } from '../contract/operation';
import { timestamp } from '../contract/schema-kit';

export const consoleLinksOperations = {
  create: operation({
    method: 'post',
    path: '/console-links',
    tag: 'Session',
    summary: "A one-time sign-in link to the operator console for the token's tenant (admin tokens of the vendor's application; not from a console session)",
    body: z.strictObject({
      ttlSeconds: z.number().int().min(60).max(3600).default(CONSOLE_LINK_TTL_SECONDS).describe('How long the link may be followed (once)'),
      landing: z.enum(CONSOLE_LANDINGS).optional().describe('The console page the link opens'),
    }),
    bodyOptional: true,
    responses: {
      201: {
        description: 'Minted: hand the url to the signed-in customer admin (it signs in once, until expiresAt)',
        schema: z.strictObject({ url: z.string(), expiresAt: timestamp() }),
      },
    },
    errors: [403],
  }),
};

/**
 * POST /console-links: the vendor's application mints a one-time sign-in link to the console for
 * the tenant its token speaks for (as WorkOS's admin portal links): short-lived (60 s to 1 h,
 * default 10 min), opening a chosen page, audited. A console session cannot mint one (it would
 * outlive itself): the caller is the vendor's backend with an admin token.
 */
export function consoleLinksRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  mount(router, consoleLinksOperations.create, async ({ body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'mint console sign-in links');
    if (consoleSessionOf(res)) throw new AppError('forbidden', 'CONSOLE_LINK_FROM_CONSOLE', 'A console session cannot mint sign-in links: the application that gave access does');
    const { ttlSeconds, landing } = body;
    const link = await issueConsoleLink(deps.models, ctx.tenantId, baseUrlOf(req, deps.publicBaseUrl).replace(/\/scim\/v2$/, ''), ttlSeconds, landing);
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
