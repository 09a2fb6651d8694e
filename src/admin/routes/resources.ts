import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { createResource, deleteResource, getResource, listResources, RESOURCE_NAME_MAX, updateResource } from '../../domain/permissions/resources';
import { mount, operation } from '../contract/operation';
import { id, intQuery, requiredText } from '../contract/schema-kit';
import { levelEnum, RESOURCE_TYPES, ResourceSchema } from '../contract/schemas';
import { permissionsContextOf } from './permissions-kit';
import { accessOf } from './route-kit';

const resourcePath = z.strictObject({ id: z.string().describe('Resource id') });

export const resourcesOperations = {
  list: operation({
    method: 'get',
    path: '/resources',
    tag: 'Resources',
    summary: 'List agents, data sources and projects (non-admins: those of their groups)',
    query: z.strictObject({
      type: z.enum(RESOURCE_TYPES).optional().describe('agent, data source or project'),
      q: z.string().max(100).optional().describe('Part of the name'),
      groupId: z.string().optional().describe('Resources assigned to this group'),
      page: intQuery(1, 100_000, '1-based page'),
      limit: intQuery(1, 200, 'Page size (max 200)'),
    }),
    responses: { 200: { description: 'OK', schema: z.strictObject({ items: z.array(ResourceSchema), page: z.number().int(), limit: z.number().int(), total: z.number().int() }) } },
  }),
  create: operation({
    method: 'post',
    path: '/resources',
    tag: 'Resources',
    summary: 'Create a resource; with groupId also assign it to that group (how a Group Administrator creates a project)',
    body: z.strictObject({
      type: z.enum(RESOURCE_TYPES),
      name: requiredText(RESOURCE_NAME_MAX),
      groupId: id().optional(),
      level: levelEnum.nullable().optional().describe("With groupId: the group's level (null or absent: edit)"),
    }),
    responses: { 201: { description: 'Created', schema: ResourceSchema } },
    errors: [403, 404, 409],
  }),
  get: operation({
    method: 'get',
    path: '/resources/{id}',
    tag: 'Resources',
    summary: 'Get a resource with the groups it is assigned to',
    params: resourcePath,
    responses: { 200: { description: 'OK', schema: ResourceSchema } },
    errors: [404],
  }),
  update: operation({
    method: 'patch',
    path: '/resources/{id}',
    tag: 'Resources',
    summary: 'Rename a resource',
    params: resourcePath,
    body: z.strictObject({ name: requiredText(RESOURCE_NAME_MAX) }),
    responses: { 200: { description: 'OK', schema: ResourceSchema } },
    errors: [403, 404, 409],
  }),
  delete: operation({
    method: 'delete',
    path: '/resources/{id}',
    tag: 'Resources',
    summary: 'Delete a resource and its assignments',
    params: resourcePath,
    responses: { 204: { description: 'Done; no content' } },
    errors: [403, 404],
  }),
};

/** /resources: agents, data sources and projects that can be assigned to groups. */
export function resourcesRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const ctx = permissionsContextOf(deps);
  const ops = resourcesOperations;

  mount(router, ops.list, async ({ query }, req, res) => {
    res.json(await listResources(ctx, await accessOf(deps, req, res), query));
  });
  mount(router, ops.create, async ({ body }, req, res) => {
    res.status(201).json(await createResource(ctx, await accessOf(deps, req, res), body));
  });
  mount(router, ops.get, async ({ params }, req, res) => {
    res.json(await getResource(ctx, await accessOf(deps, req, res), params.id));
  });
  mount(router, ops.update, async ({ params, body }, req, res) => {
    res.json(await updateResource(ctx, await accessOf(deps, req, res), params.id, body.name));
  });
  mount(router, ops.delete, async ({ params }, req, res) => {
    await deleteResource(ctx, await accessOf(deps, req, res), params.id);
    res.status(204).end();
  });
  return router;
}
