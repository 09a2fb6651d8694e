import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { assignRoleToGroup, assignRoleToUser, groupRoles, revokeRoleFromGroup, revokeRoleFromUser, userRoles } from '../../domain/permissions/roles';
import { assignResources, groupResources, revokeResource } from '../../domain/permissions/resources';
import { permissionsContextOf } from './permissions-kit';
import { accessOf, param } from './route-kit';

/**
 * What groups and users are granted: roles on groups (/groups/:id/roles), a user's own roles
 * (/users/:id/roles) and resources on groups at a level (/groups/:id/resources).
 */
export function groupGrantsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const ctx = permissionsContextOf(deps);

  router.get('/groups/:id/roles', async (req, res) => {
    res.json(await groupRoles(ctx, await accessOf(deps, req, res), param(req, 'id')));
  });
  router.post('/groups/:id/roles', async (req, res) => {
    const result = await assignRoleToGroup(ctx, await accessOf(deps, req, res), param(req, 'id'), req.body);
    res.status(result.created ? 201 : 200).json(result.assignment);
  });
  router.delete('/groups/:id/roles/:roleId', async (req, res) => {
    await revokeRoleFromGroup(ctx, await accessOf(deps, req, res), param(req, 'id'), param(req, 'roleId'));
    res.status(204).end();
  });

  router.get('/users/:id/roles', async (req, res) => {
    res.json(await userRoles(ctx, await accessOf(deps, req, res), param(req, 'id')));
  });
  router.post('/users/:id/roles', async (req, res) => {
    const result = await assignRoleToUser(ctx, await accessOf(deps, req, res), param(req, 'id'), req.body);
    res.status(result.created ? 201 : 200).json(result.assignment);
  });
  router.delete('/users/:id/roles/:roleId', async (req, res) => {
    await revokeRoleFromUser(ctx, await accessOf(deps, req, res), param(req, 'id'), param(req, 'roleId'));
    res.status(204).end();
  });

  router.get('/groups/:id/resources', async (req, res) => {
    res.json(await groupResources(ctx, await accessOf(deps, req, res), param(req, 'id')));
  });
  router.post('/groups/:id/resources', async (req, res) => {
    const result = await assignResources(ctx, await accessOf(deps, req, res), param(req, 'id'), req.body);
    res.status(result.items.some((i) => i.outcome === 'created') ? 201 : 200).json(result);
  });
  router.delete('/groups/:id/resources/:resourceId', async (req, res) => {
    await revokeResource(ctx, await accessOf(deps, req, res), param(req, 'id'), param(req, 'resourceId'));
    res.status(204).end();
  });
  return router;
}
