import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { catalogView } from '../../domain/permissions/catalog';
import { authorizeFor, userPermissions } from '../../domain/permissions/queries';
import { permissionsContextOf } from './permissions-kit';
import { callerOf, param } from './route-kit';

/**
 * The permission catalogue, a user's effective permissions and the authorize decision. These read
 * the cached engine only (no per-request access load), since authorize is the hot path.
 */
export function permissionsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const ctx = permissionsContextOf(deps);
  const catalog = catalogView();

  router.get('/permissions/catalog', (_req, res) => {
    res.json(catalog);
  });
  router.get('/users/:id/permissions', async (req, res) => {
    res.json(await userPermissions(ctx, callerOf(req, res), param(req, 'id')));
  });
  router.post('/authorize', async (req, res) => {
    res.json(await authorizeFor(ctx, callerOf(req, res), req.body));
  });
  return router;
}
