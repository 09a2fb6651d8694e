import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { tenantAdminContext } from './route-kit';
import { EVENT_TYPES } from '../../domain/events/catalogue';
import { WEBHOOK_URL } from '../../domain/webhooks/target-guard';
import { createEndpoint, deleteEndpoint, getEndpoint, listDeliveries, listEndpoints, redeliver, redeliverOne, rotateSecret, sendTestEvent, updateEndpoint } from '../../domain/webhooks/endpoints';
import { mount, operation } from '../contract/operation';
import { cursorQuery, id, timestamp } from '../contract/schema-kit';

const CODE = { 'x-error-code': 'INVALID_PARAMETER' } as const;
const endpointPath = z.strictObject({ id: z.string().describe('Endpoint id (whe_…)') });

const url = z
  .string()
  .max(2048)
  .regex(WEBHOOK_URL, { error: 'must be an absolute http or https URL without credentials: a host name or IPv4 address, an optional port, printable ASCII' })
  .meta({ 'x-error-code': 'WEBHOOK_URL_INVALID' })
  .describe('Where the events are POSTed. Its host must resolve to public addresses (checked on save and before every delivery) unless the operator set WEBHOOKS_ALLOW_PRIVATE_TARGETS');
const types = z
  .array(z.enum(EVENT_TYPES))
  .max(EVENT_TYPES.length * 4)
  .transform((list) => [...new Set(list)])
  .describe('Event types sent (all when empty)');

const WebhookEndpointSchema = z
  .strictObject({
    id: z.string(),
    url: z.string(),
    types: z.array(z.enum(EVENT_TYPES)).describe('Event types sent (all when empty)'),
    enabled: z.boolean(),
    state: z.enum(['active', 'failing']).describe('failing: an event failed for WEBHOOKS_RETRY_HOURS; its events are held until enabled again or redelivered'),
    failingSince: timestamp().nullable(),
    deliveredThrough: z.string().describe('Cursor of the last event delivered or passed over'),
    retry: z.strictObject({ eventSeq: z.number().int(), attempts: z.number().int(), firstFailedAt: timestamp(), nextAttemptAt: timestamp() }).nullable(),
    secrets: z.array(z.strictObject({ hint: z.string(), createdAt: timestamp(), expiresAt: timestamp().nullable() })),
    createdAt: timestamp(),
  })
  .meta({ id: 'WebhookEndpoint' });
const WebhookEndpointWithSecretSchema = z.strictObject({ ...WebhookEndpointSchema.shape, secret: z.string().describe('whsec_…: shown in this answer only') });

