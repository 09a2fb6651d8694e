import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { accessOf } from './route-kit';
import { PROVISIONING_LOG_FILTER_MAX, PROVISIONING_LOG_METHODS, PROVISIONING_LOG_OUTCOMES, PROVISIONING_LOG_PAGE_MAX, queryProvisioningLog } from '../../domain/provisioning-log';
import { mount, operation } from '../contract/operation';
import { page, timestamp } from '../contract/schema-kit';

/** `^(?:[Gg][Ee][Tt]|…)$`: any case, said as a pattern the document can carry (JSON Schema patterns take no flags). */
const anyCase = (words: readonly string[]): RegExp => new RegExp(`^(?:${words.map((w) => [...w].map((c) => `[${c.toUpperCase()}${c.toLowerCase()}]`).join('')).join('|')})$`);
const method = z
  .string()
  .regex(anyCase(PROVISIONING_LOG_METHODS), { error: `must be one of ${PROVISIONING_LOG_METHODS.join(', ')}` })
  .transform((m) => m.toUpperCase() as (typeof PROVISIONING_LOG_METHODS)[number]);
const nullableText = (description: string) => z.string().nullable().describe(description);

export const ProvisioningLogEntrySchema = z
  .strictObject({
    id: z.string().describe('plg_…'),
    at: timestamp(),
    tokenId: nullableText('The token used (for a 401: the token the header carried)'),
    tokenLabel: nullableText("The token's label"),
    method: z.string().describe('HTTP method'),
    path: z.string().describe('Path below /scim/v2, without the query'),
    resource: z.string().describe('Users, Groups, Bulk, …'),
    objectId: nullableText('The user or group touched'),
    objectName: nullableText('Its name (userName / displayName), while it exists'),
    status: z.number().int(),
    reason: z.enum(['no_bearer_prefix', 'double_bearer', 'revoked', 'rotated', 'unknown_token', 'missing_header', 'malformed']).nullable().describe('Why a 401 was refused'),
    reasonText: nullableText('The reason in words, with what to do'),
    change: nullableText('What the request asked to change ("replace active", "add members ×3", "create", "delete")'),
    userAgent: nullableText('The client (Okta SCIM Client, Azure AD SCIM Provisioning, …)'),
    durationMs: z.number().int().nullable(),
  })
  .meta({ id: 'ProvisioningLogEntry' });

export const provisioningLogOperations = {
  list: operation({
    method: 'get',
    path: '/provisioning-log',
    tag: 'IdP connection',
    summary:
      "Every SCIM request made with the tenant's tokens, newest first: 401s too when the header names one of its tokens (Bearer Bearer, no Bearer, revoked, rotated). Kept PROVISIONING_LOG_RETENTION_DAYS, at most PROVISIONING_LOG_MAX_PER_TENANT entries",
    query: z.strictObject({
      outcome: z.enum(PROVISIONING_LOG_OUTCOMES).optional().describe('succeeded (< 400), failed (>= 400) or unauthorized (401)'),
      method: method.optional().describe(`${PROVISIONING_LOG_METHODS.join(', ')} (any case)`),
      resource: z.string().max(PROVISIONING_LOG_FILTER_MAX.resource).optional().describe('Users, Groups, Bulk, …'),
      tokenId: z.string().max(PROVISIONING_LOG_FILTER_MAX.tokenId).optional().describe('Requests made with this token (tok_…)'),
      objectId: z.string().max(PROVISIONING_LOG_FILTER_MAX.objectId).optional().describe('Requests that touched this user or group'),
      cursor: z.string().optional().describe('nextCursor of the previous page (opaque: only a cursor this API returned is accepted)'),
      limit: z.coerce.number().int().min(1).max(PROVISIONING_LOG_PAGE_MAX).default(50).describe(`Page size (1-${PROVISIONING_LOG_PAGE_MAX}, default 50)`),
    }),
    responses: { 200: { description: 'OK', schema: page(ProvisioningLogEntrySchema) } },
    errors: [403],
  }),
};

/** /provisioning-log: every SCIM request the tenant's IdP made, 401s included (tenant admins). */
export function provisioningLogRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  mount(router, provisioningLogOperations.list, async ({ query }, req, res) => {
    res.json(await queryProvisioningLog(deps.models, await accessOf(deps, req, res), query));
  });
  return router;
}
