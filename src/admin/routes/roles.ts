import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { createRole, deleteRole, getRole, listRoles, ROLE_DESCRIPTION_MAX, ROLE_NAME_MAX, updateRole } from '../../domain/permissions/roles';
import { mount, operation } from '../contract/operation';
import { requiredText, text } from '../contract/schema-kit';
import { AUDIENCES, levelEnum, RoleSchema } from '../contract/schemas';
import { catalogueTarget, permissionsContextOf } from './permissions-kit';
import { accessOf } from './route-kit';

const rolePath = z.strictObject({ id: z.string().describe('Role id') });
const privileges = z
  .array(z.strictObject({ target: catalogueTarget('A catalogue target (GET /permissions/catalog)'), level: levelEnum }))
  .max(200)
  .meta({ 'x-error-code': 'PRIVILEGES_INVALID' });

export const rolesOperations = {
  list: operation({
    method: 'get',
    path: '/roles',
    tag: 'Roles',
    summary: 'List roles',
    query: z.strictObject({ q: z.string().max(100).optional().describe('Part of the name') }),
    responses: { 200: { description: 'OK', schema: z.strictObject({ items: z.array(RoleSchema), total: z.number().int() }) } },
    errors: [403],
  }),
  create: operation({
    method: 'post',
    path: '/roles',
    tag: 'Roles',
    summary: 'Create a role (admins; customer admins: customer roles, never admin-level); privileges checked against catalogue dependencies',
    body: z
      .strictObject({
        name: requiredText(ROLE_NAME_MAX),
        audience: z.enum(AUDIENCES).optional().describe('user (default for admins) or customer (always, for customer admins)'),
        description: text(ROLE_DESCRIPTION_MAX, { multiline: true }).optional(),
        privileges,
      })
      .meta({ id: 'RoleInput' }),
    responses: { 201: { description: 'Created', schema: RoleSchema } },
    errors: [403, 409],
  }),
  get: operation({
    method: 'get',
    path: '/roles/{id}',
    tag: 'Roles',
    summary: 'Get a role',
    params: rolePath,
    responses: { 200: { description: 'OK', schema: RoleSchema } },
    errors: [403, 404],
  }),
  update: operation({
    method: 'patch',
    path: '/roles/{id}',
    tag: 'Roles',
    summary: 'Change a role',
    params: rolePath,
    body: z
      .strictObject({ name: requiredText(ROLE_NAME_MAX).optional(), description: text(ROLE_DESCRIPTION_MAX, { multiline: true }).optional(), privileges: privileges.optional() })
      .meta({ id: 'RoleUpdate' }),
    responses: { 200: { description: 'OK', schema: RoleSchema } },
    errors: [403, 404, 409],
  }),
  delete: operation({
    method: 'delete',
    path: '/roles/{id}',
    tag: 'Roles',
    summary: 'Delete a role',
    params: rolePath,
    responses: { 204: { description: 'Done; no content' } },
    errors: [403, 404, 409],
  }),
};

/** /roles: roles CRUD (admins change them; default roles cannot be deleted or renamed). */
export function rolesRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const ctx = permissionsContextOf(deps);
  const ops = rolesOperations;

  mount(router, ops.list, async ({ query }, req, res) => {
    res.json(await listRoles(ctx, await accessOf(deps, req, res), query));
  });
  mount(router, ops.create, async ({ body }, req, res) => {
    res.status(201).json(await createRole(ctx, await accessOf(deps, req, res), body));
  });
  mount(router, ops.get, async ({ params }, req, res) => {
    res.json(await getRole(ctx, await accessOf(deps, req, res), params.id));
  });
  mount(router, ops.update, async ({ params, body }, req, res) => {
    res.json(await updateRole(ctx, await accessOf(deps, req, res), params.id, body));
  });
  mount(router, ops.delete, async ({ params }, req, res) => {
    await deleteRole(ctx, await accessOf(deps, req, res), params.id);
    res.status(204).end();
  });
  return router;
}
