import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { addAdministrator, listAdministrators, removeAdministrator } from '../../domain/groups/administrators';
import { accessOf, groupsDepsOf, param } from './route-kit';

/** Group Administrators of a group (/groups/:id/administrators), product doc 004. */
export function administratorsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const gd = groupsDepsOf(deps);

  router.get('/groups/:id/administrators', async (req, res) => {
    res.json(await listAdministrators(gd, await accessOf(deps, req, res), param(req, 'id')));
  });
  router.post('/groups/:id/administrators', async (req, res) => {
    res.status(201).json(await addAdministrator(gd, await accessOf(deps, req, res), param(req, 'id'), req.body));
  });
  router.delete('/groups/:id/administrators/:userId', async (req, res) => {
    await removeAdministrator(gd, await accessOf(deps, req, res), param(req, 'id'), param(req, 'userId'));
    res.status(204).end();
  });

  return router;
}
