import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { queryAudit } from '../../domain/access/audit-query';
import { accessOf, queryOf } from './route-kit';

/** /audit: the tenant's audit log, filtered and paginated (admins only). */
export function auditRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  router.get('/audit', async (req, res) => {
    res.json(await queryAudit(deps.models, await accessOf(deps, req, res), queryOf(req)));
  });
  return router;
}
