import express, { type Router } from 'express';
import { adminErrors, errorResponses, ref, type Json } from '../openapi-kit';
import type { AdminDeps } from '../admin-deps';
import { queryOf, requireTenantAdmin } from './route-kit';
import { readFeed, MAX_EVENTS_PAGE, DEFAULT_EVENTS_PAGE } from '../../domain/events/feed';
import { EVENT_SCHEMA_VERSION, EVENT_TYPES } from '../../domain/events/catalogue';

/** /events: the tenant's change events in one total order, from any cursor (tenant admins; docs/events.md). */
export function eventsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  router.get('/events', async (req, res) => {
    const caller = await requireTenantAdmin(deps, req, res, 'read change events');
    res.json(await readFeed(deps.models, caller.tenantId, queryOf(req)));
  });
  return router;
}

// ---- OpenAPI description of these routes (merged into src/admin/openapi.ts) ----------------

const json = (schema: Json): Json => ({ content: { 'application/json': { schema } } });
const query = (name: string, schema: Json, description: string): Json => ({ name, in: 'query', required: false, schema, description });

export const eventsOpenApi: { paths: Record<string, Json>; schemas: Record<string, Json> } = {
  paths: {
    '/events': {
      get: {
        tags: ['Events'],
        summary: "The tenant's change events in one total order that never changes: keep nextCursor and ask again with after=",
        description:
          'Users, groups, memberships and access as they change (catalogue and payloads: docs/events.md). The same cursor answers the same events every time; ' +
          'events older than the retention period (EVENTS_RETENTION_DAYS, default 30) are removed, and a cursor before them answers 410 EVENTS_CURSOR_EXPIRED.',
        parameters: [
          query('after', { type: 'string' }, "A cursor from a previous answer (nextCursor, or an event's cursor); without it, from the oldest event kept"),
          query('types', { type: 'string' }, `Comma-separated event types to return (the cursor still moves past the others): ${EVENT_TYPES.join(', ')}`),
          query('limit', { type: 'integer', minimum: 1, maximum: MAX_EVENTS_PAGE, default: DEFAULT_EVENTS_PAGE }, 'Events per page'),
        ],
        responses: {
          '200': {
            description: 'OK',
            ...json({
              type: 'object',
              properties: {
                items: { type: 'array', items: ref('ChangeEvent') },
                nextCursor: { type: 'string', description: 'Where to continue (after the last event returned, or after everything read when the page is short)' },
                hasMore: { type: 'boolean' },
              },
              required: ['items', 'nextCursor', 'hasMore'],
            }),
          },
          ...adminErrors(400),
          ...errorResponses(410),
        },
      },
    },
  },
  schemas: {
    ChangeEvent: {
      type: 'object',
      properties: {
        id: { type: 'string', description: "Unique; the audit event's id, suffixed .<n> for the further events of one change" },
        seq: { type: 'integer', description: "Place in the tenant's order (consecutive)" },
        cursor: { type: 'string', description: 'Opaque: after=<cursor> continues after this event' },
        type: { type: 'string', enum: [...EVENT_TYPES] },
        version: { type: 'integer', enum: [EVENT_SCHEMA_VERSION], description: 'Payload schema version' },
        tenantId: { type: 'string' },
        occurredAt: { type: 'string', format: 'date-time' },
        actor: { type: 'object', properties: { type: { type: 'string' }, id: { type: 'string' } }, required: ['type', 'id'] },
        object: {
          type: 'object',
          properties: { type: { type: 'string' }, id: { type: 'string' }, version: { type: 'integer', description: "The object's version after the change, when known" } },
          required: ['type', 'id'],
        },
        data: {
          type: 'object',
          additionalProperties: true,
          description:
            'user.*: {user: {id, attrs}, changes?: {before, after}}; group.created/updated/deleted: {group, changes?}; ' +
            'group.member_added/removed: {groupId, userId, source (scim, rule:<id>, dynamic, automatic, manual, import, invitation), membershipSource? (invitation: manual, the source it is kept under), role?, membershipEnded?, cause: {actor, auditAction, expression?, trigger?, invitationId?}}; ' +
            "access.changed (object: the user): {userId, before: {admin, roles, permissions: {target: level}, resources: {resourceId: level}}, after: (the same), grant: {subject, change, before, after} (a role or resource grant) or change: {object, action} (any other change: a membership of any source, a role's privileges, a group moved, archived or deleted, the user deactivated or reactivated), cause}",
        },
      },
      required: ['id', 'seq', 'cursor', 'type', 'version', 'tenantId', 'occurredAt', 'actor', 'object', 'data'],
    },
  },
};
