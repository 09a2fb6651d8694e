import express, { type Router } from 'express';
import type { AdminDeps } from './admin-deps';
import { adminAuth, adminErrorHandler } from './http-kit';
import { AppError } from '../errors/app-error';
import { jsonBody } from '../http/json-body';
import { adminRouteGuard } from './route-guard';
import { adminOpenApiDocument } from './openapi';
import { rolesRoutes } from './routes/roles';
import { permissionsRoutes } from './routes/permissions';
import { groupGrantsRoutes } from './routes/group-grants';
import { resourcesRoutes } from './routes/resources';
import { groupsRoutes } from './routes/groups';
import { membersRoutes } from './routes/members';
import { administratorsRoutes } from './routes/administrators';
import { projectsRoutes } from './routes/projects';
import { invitationsRoutes } from './routes/invitations';
import { usersRoutes } from './routes/users';
import { auditRoutes } from './routes/audit';
import { openapiRoutes } from './routes/openapi';
import { mappingsRoutes, rulesRoutes } from './routes/rules';
import { syncRoutes } from './routes/sync';
import { sessionRoutes } from './routes/session';
import { scimTokensRoutes } from './routes/scim-tokens';
import { eventsRoutes } from './routes/events';
import { webhooksRoutes } from './routes/webhooks';
import { provisioningLogRoutes } from './routes/provisioning-log';
import { consoleLinksRoutes } from './routes/console-links';
import { deprovisioningRoutes } from './routes/deprovisioning';

/**
 * The admin API (/admin/v1): authenticated by a bearer JWT or the operator console's session
 * cookie (src/auth/admin-request-auth.ts), tenant-scoped by the caller's tenant.
 * Each resource has its own router module under routes/; they are mounted here in one list.
 */
export function adminRouter(deps: AdminDeps): Router {
  const router = express.Router();
  router.use(jsonBody({ limit: '2mb' }));
  // ---- public routes (before authentication) ----
  router.use(openapiRoutes());
  // ---- end of public routes ----
  router.use(adminRouteGuard(adminOpenApiDocument()));
  router.use(adminAuth(deps.jwt, deps.models));
  // ---- resource routers (one line each) ----
  router.use(sessionRoutes(deps));
  router.use(scimTokensRoutes(deps));
  router.use(groupsRoutes(deps));
  router.use(membersRoutes(deps));
  router.use(administratorsRoutes(deps));
  router.use(projectsRoutes(deps));
  router.use(invitationsRoutes(deps));
  router.use(usersRoutes(deps));
  router.use(auditRoutes(deps));
  router.use(rolesRoutes(deps));
  router.use(permissionsRoutes(deps));
  router.use(groupGrantsRoutes(deps));
  router.use(resourcesRoutes(deps));
  router.use(rulesRoutes(deps));
  router.use(mappingsRoutes(deps));
  router.use(syncRoutes(deps));
  router.use(eventsRoutes(deps));
  router.use(webhooksRoutes(deps));
  router.use(provisioningLogRoutes(deps));
  router.use(consoleLinksRoutes(deps));
  router.use(deprovisioningRoutes(deps));
  // ---- end of resource routers ----
  router.use(() => {
    throw new AppError('notFound', 'NOT_FOUND', 'No such admin endpoint');
  });
  router.use(adminErrorHandler(deps.logger));
  return router;
}
