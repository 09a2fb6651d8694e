import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { createRole, deleteRole, getRole, listRoles, updateRole } from '../../domain/permissions/roles';
import { permissionsContextOf } from './permissions-kit';
import { accessOf, param, queryOf } from './route-kit';

/** /roles: roles CRUD (admins change them; default roles cannot be deleted or renamed). */
export function rolesRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const ctx = permissionsContextOf(deps);

  router.get('/roles', async (req, res) => {
    res.json(await listRoles(ctx, await accessOf(deps, req, res), queryOf(req)));
  });
  router.post('/roles', async (req, res) => {
    res.status(201).json(await createRole(ctx, await accessOf(deps, req, res), req.body));
  });
  router.get('/roles/:id', async (req, res) => {
    res.json(await getRole(ctx, await accessOf(deps, req, res), param(req, 'id')));
  });
  router.patch('/roles/:id', async (req, res) => {
    res.json(await updateRole(ctx, await accessOf(deps, req, res), param(req, 'id'), req.body));
  });
  router.delete('/roles/:id', async (req, res) => {
    await deleteRole(ctx, await accessOf(deps, req, res), param(req, 'id'));
    res.status(204).end();
  });
  return router;
}
