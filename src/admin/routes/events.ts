import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { requireTenantAdmin } from './route-kit';
import { readFeed, MAX_EVENTS_PAGE, DEFAULT_EVENTS_PAGE } from '../../domain/events/feed';
import { EVENT_SCHEMA_VERSION, EVENT_TYPES, type EventType } from '../../domain/events/catalogue';
import { didYouMean } from '../../expressions/rule-errors';
import { mount, operation } from '../contract/operation';
import { intQuery, openObject } from '../contract/schema-kit';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ONE_TYPE = `(?:${EVENT_TYPES.map(escape).join('|')})`;
/** Known event types separated by commas, blanks around them allowed, empty items ignored ("" is every type). */
const TYPE_LIST = new RegExp(`^[ \\t]*(?:${ONE_TYPE}[ \\t]*)?(?:,[ \\t]*(?:${ONE_TYPE}[ \\t]*)?)*$`);

/** `types`: the event types to return, checked with the pattern the document states, an unknown type named with a did-you-mean. */
const typesQuery = z
  .string()
  .max(2000)
  .superRefine((text, ctx) => {
    const items = text
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const unknown = items.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
    if (unknown.length) {
      const first = unknown[0] ?? '';
      const hint = didYouMean(first, EVENT_TYPES);
      ctx.addIssue({ code: 'custom', message: `Unknown event type ${unknown.join(', ')}${hint ? ` (${hint})` : ''}; known: ${EVENT_TYPES.join(', ')}` });
    } else if (!TYPE_LIST.test(text)) {
      ctx.addIssue({ code: 'custom', message: `"types" must be event types separated by commas: ${EVENT_TYPES.join(', ')}` });
    }
  })
  .meta({ pattern: TYPE_LIST.source, 'x-error-code': 'INVALID_EVENT_TYPE' })
  .transform((text): EventType[] | undefined => {
    const items = [
      ...new Set(
        text
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      ),
    ] as EventType[];
    return items.length ? items : undefined;
  })
  .optional()
  .describe(`Comma-separated event types to return (the cursor still moves past the others): ${EVENT_TYPES.join(', ')}`);

const ChangeEventSchema = z
  .strictObject({
    id: z.string().describe("Unique; the audit event's id, suffixed .<n> for the further events of one change"),
    seq: z.number().int().describe("Place in the tenant's order (consecutive)"),
    cursor: z.string().describe('Opaque: after=<cursor> continues after this event'),
    type: z.enum(EVENT_TYPES),
    version: z.literal(EVENT_SCHEMA_VERSION).describe('Payload schema version'),
    tenantId: z.string(),
    occurredAt: z.string().meta({ format: 'date-time' }),
    actor: z.looseObject({ type: z.string(), id: z.string() }),
    object: z.looseObject({ type: z.string(), id: z.string(), version: z.number().int().optional().describe("The object's version after the change, when known") }),
    data: openObject(
      'user.*: {user: {id, attrs}, changes?: {before, after}}; group.created/updated/deleted: {group, changes?}; ' +
        'group.member_added/removed: {groupId, userId, source (scim, rule:<id>, dynamic, automatic, manual, import, invitation), membershipSource? (invitation: manual, the source it is kept under), role?, membershipEnded?, cause: {actor, auditAction, expression?, trigger?, invitationId?}}; ' +
        "access.changed (object: the user): {userId, before: {admin, roles, permissions: {target: level}, resources: {resourceId: level}}, after: (the same), grant: {subject, change, before, after} (a role or resource grant) or change: {object, action} (any other change: a membership of any source, a role's privileges, a group moved, archived or deleted, the user deactivated, reactivated or moved to another audience), cause}",
    ),
  })
  .meta({ id: 'ChangeEvent' });

export const eventsOperations = {
  read: operation({
    method: 'get',
    path: '/events',
    tag: 'Events',
    summary: "The tenant's change events in one total order that never changes: keep nextCursor and ask again with after=",
    description:
      'Users, groups, memberships and access as they change (catalogue and payloads: docs/events.md). The same cursor answers the same events every time; ' +
      'events older than the retention period (EVENTS_RETENTION_DAYS, default 30) are removed, and a cursor before them answers 410 EVENTS_CURSOR_EXPIRED.',
    query: z
      .strictObject({
        after: z
          .string()
          .max(200)
          .meta({ 'x-error-code': 'INVALID_CURSOR' })
          .optional()
          .describe("A cursor from a previous answer (nextCursor, or an event's cursor); without it, from the oldest event kept"),
        types: typesQuery,
        limit: intQuery(1, MAX_EVENTS_PAGE, `Events per page (default ${DEFAULT_EVENTS_PAGE})`),
      })
      // The code these parameters were refused with before the schema (a type and a cursor name their own).
      .meta({ 'x-error-code': 'INVALID_PARAMETER' }),
    responses: {
      200: {
        description: 'OK',
        schema: z.strictObject({
          items: z.array(ChangeEventSchema),
          nextCursor: z.string().describe('Where to continue (after the last event returned, or after everything read when the page is short)'),
          hasMore: z.boolean(),
        }),
      },
    },
    errors: [403, 410],
  }),
};

/** /events: the tenant's change events in one total order, from any cursor (tenant admins; docs/events.md). */
export function eventsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  mount(router, eventsOperations.read, async ({ query }, req, res) => {
    const caller = await requireTenantAdmin(deps, req, res, 'read change events');
    res.json(await readFeed(deps.models, caller.tenantId, query));
  });
  return router;
}
