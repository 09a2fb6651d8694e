import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { createResource, deleteResource, getResource, listResources, updateResource } from '../../domain/permissions/resources';
import { permissionsContextOf } from './permissions-kit';
import { accessOf, param, queryOf } from './route-kit';

/** /resources: agents, data sources and projects that can be assigned to groups. */
export function resourcesRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const ctx = permissionsContextOf(deps);

  router.get('/resources', async (req, res) => {
    res.json(await listResources(ctx, await accessOf(deps, req, res), queryOf(req)));
  });
  router.post('/resources', async (req, res) => {
    res.status(201).json(await createResource(ctx, await accessOf(deps, req, res), req.body));
  });
  router.get('/resources/:id', async (req, res) => {
    res.json(await getResource(ctx, await accessOf(deps, req, res), param(req, 'id')));
  });
  router.patch('/resources/:id', async (req, res) => {
    res.json(await updateResource(ctx, await accessOf(deps, req, res), param(req, 'id'), req.body));
  });
  router.delete('/resources/:id', async (req, res) => {
    await deleteResource(ctx, await accessOf(deps, req, res), param(req, 'id'));
    res.status(204).end();
  });
  return router;
}
