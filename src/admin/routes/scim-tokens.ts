import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { tenantAdminContext } from './route-kit';
import { createScimToken, listScimTokens, MAX_ROTATION_GRACE_SECONDS, revokeTenantScimToken, rotateScimToken, SCIM_TOKEN_LABEL } from '../../domain/scim-tokens';
import { baseUrlOf } from '../../scim/http/router';
import { mount, operation } from '../contract/operation';
import { ScimTokenSchema, ScimTokenWithSecretSchema } from '../contract/schemas';

const tokenPath = z.strictObject({ id: z.string().describe('Token id (tok_…)') });

export const scimTokensOperations = {
  list: operation({
    method: 'get',
    path: '/scim-tokens',
    tag: 'IdP connection',
    summary: "The SCIM base URL to give the IdP, and the tenant's SCIM tokens with the last request each carried",
    responses: { 200: { description: 'OK', schema: z.strictObject({ scimBaseUrl: z.string(), items: z.array(ScimTokenSchema) }) } },
    errors: [403],
  }),
  create: operation({
    method: 'post',
    path: '/scim-tokens',
    tag: 'IdP connection',
    summary: 'Issue a SCIM token (the answer is the only place the token appears)',
    body: z.strictObject({
      label: z
        .string()
        .regex(SCIM_TOKEN_LABEL, { error: 'is 1-100 letters, digits, spaces or .,:()@#/-' })
        .trim()
        .meta({ 'x-error-code': 'SCIM_TOKEN_LABEL_INVALID' })
        .nullable()
        .optional()
        .describe('1-100 letters, digits, spaces or .,:()@#/- (e.g. "Okta production"); null or absent: no label'),
    }),
    bodyOptional: true,
    responses: { 201: { description: 'Issued', schema: ScimTokenWithSecretSchema } },
    errors: [403],
  }),
  rotate: operation({
    method: 'post',
    path: '/scim-tokens/{id}/rotate',
    tag: 'IdP connection',
    summary: 'Replace a token: a new one with the same label is issued; the old one is revoked at once, or with graceSeconds keeps working until its expiresAt (audited scim_token.rotated)',
    params: tokenPath,
    body: z.strictObject({
      graceSeconds: z.number().int().min(0).max(MAX_ROTATION_GRACE_SECONDS).default(0).describe('How long the old token keeps working (0: revoked at once)'),
    }),
    bodyOptional: true,
    responses: { 201: { description: 'Issued', schema: z.strictObject({ replacement: ScimTokenWithSecretSchema, revoked: ScimTokenSchema }) } },
    errors: [403, 404, 409],
  }),
  revoke: operation({
    method: 'delete',
    path: '/scim-tokens/{id}',
    tag: 'IdP connection',
    summary: 'Revoke a token (kept, with revokedAt); the IdP using it gets 401 within seconds',
    params: tokenPath,
    responses: { 200: { description: 'Revoked', schema: ScimTokenSchema } },
    errors: [403, 404],
  }),
};

/**
 * /scim-tokens: connecting an IdP. The SCIM base URL the IdP is given, the tenant's tokens (never
 * the secrets, which are shown once at issue) with the last request each one carried, and issue,
 * rotate and revoke.
 */
export function scimTokensRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  mount(router, scimTokensOperations.list, async (_input, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'list SCIM tokens');
    res.json({ scimBaseUrl: baseUrlOf(req, deps.publicBaseUrl), items: await listScimTokens(deps.models, ctx.tenantId) });
  });
  mount(router, scimTokensOperations.create, async ({ body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'create SCIM tokens');
    res.status(201).json(await createScimToken(deps.models, ctx, body.label));
  });
  mount(router, scimTokensOperations.rotate, async ({ params, body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'rotate SCIM tokens');
    res.status(201).json(await rotateScimToken(deps.models, ctx, params.id, body.graceSeconds));
  });
  mount(router, scimTokensOperations.revoke, async ({ params }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'revoke SCIM tokens');
    res.json(await revokeTenantScimToken(deps.models, ctx, params.id));
  });
  return router;
}
