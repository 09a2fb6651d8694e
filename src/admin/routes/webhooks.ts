import express, { type Router } from 'express';
import { adminErrors, ref, type Json } from '../openapi-kit';
import type { AdminDeps } from '../admin-deps';
import { param, queryOf, tenantAdminContext } from './route-kit';
import { EVENT_TYPES } from '../../domain/events/catalogue';
import { createEndpoint, deleteEndpoint, getEndpoint, listDeliveries, listEndpoints, redeliver, redeliverOne, rotateSecret, sendTestEvent, updateEndpoint } from '../../domain/webhooks/endpoints';

/** /webhooks: where the tenant's change events are sent, signed (Standard Webhooks), in order (tenant admins; docs/events.md). */
export function webhooksRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const allowPrivate = deps.webhooks?.allowPrivateTargets ?? false;
  const body = (b: unknown) => (typeof b === 'object' && b !== null ? (b as Record<string, unknown>) : {});
  router.get('/webhooks', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'list webhook endpoints');
    res.json(await listEndpoints(deps.models, ctx.tenantId));
  });
  router.post('/webhooks', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'create webhook endpoints');
    res.status(201).json(await createEndpoint(deps.models, ctx, body(req.body), allowPrivate));
  });
  router.get('/webhooks/:id', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'read webhook endpoints');
    res.json(await getEndpoint(deps.models, ctx.tenantId, param(req, 'id')));
  });
  router.patch('/webhooks/:id', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'change webhook endpoints');
    res.json(await updateEndpoint(deps.models, ctx, param(req, 'id'), body(req.body), allowPrivate));
  });
  router.delete('/webhooks/:id', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'delete webhook endpoints');
    await deleteEndpoint(deps.models, ctx, param(req, 'id'));
    res.status(204).end();
  });
  router.post('/webhooks/:id/rotate-secret', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'rotate webhook secrets');
    res.status(201).json(await rotateSecret(deps.models, ctx, param(req, 'id'), body(req.body)));
  });
  router.post('/webhooks/:id/redeliver', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'redeliver webhook events');
    const b = body(req.body);
    if (b.eventId !== undefined && b.after === undefined) {
      res.json(await redeliverOne(deps.models, ctx, param(req, 'id'), b.eventId, { allowPrivateTargets: allowPrivate, retryHours: 0 }));
      return;
    }
    res.json(await redeliver(deps.models, ctx, param(req, 'id'), b));
  });
  router.post('/webhooks/:id/test', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'send webhook test events');
    res.json(await sendTestEvent(deps.models, ctx, param(req, 'id'), { allowPrivateTargets: allowPrivate, retryHours: 0 }));
  });
  router.get('/webhooks/:id/deliveries', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'read webhook deliveries');
    const q = queryOf(req);
    res.json(await listDeliveries(deps.models, ctx.tenantId, param(req, 'id'), { limit: q.limit, cursor: q.cursor }));
  });
  return router;
}

// ---- OpenAPI description of these routes (merged into src/admin/openapi.ts) ----------------

const json = (schema: Json): Json => ({ content: { 'application/json': { schema } } });
const idPath: Json = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Endpoint id (whe_…)' };
const tags = ['Webhooks'];
const types: Json = { type: 'array', items: { type: 'string', enum: [...EVENT_TYPES] }, description: 'Event types sent (all when empty)' };
const withSecret: Json = { allOf: [ref('WebhookEndpoint'), { type: 'object', properties: { secret: { type: 'string', description: 'whsec_…: shown in this answer only' } }, required: ['secret'] }] };
const ok = (schema: Json): Json => ({ description: 'OK', ...json(schema) });

