import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { catalogView } from '../../domain/permissions/catalog';
import { authorizeFor, userPermissions } from '../../domain/permissions/queries';
import { mount, operation } from '../contract/operation';
import { AuthorizeDecisionSchema, CatalogSchema, PermissionsSchema } from '../contract/schemas';
import { catalogueTarget, permissionsContextOf } from './permissions-kit';
import { callerOf } from './route-kit';

export const permissionsOperations = {
  catalog: operation({
    method: 'get',
    path: '/permissions/catalog',
    tag: 'Permissions',
    summary: 'The permission catalogue',
    responses: { 200: { description: 'OK', schema: CatalogSchema } },
  }),
  userPermissions: operation({
    method: 'get',
    path: '/users/{id}/permissions',
    tag: 'Permissions',
    summary: "A user's effective permissions, with the group and role behind each",
    params: z.strictObject({ id: z.string().describe('User id') }),
    responses: { 200: { description: 'OK', schema: PermissionsSchema } },
    errors: [403, 404],
  }),
  authorize: operation({
    method: 'post',
    path: '/authorize',
    tag: 'Permissions',
    summary: 'May this user do this? allow/deny with the reason',
    body: z
      .strictObject({
        userId: z.string().min(1),
        action: z.enum(['view', 'use', 'edit', 'create', 'delete']).describe('use: data sources (queries use its data); on an agent, view suffices'),
        target: catalogueTarget('A catalogue target, e.g. Ticket').optional(),
        resource: z.string().min(1).optional().describe('A resource id (agent, data source, project)'),
      })
      .check((ctx) => {
        if ((ctx.value.target === undefined) === (ctx.value.resource === undefined)) {
          ctx.issues.push({ code: 'custom', path: ['target'], message: 'Give exactly one of target (a catalogue target) and resource (a resource id)', input: ctx.value });
        }
      })
      .meta({ id: 'AuthorizeRequest', 'x-error-code': 'AUTHORIZE_INVALID', description: 'Exactly one of target and resource.', oneOf: [{ required: ['target'] }, { required: ['resource'] }] }),
    responses: { 200: { description: 'The decision', schema: AuthorizeDecisionSchema } },
    errors: [403, 404],
  }),
};

/**
 * The permission catalogue, a user's effective permissions and the authorize decision. These read
 * the cached engine only (no per-request access load), since authorize is the hot path.
 */
export function permissionsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const ctx = permissionsContextOf(deps);
  const catalog = catalogView();
  const ops = permissionsOperations;

  mount(router, ops.catalog, (_input, _req, res) => {
    res.json(catalog);
  });
  mount(router, ops.userPermissions, async ({ params }, req, res) => {
    res.json(await userPermissions(ctx, callerOf(req, res), params.id));
  });
  mount(router, ops.authorize, async ({ body }, req, res) => {
    res.json(await authorizeFor(ctx, callerOf(req, res), body));
  });
  return router;
}
