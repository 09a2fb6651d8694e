import express, { type Router } from 'express';
import { adminErrors, type Json } from '../openapi-kit';
import type { AdminDeps } from '../admin-deps';
import { accessOf, queryOf } from './route-kit';
import { queryProvisioningLog } from '../../domain/provisioning-log';

/** /provisioning-log: every SCIM request the tenant's IdP made, 401s included (tenant admins). */
export function provisioningLogRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  router.get('/provisioning-log', async (req, res) => {
    res.json(await queryProvisioningLog(deps.models, await accessOf(deps, req, res), queryOf(req)));
  });
  return router;
}

// ---- OpenAPI description of these routes (merged into src/admin/openapi.ts) ----------------

const str = (description: string): Json => ({ type: 'string', description });
const nullableStr = (description: string): Json => ({ type: 'string', nullable: true, description });
const query = (name: string, description: string, schema: Json = { type: 'string' }): Json => ({ name, in: 'query', required: false, schema, description });

export const provisioningLogOpenApi: { paths: Record<string, Json>; schemas: Record<string, Json> } = {
  paths: {
    '/provisioning-log': {
      get: {
        tags: ['IdP connection'],
        summary:
          "Every SCIM request made with the tenant's tokens, newest first: 401s too when the header names one of its tokens (Bearer Bearer, no Bearer, revoked, rotated). Kept PROVISIONING_LOG_RETENTION_DAYS, at most PROVISIONING_LOG_MAX_PER_TENANT entries",
        parameters: [
          query('outcome', 'succeeded (< 400), failed (>= 400) or unauthorized (401)', { type: 'string', enum: ['succeeded', 'failed', 'unauthorized'] }),
          query('method', 'GET, POST, PUT, PATCH or DELETE'),
          query('resource', 'Users, Groups, Bulk, …'),
          query('tokenId', 'Requests made with this token (tok_…)'),
          query('objectId', 'Requests that touched this user or group'),
          query('cursor', 'nextCursor of the previous page'),
          query('limit', '1–500, default 50', { type: 'integer', minimum: 1, maximum: 500 }),
        ],
        responses: {
          '200': {
            description: 'OK',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { items: { type: 'array', items: { $ref: '#/components/schemas/ProvisioningLogEntry' } }, nextCursor: { type: 'string', nullable: true } },
                  required: ['items', 'nextCursor'],
                },
              },
            },
          },
          ...adminErrors(400),
        },
      },
    },
  },
  schemas: {
    ProvisioningLogEntry: {
      type: 'object',
      properties: {
        id: str('plg_…'),
        at: { type: 'string', format: 'date-time' },
        tokenId: nullableStr('The token used (for a 401: the token the header carried)'),
        tokenLabel: nullableStr("The token's label"),
        method: str('HTTP method'),
        path: str('Path below /scim/v2, without the query'),
        resource: str('Users, Groups, Bulk, …'),
        objectId: nullableStr('The user or group touched'),
        objectName: nullableStr('Its name (userName / displayName), while it exists'),
        status: { type: 'integer' },
        reason: {
          type: 'string',
          nullable: true,
          enum: ['no_bearer_prefix', 'double_bearer', 'revoked', 'rotated', 'unknown_token', 'missing_header', 'malformed'],
          description: 'Why a 401 was refused',
        },
        reasonText: nullableStr('The reason in words, with what to do'),
        change: nullableStr('What the request asked to change ("replace active", "add members ×3", "create", "delete")'),
        userAgent: nullableStr('The client (Okta SCIM Client, Azure AD SCIM Provisioning, …)'),
        durationMs: { type: 'integer', nullable: true },
      },
      required: ['id', 'at', 'method', 'path', 'resource', 'status'],
    },
  },
};
