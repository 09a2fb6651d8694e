import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { addAdministrator, listAdministrators, removeAdministrator } from '../../domain/groups/administrators';
import { mount, operation } from '../contract/operation';
import { id, timestamp } from '../contract/schema-kit';
import { AdministratorSchema } from '../contract/schemas';
import { accessOf, groupsDepsOf } from './route-kit';
import { groupPath } from './groups';

export const administratorsOperations = {
  list: operation({
    method: 'get',
    path: '/groups/{id}/administrators',
    tag: 'Group administrators',
    summary: 'List Group Administrators',
    params: groupPath,
    responses: { 200: { description: 'OK', schema: z.strictObject({ items: z.array(AdministratorSchema) }) } },
    errors: [404],
  }),
  add: operation({
    method: 'post',
    path: '/groups/{id}/administrators',
    tag: 'Group administrators',
    summary: 'Designate a member as Group Administrator (custom groups)',
    params: groupPath,
    body: z.strictObject({ userId: id() }),
    responses: { 201: { description: 'Designated', schema: z.strictObject({ userId: z.string(), createdAt: timestamp() }) } },
    errors: [403, 404, 409],
  }),
  remove: operation({
    method: 'delete',
    path: '/groups/{id}/administrators/{userId}',
    tag: 'Group administrators',
    summary: 'Remove a Group Administrator designation',
    params: z.strictObject({ id: z.string().describe('Group id (grp_…)'), userId: z.string().describe('User id') }),
    responses: { 204: { description: 'Done; no content' } },
    errors: [403, 404],
  }),
};

/** Group Administrators of a group (/groups/:id/administrators), product doc 004. */
export function administratorsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const gd = groupsDepsOf(deps);
  const ops = administratorsOperations;

  mount(router, ops.list, async ({ params }, req, res) => {
    res.json(await listAdministrators(gd, await accessOf(deps, req, res), params.id));
  });
  mount(router, ops.add, async ({ params, body }, req, res) => {
    res.status(201).json(await addAdministrator(gd, await accessOf(deps, req, res), params.id, body.userId));
  });
  mount(router, ops.remove, async ({ params }, req, res) => {
    await removeAdministrator(gd, await accessOf(deps, req, res), params.id, params.userId);
    res.status(204).end();
  });
  return router;
}
