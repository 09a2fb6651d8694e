import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { assignRoleToGroup, assignRoleToUser, groupRoles, revokeRoleFromGroup, revokeRoleFromUser, userRoles } from '../../domain/permissions/roles';
import { assignResources, groupResources, RESOURCE_ASSIGN_MAX, revokeResource } from '../../domain/permissions/resources';
import { mount, operation } from '../contract/operation';
import { id, idList, openObject } from '../contract/schema-kit';
import { levelEnum } from '../contract/schemas';
import { permissionsContextOf } from './permissions-kit';
import { accessOf } from './route-kit';
import { groupPath } from './groups';

const userPath = z.strictObject({ id: z.string().describe('User id') });
const roleBody = z.strictObject({ roleId: id() });
const listOf = openObject('The assignments (items), with the holder');

export const groupGrantsOperations = {
  groupRoles: operation({
    method: 'get',
    path: '/groups/{id}/roles',
    tag: 'Grants',
    summary: "The group's roles (own and inherited)",
    params: groupPath,
    responses: { 200: { description: 'OK', schema: listOf } },
    errors: [404],
  }),
  assignGroupRole: operation({
    method: 'post',
    path: '/groups/{id}/roles',
    tag: 'Grants',
    summary: 'Assign a role to the group',
    params: groupPath,
    body: roleBody,
    responses: { 201: { description: 'Assigned', schema: openObject() }, 200: { description: 'Assigned already', schema: openObject() } },
    errors: [403, 404, 409],
  }),
  revokeGroupRole: operation({
    method: 'delete',
    path: '/groups/{id}/roles/{roleId}',
    tag: 'Grants',
    summary: 'Revoke a role from the group',
    params: z.strictObject({ id: z.string().describe('Group id (grp_…)'), roleId: z.string().describe('Role id') }),
    responses: { 204: { description: 'Done; no content' } },
    errors: [403, 404],
  }),
  userRoles: operation({
    method: 'get',
    path: '/users/{id}/roles',
    tag: 'Grants',
    summary: 'Roles assigned to the user directly (their org-level role)',
    params: userPath,
    responses: { 200: { description: 'OK', schema: listOf } },
    errors: [403, 404],
  }),
  assignUserRole: operation({
    method: 'post',
    path: '/users/{id}/roles',
    tag: 'Grants',
    summary: 'Assign a role to the user directly (201 when new, 200 when it was assigned already)',
    params: userPath,
    body: roleBody,
    responses: { 201: { description: 'Assigned', schema: openObject() }, 200: { description: 'Assigned already', schema: openObject() } },
    errors: [403, 404],
  }),
  revokeUserRole: operation({
    method: 'delete',
    path: '/users/{id}/roles/{roleId}',
    tag: 'Grants',
    summary: 'Revoke a role assigned to the user directly',
    params: z.strictObject({ id: z.string().describe('User id'), roleId: z.string().describe('Role id') }),
    responses: { 204: { description: 'Done; no content' } },
    errors: [403, 404],
  }),
  groupResources: operation({
    method: 'get',
    path: '/groups/{id}/resources',
    tag: 'Grants',
    summary: 'Resources assigned to the group',
    params: groupPath,
    responses: { 200: { description: 'OK', schema: listOf } },
    errors: [404],
  }),
  assignGroupResources: operation({
    method: 'post',
    path: '/groups/{id}/resources',
    tag: 'Grants',
    summary: 'Assign a resource (agent, data source, project), or several, to the group at a level',
    params: groupPath,
    body: z
      .strictObject({
        resourceId: id('The resource; or').optional(),
        resourceIds: idList(RESOURCE_ASSIGN_MAX, 'several (duplicates ignored); exactly one of resourceId and resourceIds').optional(),
        level: levelEnum.optional().describe('Default view; the levels the resource type offers (only data sources offer use)'),
      })
      .check((ctx) => {
        if ((ctx.value.resourceId === undefined) === (ctx.value.resourceIds === undefined)) {
          ctx.issues.push({ code: 'custom', path: ['resourceId'], message: 'Give exactly one of "resourceId" and "resourceIds"', input: ctx.value });
        }
      })
      .meta({ oneOf: [{ required: ['resourceId'] }, { required: ['resourceIds'] }] })
      .transform((b) => (b.resourceIds !== undefined ? { resourceIds: b.resourceIds, level: b.level } : { resourceId: b.resourceId ?? '', level: b.level })),
    responses: {
      201: { description: 'Assigned (at least one new assignment)', schema: openObject() },
      200: { description: 'Assigned at that level already, or the level changed (no new assignment)', schema: openObject() },
    },
    errors: [403, 404, 409],
  }),
  revokeGroupResource: operation({
    method: 'delete',
    path: '/groups/{id}/resources/{resourceId}',
    tag: 'Grants',
    summary: 'Take a resource away from the group',
    params: z.strictObject({ id: z.string().describe('Group id (grp_…)'), resourceId: z.string().describe('Resource id') }),
    responses: { 204: { description: 'Done; no content' } },
    errors: [403, 404],
  }),
};

/**
 * What groups and users are granted: roles on groups (/groups/:id/roles), a user's own roles
 * (/users/:id/roles) and resources on groups at a level (/groups/:id/resources).
 */
export function groupGrantsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const ctx = permissionsContextOf(deps);
  const ops = groupGrantsOperations;

  mount(router, ops.groupRoles, async ({ params }, req, res) => {
    res.json(await groupRoles(ctx, await accessOf(deps, req, res), params.id));
  });
  mount(router, ops.assignGroupRole, async ({ params, body }, req, res) => {
    const result = await assignRoleToGroup(ctx, await accessOf(deps, req, res), params.id, body.roleId);
    res.status(result.created ? 201 : 200).json(result.assignment);
  });
  mount(router, ops.revokeGroupRole, async ({ params }, req, res) => {
    await revokeRoleFromGroup(ctx, await accessOf(deps, req, res), params.id, params.roleId);
    res.status(204).end();
  });

  mount(router, ops.userRoles, async ({ params }, req, res) => {
    res.json(await userRoles(ctx, await accessOf(deps, req, res), params.id));
  });
  mount(router, ops.assignUserRole, async ({ params, body }, req, res) => {
    const result = await assignRoleToUser(ctx, await accessOf(deps, req, res), params.id, body.roleId);
    res.status(result.created ? 201 : 200).json(result.assignment);
  });
  mount(router, ops.revokeUserRole, async ({ params }, req, res) => {
    await revokeRoleFromUser(ctx, await accessOf(deps, req, res), params.id, params.roleId);
    res.status(204).end();
  });

  mount(router, ops.groupResources, async ({ params }, req, res) => {
    res.json(await groupResources(ctx, await accessOf(deps, req, res), params.id));
  });
  mount(router, ops.assignGroupResources, async ({ params, body }, req, res) => {
    const result = await assignResources(ctx, await accessOf(deps, req, res), params.id, body);
    res.status(result.items.some((i) => i.outcome === 'created') ? 201 : 200).json(result);
  });
  mount(router, ops.revokeGroupResource, async ({ params }, req, res) => {
    await revokeResource(ctx, await accessOf(deps, req, res), params.id, params.resourceId);
    res.status(204).end();
  });
  return router;
}