export const webhooksOpenApi: { paths: Record<string, Json>; schemas: Record<string, Json> } = {
  paths: {
    '/webhooks': {
      get: {
        tags,
        summary: "The tenant's webhook endpoints",
        responses: { '200': ok({ type: 'object', properties: { items: { type: 'array', items: ref('WebhookEndpoint') } }, required: ['items'] }), ...adminErrors() },
      },
      post: {
        tags,
        summary: 'Add an endpoint: it receives the events committed from now on, signed with the secret in this answer (Standard Webhooks)',
        requestBody: { required: true, ...json({ type: 'object', properties: { url: { type: 'string' }, types, enabled: { type: 'boolean', default: true } }, required: ['url'] }) },
        responses: { '201': { description: 'Created', ...json(withSecret) }, ...adminErrors(400) },
      },
    },
    '/webhooks/{id}': {
      get: { tags, summary: 'One endpoint: its state, delivery position and retry', parameters: [idPath], responses: { '200': ok(ref('WebhookEndpoint')), ...adminErrors(404) } },
      patch: {
        tags,
        summary: 'Change url, types or enabled (enabling a failing endpoint resumes its held events in order)',
        parameters: [idPath],
        requestBody: { required: true, ...json({ type: 'object', properties: { url: { type: 'string' }, types, enabled: { type: 'boolean' } } }) },
        responses: { '200': ok(ref('WebhookEndpoint')), ...adminErrors(400, 404) },
      },
      delete: { tags, summary: 'Remove an endpoint', parameters: [idPath], responses: { '204': { description: 'Removed' }, ...adminErrors(404) } },
    },
    '/webhooks/{id}/rotate-secret': {
      post: {
        tags,
        summary: 'A new secret (shown once); the old one keeps signing beside it for overlapHours (default 24)',
        parameters: [idPath],
        requestBody: { required: false, ...json({ type: 'object', properties: { overlapHours: { type: 'integer', minimum: 0, maximum: 720 } } }) },
        responses: { '201': { description: 'Rotated', ...json(withSecret) }, ...adminErrors(400, 404) },
      },
    },
    '/webhooks/{id}/redeliver': {
      post: {
        tags,
        summary:
          'With "after" (or nothing): send every event after that cursor again (all kept events without one), in order, and resume a failing endpoint; answers the endpoint. With "eventId": send that one event now, out of band (the cursor and held events stay), under its webhook-id; answers the delivery',
        parameters: [idPath],
        requestBody: {
          required: false,
          ...json({
            type: 'object',
            properties: { after: { type: 'string', description: 'A cursor of GET /events' }, eventId: { type: 'string', description: 'An event id of GET /events (evt_…)' } },
          }),
        },
        responses: { '200': ok({ oneOf: [ref('WebhookEndpoint'), ref('WebhookDelivery')] }), ...adminErrors(400, 404) },
      },
    },
    '/webhooks/{id}/test': {
      post: { tags, summary: 'Send a signed webhook.test event now and answer how it went', parameters: [idPath], responses: { '200': ok(ref('WebhookDelivery')), ...adminErrors(404) } },
    },
    '/webhooks/{id}/deliveries': {
      get: {
        tags,
        summary: 'The delivery log, newest first: each attempt with its status, latency and the start of the answer; a page at a time (cursor)',
        parameters: [
          idPath,
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500 } },
          { name: 'cursor', in: 'query', required: false, description: 'nextCursor of the previous page (opaque)', schema: { type: 'string' } },
        ],
        responses: {
          '200': ok({
            type: 'object',
            properties: { items: { type: 'array', items: ref('WebhookDelivery') }, nextCursor: { type: 'string', nullable: true, description: 'The next page, or null after the last' } },
            required: ['items', 'nextCursor'],
          }),
          ...adminErrors(400, 404),
        },
      },
    },
  },
  schemas: {
    WebhookEndpoint: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        url: { type: 'string' },
        types,
        enabled: { type: 'boolean' },
        state: { type: 'string', enum: ['active', 'failing'], description: 'failing: an event failed for WEBHOOKS_RETRY_HOURS; its events are held until enabled again or redelivered' },
        failingSince: { type: 'string', format: 'date-time', nullable: true },
        deliveredThrough: { type: 'string', description: 'Cursor of the last event delivered or passed over' },
        retry: {
          type: 'object',
          nullable: true,
          properties: { eventSeq: { type: 'integer' }, attempts: { type: 'integer' }, firstFailedAt: { type: 'string', format: 'date-time' }, nextAttemptAt: { type: 'string', format: 'date-time' } },
        },
        secrets: {
          type: 'array',
          items: { type: 'object', properties: { hint: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' }, expiresAt: { type: 'string', format: 'date-time', nullable: true } } },
        },
        createdAt: { type: 'string', format: 'date-time' },
      },
      required: ['id', 'url', 'types', 'enabled', 'state', 'failingSince', 'deliveredThrough', 'retry', 'secrets', 'createdAt'],
    },
    WebhookDelivery: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        eventId: { type: 'string', description: 'The webhook-id header (the same on every attempt)' },
        seq: { type: 'integer', nullable: true },
        attempt: { type: 'integer' },
        manual: { type: 'boolean', description: 'A test event or a redelivery of one event, outside the ordered delivery' },
        at: { type: 'string', format: 'date-time' },
        ok: { type: 'boolean' },
        status: { type: 'integer', nullable: true },
        latencyMs: { type: 'integer' },
        error: { type: 'string', nullable: true },
        responseExcerpt: { type: 'string', nullable: true },
      },
      required: ['id', 'eventId', 'seq', 'attempt', 'manual', 'at', 'ok', 'status', 'latencyMs', 'error', 'responseExcerpt'],
    },
  },
};
