import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { addGroupProject, listGroupProjects, removeGroupProject } from '../../domain/groups/projects';
import { RESOURCE_NAME_MAX } from '../../domain/permissions/resources';
import { mount, operation } from '../contract/operation';
import { id, requiredText } from '../contract/schema-kit';
import { ProjectSchema } from '../contract/schemas';
import { permissionsContextOf } from './permissions-kit';
import { accessOf } from './route-kit';
import { groupPath } from './groups';

export const projectsOperations = {
  list: operation({
    method: 'get',
    path: '/groups/{id}/projects',
    tag: 'Projects',
    summary: "The group's projects",
    params: groupPath,
    responses: { 200: { description: 'OK', schema: z.strictObject({ items: z.array(ProjectSchema) }) } },
    errors: [404],
  }),
  add: operation({
    method: 'post',
    path: '/groups/{id}/projects',
    tag: 'Projects',
    summary: 'Create a project in the group ({name}) or add a visible one ({projectId}); granted to the group at edit',
    description: "The same rules as POST /resources with groupId and POST /groups/{id}/resources: admins, customer admins (customer groups) and the group's Group Administrators.",
    params: groupPath,
    body: z
      .strictObject({ name: requiredText(RESOURCE_NAME_MAX).describe('A new project').optional(), projectId: id('An existing project').optional() })
      .check((ctx) => {
        if ((ctx.value.name === undefined) === (ctx.value.projectId === undefined)) {
          ctx.issues.push({ code: 'custom', path: ['name'], message: 'Give either "name" (a new project) or "projectId" (an existing one)', input: ctx.value });
        }
      })
      .meta({ oneOf: [{ required: ['name'] }, { required: ['projectId'] }] })
      .transform((b): { name: string } | { projectId: string } => (b.name !== undefined ? { name: b.name } : { projectId: b.projectId ?? '' })),
    responses: { 201: { description: 'Created or added', schema: ProjectSchema } },
    errors: [403, 404, 409],
  }),
  remove: operation({
    method: 'delete',
    path: '/groups/{id}/projects/{projectId}',
    tag: 'Projects',
    summary: 'Take a project out of the group',
    params: z.strictObject({ id: z.string().describe('Group id (grp_…)'), projectId: z.string().describe('Project id') }),
    responses: { 204: { description: 'Done; no content' } },
    errors: [403, 404],
  }),
};

/** Projects of a group (/groups/:id/projects), the Group Administrator's view of product doc 004. */
export function projectsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const ctx = permissionsContextOf(deps);
  const ops = projectsOperations;

  mount(router, ops.list, async ({ params }, req, res) => {
    res.json(await listGroupProjects(ctx, await accessOf(deps, req, res), params.id));
  });
  mount(router, ops.add, async ({ params, body }, req, res) => {
    res.status(201).json(await addGroupProject(ctx, await accessOf(deps, req, res), params.id, body));
  });
  mount(router, ops.remove, async ({ params }, req, res) => {
    await removeGroupProject(ctx, await accessOf(deps, req, res), params.id, params.projectId);
    res.status(204).end();
  });
  return router;
}
