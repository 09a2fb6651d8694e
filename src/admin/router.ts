import express, { type Router } from 'express';
import type { AdminDeps } from './admin-deps';
import { adminAuth, adminErrorHandler } from './http-kit';
import { AppError } from '../errors/app-error';

/**
 * The admin API (/admin/v1): JWT-authenticated, tenant-scoped by the token's `tenant` claim.
 * Each resource has its own router module under routes/; they are mounted here in one list.
 */
export function adminRouter(deps: AdminDeps): Router {
  const router = express.Router();
  router.use(express.json({ limit: '2mb' }));
  // ---- public routes (before authentication) ----
  // ---- end of public routes ----
  router.use(adminAuth(deps.jwt));
  // ---- resource routers (one line each) ----
  // ---- end of resource routers ----
  router.use(() => {
    throw new AppError('notFound', 'NOT_FOUND', 'No such admin endpoint');
  });
  router.use(adminErrorHandler(deps.logger));
  return router;
}
