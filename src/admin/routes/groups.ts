import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { createGroup, deleteGroup, getGroup, listGroups, setGroupStatus, updateGroup } from '../../domain/groups/groups';
import { accessOf, groupsDepsOf, param, queryOf } from './route-kit';

/** /groups and /groups/:id: internal groups CRUD, archive/unarchive; IdP groups read-only (origin=scim). */
export function groupsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const gd = groupsDepsOf(deps);

  router.get('/groups', async (req, res) => {
    res.json(await listGroups(gd, await accessOf(deps, req, res), queryOf(req)));
  });
  router.post('/groups', async (req, res) => {
    res.status(201).json(await createGroup(gd, await accessOf(deps, req, res), req.body));
  });
  router.get('/groups/:id', async (req, res) => {
    res.json(await getGroup(gd, await accessOf(deps, req, res), param(req, 'id')));
  });
  router.patch('/groups/:id', async (req, res) => {
    res.json(await updateGroup(gd, await accessOf(deps, req, res), param(req, 'id'), req.body));
  });
  router.delete('/groups/:id', async (req, res) => {
    await deleteGroup(gd, await accessOf(deps, req, res), param(req, 'id'));
    res.status(204).end();
  });
  router.post('/groups/:id/archive', async (req, res) => {
    res.json(await setGroupStatus(gd, await accessOf(deps, req, res), param(req, 'id'), 'archived'));
  });
  router.post('/groups/:id/unarchive', async (req, res) => {
    res.json(await setGroupStatus(gd, await accessOf(deps, req, res), param(req, 'id'), 'active'));
  });
  return router;
}
