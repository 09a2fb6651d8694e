import { AppError } from '../../errors/app-error';
import { adminErrors, ref, type Json } from '../openapi-kit';
import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { param, tenantAdminContext } from './route-kit';
import { createScimToken, listScimTokens, revokeTenantScimToken, rotateScimToken } from '../../domain/scim-tokens';
import { baseUrlOf } from '../../scim/http/router';

/**
 * /scim-tokens: connecting an IdP. The SCIM base URL the IdP is given, the tenant's tokens (never
 * the secrets, which are shown once at issue) with the last request each one carried, and issue,
 * rotate and revoke.
 */
export function scimTokensRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  router.get('/scim-tokens', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'list SCIM tokens');
    res.json({ scimBaseUrl: baseUrlOf(req, deps.publicBaseUrl), items: await listScimTokens(deps.models, ctx.tenantId) });
  });
  router.post('/scim-tokens', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'create SCIM tokens');
    // No body at all is no label; a JSON null is not an object.
    const body: unknown = req.body === undefined ? {} : req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AppError('badRequest', 'BODY_NOT_OBJECT', 'The request body must be a JSON object');
    const unknown = Object.keys(body).filter((k) => k !== 'label');
    if (unknown.length > 0) throw new AppError('badRequest', 'SCIM_TOKEN_FIELD_UNKNOWN', `Unknown field "${unknown[0]}"; allowed: label`, { details: { field: unknown[0] } });
    res.status(201).json(await createScimToken(deps.models, ctx, (body as { label?: unknown }).label));
  });
  router.post('/scim-tokens/:id/rotate', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'rotate SCIM tokens');
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    res.status(201).json(await rotateScimToken(deps.models, ctx, param(req, 'id'), body.graceSeconds ?? 0));
  });
  router.delete('/scim-tokens/:id', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'revoke SCIM tokens');
    res.json(await revokeTenantScimToken(deps.models, ctx, param(req, 'id')));
  });
  return router;
}

// ---- OpenAPI description of these routes (merged into src/admin/openapi.ts) ----------------

const json = (schema: Json): Json => ({ content: { 'application/json': { schema } } });
const idPath: Json = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Token id (tok_…)' };
const withToken: Json = { allOf: [ref('ScimToken'), { type: 'object', properties: { token: { type: 'string', description: 'The bearer token: shown in this answer only' } }, required: ['token'] }] };

export const scimTokensOpenApi: { paths: Record<string, Json>; schemas: Record<string, Json> } = {
  paths: {
    '/scim-tokens': {
      get: {
        tags: ['IdP connection'],
        summary: "The SCIM base URL to give the IdP, and the tenant's SCIM tokens with the last request each carried",
        responses: {
          '200': {
            description: 'OK',
            ...json({ type: 'object', properties: { scimBaseUrl: { type: 'string' }, items: { type: 'array', items: ref('ScimToken') } }, required: ['scimBaseUrl', 'items'] }),
          },
          ...adminErrors(),
        },
      },
      post: {
        tags: ['IdP connection'],
        summary: 'Issue a SCIM token (the answer is the only place the token appears)',
        requestBody: {
          required: false,
          ...json({
            type: 'object',
            properties: {
              label: {
                type: 'string',
                nullable: true,
                pattern: '^\\s*[A-Za-z0-9_ .,:()@#/-]{1,100}\\s*$',
                description: '1-100 letters, digits, spaces or .,:()@#/- (e.g. "Okta production"); null or absent: no label',
              },
            },
            additionalProperties: false,
          }),
        },
        responses: { '201': { description: 'Issued', ...json(withToken) }, ...adminErrors(400) },
      },
    },
    '/scim-tokens/{id}/rotate': {
      post: {
        tags: ['IdP connection'],
        summary: 'Replace a token: a new one with the same label is issued; the old one is revoked at once, or with graceSeconds keeps working until its expiresAt (audited scim_token.rotated)',
        parameters: [idPath],
        requestBody: {
          required: false,
          ...json({
            type: 'object',
            properties: { graceSeconds: { type: 'integer', minimum: 0, maximum: 604800, default: 0, description: 'How long the old token keeps working (0: revoked at once)' } },
          }),
        },
        responses: {
          '201': { description: 'Issued', ...json({ type: 'object', properties: { replacement: withToken, revoked: ref('ScimToken') }, required: ['replacement', 'revoked'] }) },
          ...adminErrors(404, 409),
        },
      },
    },
    '/scim-tokens/{id}': {
      delete: {
        tags: ['IdP connection'],
        summary: 'Revoke a token (kept, with revokedAt); the IdP using it gets 401 within seconds',
        parameters: [idPath],
        responses: { '200': { description: 'Revoked', ...json(ref('ScimToken')) }, ...adminErrors(404) },
      },
    },
  },
  schemas: {
    ScimToken: {
      type: 'object',
      properties: {
        tokenId: { type: 'string' },
        hint: { type: 'string', description: 'The first characters, to tell tokens apart' },
        label: { type: 'string', nullable: true },
        createdAt: { type: 'string', format: 'date-time' },
        revokedAt: { type: 'string', format: 'date-time', nullable: true },
        expiresAt: { type: 'string', format: 'date-time', nullable: true, description: 'A token rotated with a grace period works until then' },
        lastRequest: {
          type: 'object',
          nullable: true,
          description: 'The newest request made with the token (written at most every few seconds per process, at once when the outcome turns from success to failure or back)',
          properties: {
            at: { type: 'string', format: 'date-time' },
            method: { type: 'string' },
            path: { type: 'string', description: 'Under the SCIM base URL, without the query' },
            status: { type: 'integer' },
            userAgent: { type: 'string' },
          },
        },
      },
      required: ['tokenId', 'hint', 'label', 'createdAt', 'revokedAt', 'expiresAt', 'lastRequest'],
    },
  },
};
