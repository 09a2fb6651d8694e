import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { AUDIT_ACTION_MAX, AUDIT_CATEGORIES, AUDIT_NAME_MAX, AUDIT_PAGE_MAX, queryAudit } from '../../domain/access/audit-query';
import { mount, operation } from '../contract/operation';
import { page } from '../contract/schema-kit';
import { AuditEventSchema } from '../contract/schemas';
import { accessOf } from './route-kit';

/** An RFC 3339 date-time with its offset (Z or ±hh:mm), as `format: date-time` says; read as a Date. */
const time = (description: string) =>
  z.iso
    .datetime({ offset: true, error: 'must be an RFC 3339 date-time, e.g. 2026-12-06T09:30:00Z' })
    .transform((value) => new Date(value))
    .optional()
    .describe(description);

const NamedSchema = z.strictObject({ id: z.string(), kind: z.enum(['user', 'group', 'token', 'rule']), name: z.string() });

export const auditOperations = {
  list: operation({
    method: 'get',
    path: '/audit',
    tag: 'Audit',
    summary: 'The audit log, newest first (admins)',
    query: z.strictObject({
      category: z
        .enum(AUDIT_CATEGORIES)
        .optional()
        .describe('auto_assignment: every membership change a rule, SSO mapping or dynamic group made (actor rule:<id>; after.expression, and after.trigger: the user change that caused it)'),
      action: z.string().max(AUDIT_ACTION_MAX).optional().describe("Exact action, or a prefix ending in '.' or '*' (group. / group.member*)"),
      actor: z.string().max(200).optional().describe('Actor id, or type:id (admin:usr_…, scim-token:tok_…)'),
      objectId: z.string().max(200).optional().describe('Object id'),
      objectType: z.string().max(100).optional().describe('Object type (Group, User, Invitation, …)'),
      actorName: z
        .string()
        .max(AUDIT_NAME_MAX)
        .optional()
        .describe(
          "The actor by name: a user (whole words of their name, or their e-mail), a SCIM token by its label, a rule by its name (ignoring case; an id works too). The answer's `matched.actor` lists what the name stood for (at most 50)",
        ),
      objectName: z
        .string()
        .max(AUDIT_NAME_MAX)
        .optional()
        .describe(
          'What the event is about, by name: a user (whole words of their name, or their e-mail; their membership events included) or a group by its name (ignoring case; an id works too). `matched.object` lists what it stood for',
        ),
      from: time('From this time (inclusive)'),
      to: time('Until this time (exclusive)'),
      cursor: z.string().optional().describe('Continue after the last item of the previous page (nextCursor; opaque: only a cursor this API returned is accepted)'),
      limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(50).describe(`Page size (1-${AUDIT_PAGE_MAX}, default 50)`),
    }),
    responses: {
      200: {
        description: 'OK. With actorName/objectName, also `matched: {actor?, object?}`: the things each name stood for (an empty list: no event matches)',
        schema: page(AuditEventSchema).extend({
          matched: z.strictObject({ actor: z.array(NamedSchema).optional(), object: z.array(NamedSchema).optional() }).optional(),
        }),
      },
    },
    errors: [403],
  }),
};

/** /audit: the tenant's audit log, filtered and paginated (admins only). */
export function auditRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  mount(router, auditOperations.list, async ({ query }, req, res) => {
    res.json(await queryAudit(deps.models, await accessOf(deps, req, res), query));
  });
  return router;
}