const WebhookDeliverySchema = z
  .strictObject({
    id: z.string(),
    eventId: z.string().describe('The webhook-id header (the same on every attempt)'),
    seq: z.number().int().nullable(),
    attempt: z.number().int(),
    manual: z.boolean().describe('A test event or a redelivery of one event, outside the ordered delivery'),
    at: timestamp(),
    ok: z.boolean(),
    status: z.number().int().nullable(),
    latencyMs: z.number().int(),
    error: z.string().nullable(),
    responseExcerpt: z.string().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

export const webhooksOperations = {
  list: operation({
    method: 'get',
    path: '/webhooks',
    tag: 'Webhooks',
    summary: "The tenant's webhook endpoints",
    responses: { 200: { description: 'OK', schema: z.strictObject({ items: z.array(WebhookEndpointSchema) }) } },
    errors: [403],
  }),
  create: operation({
    method: 'post',
    path: '/webhooks',
    tag: 'Webhooks',
    summary: 'Add an endpoint: it receives the events committed from now on, signed with the secret in this answer (Standard Webhooks)',
    body: z.strictObject({ url, types: types.optional(), enabled: z.boolean().default(true) }).meta(CODE),
    responses: { 201: { description: 'Created', schema: WebhookEndpointWithSecretSchema } },
    errors: [403],
  }),
  get: operation({
    method: 'get',
    path: '/webhooks/{id}',
    tag: 'Webhooks',
    summary: 'One endpoint: its state, delivery position and retry',
    params: endpointPath,
    responses: { 200: { description: 'OK', schema: WebhookEndpointSchema } },
    errors: [403, 404],
  }),
  update: operation({
    method: 'patch',
    path: '/webhooks/{id}',
    tag: 'Webhooks',
    summary: 'Change url, types or enabled (enabling a failing endpoint resumes its held events in order)',
    params: endpointPath,
    body: z.strictObject({ url: url.optional(), types: types.optional(), enabled: z.boolean().optional() }).meta(CODE),
    responses: { 200: { description: 'OK', schema: WebhookEndpointSchema } },
    errors: [403, 404],
  }),
  delete: operation({
    method: 'delete',
    path: '/webhooks/{id}',
    tag: 'Webhooks',
    summary: 'Remove an endpoint',
    params: endpointPath,
    responses: { 204: { description: 'Removed' } },
    errors: [403, 404],
  }),
  rotateSecret: operation({
    method: 'post',
    path: '/webhooks/{id}/rotate-secret',
    tag: 'Webhooks',
    summary: 'A new secret (shown once); the old one keeps signing beside it for overlapHours (default 24)',
    params: endpointPath,
    body: z
      .strictObject({
        overlapHours: z
          .number()
          .int()
          .min(0)
          .max(24 * 30)
          .default(24)
          .describe('How long the previous secrets keep signing (0: not at all)'),
      })
      .meta(CODE),
    bodyOptional: true,
    responses: { 201: { description: 'Rotated', schema: WebhookEndpointWithSecretSchema } },
    errors: [403, 404],
  }),
  redeliver: operation({
    method: 'post',
    path: '/webhooks/{id}/redeliver',
    tag: 'Webhooks',
    summary:
      'With "after" (or nothing): send every event after that cursor again (all kept events without one), in order, and resume a failing endpoint; answers the endpoint. With "eventId": send that one event now, out of band (the cursor and held events stay), under its webhook-id; answers the delivery',
    params: endpointPath,
    body: z
      .strictObject({
        after: z.string().min(1).max(200).meta({ 'x-error-code': 'INVALID_CURSOR' }).optional().describe('A cursor of GET /events'),
        eventId: id('An event id of GET /events (evt_…)').optional(),
      })
      .superRefine((body, ctx) => {
        if (body.after !== undefined && body.eventId !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['eventId'], message: 'Give "after" (everything since) or "eventId" (one event), not both', input: body });
        }
      })
      .meta({ ...CODE, description: 'At most one of after and eventId.', not: { required: ['after', 'eventId'] } }),
    bodyOptional: true,
    responses: { 200: { description: 'OK: the endpoint (after), or the delivery (eventId)', schema: z.union([WebhookEndpointSchema, WebhookDeliverySchema]) } },
    errors: [403, 404],
  }),
  test: operation({
    method: 'post',
    path: '/webhooks/{id}/test',
    tag: 'Webhooks',
    summary: 'Send a signed webhook.test event now and answer how it went',
    params: endpointPath,
    responses: { 200: { description: 'OK', schema: WebhookDeliverySchema } },
    errors: [403, 404],
  }),
  deliveries: operation({
    method: 'get',
    path: '/webhooks/{id}/deliveries',
    tag: 'Webhooks',
    summary: 'The delivery log, newest first: each attempt with its status, latency and the start of the answer; a page at a time (cursor)',
    params: endpointPath,
    query: z.strictObject(cursorQuery(500)).meta(CODE),
    responses: {
      200: {
        description: 'OK',
        schema: z.strictObject({ items: z.array(WebhookDeliverySchema), nextCursor: z.string().nullable().describe('The next page, or null after the last') }),
      },
    },
    errors: [403, 404],
  }),
};

/** /webhooks: where the tenant's change events are sent, signed (Standard Webhooks), in order (tenant admins; docs/events.md). */
export function webhooksRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const allowPrivate = deps.webhooks?.allowPrivateTargets ?? false;
  const ops = webhooksOperations;
  mount(router, ops.list, async (_input, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'list webhook endpoints');
    res.json(await listEndpoints(deps.models, ctx.tenantId));
  });
  mount(router, ops.create, async ({ body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'create webhook endpoints');
    res.status(201).json(await createEndpoint(deps.models, ctx, body, allowPrivate));
  });
  mount(router, ops.get, async ({ params }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'read webhook endpoints');
    res.json(await getEndpoint(deps.models, ctx.tenantId, params.id));
  });
  mount(router, ops.update, async ({ params, body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'change webhook endpoints');
    res.json(await updateEndpoint(deps.models, ctx, params.id, body, allowPrivate));
  });
  mount(router, ops.delete, async ({ params }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'delete webhook endpoints');
    await deleteEndpoint(deps.models, ctx, params.id);
    res.status(204).end();
  });
  mount(router, ops.rotateSecret, async ({ params, body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'rotate webhook secrets');
    res.status(201).json(await rotateSecret(deps.models, ctx, params.id, body.overlapHours));
  });
  mount(router, ops.redeliver, async ({ params, body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'redeliver webhook events');
    if (body.eventId !== undefined) {
      res.json(await redeliverOne(deps.models, ctx, params.id, body.eventId, { allowPrivateTargets: allowPrivate, retryHours: 0 }));
      return;
    }
    res.json(await redeliver(deps.models, ctx, params.id, body.after));
  });
  mount(router, ops.test, async ({ params }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'send webhook test events');
    res.json(await sendTestEvent(deps.models, ctx, params.id, { allowPrivateTargets: allowPrivate, retryHours: 0 }));
  });
  mount(router, ops.deliveries, async ({ params, query }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'read webhook deliveries');
    res.json(await listDeliveries(deps.models, ctx.tenantId, params.id, { limit: query.limit ?? 50, ...(query.cursor !== undefined ? { cursor: query.cursor } : {}) }));
  });
  return router;
}
