import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { listUsers } from '../../domain/access/user-visibility';
import { personDetail } from '../../domain/people/person';
import { userSummary } from '../../domain/groups/user-identity';
import { UsersService } from '../../scim/service/users-service';
import { CORE_USER_URN, CUSTOM_USER_URN } from '../../attributes/urns';
import { mount, operation } from '../contract/operation';
import { cursorQuery, email, page, text, timestamp } from '../contract/schema-kit';
import { AUDIENCES, AuditEventSchema, UserSummarySchema } from '../contract/schemas';
import { accessOf, callerOf } from './route-kit';

const why = z.strictObject({
  source: z.string(),
  kind: z.enum(['scim', 'manual', 'import', 'owner', 'rule', 'mapping', 'dynamic', 'automatic', 'unknown']),
  description: z.string().describe('e.g. matches auto-assignment rule "Support": department = "Support"'),
  rule: z.strictObject({ id: z.string(), name: z.string(), expression: z.string(), enabled: z.boolean().optional() }).optional(),
});

const PersonSchema = z
  .strictObject({
    ...UserSummarySchema.shape,
    groups: z.array(
      z.strictObject({
        groupId: z.string(),
        groupName: z.string().nullable(),
        role: z.string(),
        sources: z.array(z.string()),
        why: z.array(why),
        cause: z
          .looseObject({ at: timestamp(), actor: z.looseObject({ type: z.string(), id: z.string() }), after: z.unknown().optional() })
          .nullable()
          .optional()
          .describe('Admins: the newest event that added this membership (after.expression, after.trigger: the user change that caused it)'),
      }),
    ),
    attributes: z.looseObject({}).optional().describe("Admins: the user's SCIM attributes (core, enterprise and custom extensions; never the password)"),
    recentEvents: z.array(AuditEventSchema).optional().describe("Admins: the user's newest audit events (their own and the membership changes naming them), newest first"),
  })
  .meta({ id: 'Person' });

export const usersOperations = {
  list: operation({
    method: 'get',
    path: '/users',
    tag: 'Users',
    summary: "Search users (admins: all; customer admins: customers and their groups' users; owners, managers and Group Administrators: their groups' users)",
    query: z.strictObject({
      q: z.string().max(100).optional().describe('Start of userName, e-mail or display name'),
      search: z
        .string()
        .max(300)
        .optional()
        .describe(
          'People search: every word must equal a whole word or value of any attribute (name, e-mail or its domain, userName, externalId, enterprise and custom values), ignoring case. ' +
            "While users stored before people search are being caught up (started by the tenant's first search), the answer carries `indexing: true` and may miss them",
        ),
      audience: z.enum(AUDIENCES).optional().describe('user or customer'),
      ...cursorQuery(200),
    }),
    responses: {
      200: {
        description: 'OK',
        schema: page(UserSummarySchema).extend({ indexing: z.literal(true).optional().describe('Present with `search` while older users are being caught up') }),
      },
    },
    errors: [403],
  }),
  create: operation({
    method: 'post',
    path: '/users',
    tag: 'Users',
    summary: 'Provision a user (admins); pending invitations for the address are applied',
    body: z
      .strictObject({
        userName: text(254, { min: 1 }).optional().describe('Default: email'),
        email: email().optional(),
        displayName: text(256).optional(),
        audience: z.enum(AUDIENCES).optional(),
        active: z.boolean().optional(),
      })
      .check((ctx) => {
        if (!ctx.value.userName && ctx.value.email === undefined) ctx.issues.push({ code: 'custom', path: ['userName'], message: '"userName" (or "email") is required', input: ctx.value });
      })
      .meta({ anyOf: [{ required: ['userName'] }, { required: ['email'] }] }),
    responses: { 201: { description: 'Provisioned', schema: UserSummarySchema } },
    errors: [403, 409],
  }),
  get: operation({
    method: 'get',
    path: '/users/{id}',
    tag: 'Users',
    summary: 'Get a user with the groups the caller may see them in, and why they are in each',
    params: z.strictObject({ id: z.string().describe('User id') }),
    responses: { 200: { description: 'OK', schema: PersonSchema } },
    errors: [403, 404],
  }),
};

/**
 * The user directory for the admin UI: GET /users (search, scoped to what the caller may see),
 * GET /users/:id, and POST /users for an admin to provision a user without an IdP. Provisioning goes
 * through the SCIM User use-case, so validation, the audit event, the sync job and the application
 * of pending invitations are the same as for an IdP's POST /Users.
 */
export function usersRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const ops = usersOperations;
  // create() reads no paging limits; the SCIM dependencies are otherwise the admin API's own.
  const users = new UsersService({
    models: deps.models,
    registry: deps.registry,
    memberships: deps.memberships,
    producer: deps.producer,
    logger: deps.logger,
    limits: { maxPageSize: 200, defaultPageSize: 50, bulkMaxOperations: 0, bulkMaxPayloadBytes: 0, ...deps.resourceLimits },
  });

  mount(router, ops.list, async ({ query }, req, res) => {
    res.json(await listUsers(deps.models, await accessOf(deps, req, res), query));
  });
  mount(router, ops.create, async ({ body }, req, res) => {
    const access = await accessOf(deps, req, res);
    access.assertAdmin('provision users');
    const caller = callerOf(req, res);
    const { email: address, displayName } = body;
    const created = await users.create(
      { tenantId: caller.tenantId, actor: { type: 'admin', id: caller.userId }, ...(caller.requestId !== undefined ? { requestId: caller.requestId } : {}), baseUrl: '' },
      {
        schemas: [CORE_USER_URN, CUSTOM_USER_URN],
        userName: body.userName || address,
        ...(displayName !== undefined ? { displayName } : {}),
        ...(address !== undefined ? { emails: [{ value: address, type: 'work', primary: true }] } : {}),
        active: body.active ?? true,
        [CUSTOM_USER_URN]: { audience: body.audience ?? 'user' },
      },
    );
    res.status(201).json(userSummary(created));
  });
  mount(router, ops.get, async ({ params }, req, res) => {
    res.json(await personDetail(deps.models, deps.registry, await accessOf(deps, req, res), params.id));
  });
  return router;
}
