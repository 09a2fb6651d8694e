import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { addGroupProject, listGroupProjects, removeGroupProject } from '../../domain/groups/projects';
import { permissionsContextOf } from './permissions-kit';
import { accessOf, param } from './route-kit';

/** Projects of a group (/groups/:id/projects), the Group Administrator's view of product doc 004. */
export function projectsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const ctx = permissionsContextOf(deps);

  router.get('/groups/:id/projects', async (req, res) => {
    res.json(await listGroupProjects(ctx, await accessOf(deps, req, res), param(req, 'id')));
  });
  router.post('/groups/:id/projects', async (req, res) => {
    res.status(201).json(await addGroupProject(ctx, await accessOf(deps, req, res), param(req, 'id'), req.body));
  });
  router.delete('/groups/:id/projects/:projectId', async (req, res) => {
    await removeGroupProject(ctx, await accessOf(deps, req, res), param(req, 'id'), param(req, 'projectId'));
    res.status(204).end();
  });
  return router;
}
