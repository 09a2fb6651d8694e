import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { listUsers } from '../../domain/access/user-visibility';
import { personDetail } from '../../domain/people/person';
import { invalid, isEmail, readBody, readEnum, readText } from '../../domain/groups/input';
import { userSummary } from '../../domain/groups/user-identity';
import { UsersService } from '../../scim/service/users-service';
import { CORE_USER_URN, CUSTOM_USER_URN } from '../../attributes/urns';
import { accessOf, callerOf, queryOf, param } from './route-kit';

/**
 * The user directory for the admin UI: GET /users (search, scoped to what the caller may see),
 * GET /users/:id, and POST /users for an admin to provision a user without an IdP. Provisioning goes
 * through the SCIM User use-case, so validation, the audit event, the sync job and the application
 * of pending invitations are the same as for an IdP's POST /Users.
 */
function scimBodyOf(input: unknown): Record<string, unknown> {
  const body = readBody(input, ['userName', 'email', 'displayName', 'audience', 'active']);
  const email = readText(body, 'email', { max: 254 });
  if (email !== undefined && !isEmail(email)) throw invalid('email', '"email" is not an e-mail address');
  const userName = readText(body, 'userName', { max: 254 }) ?? email;
  if (!userName) throw invalid('userName', '"userName" (or "email") is required');
  const displayName = readText(body, 'displayName', { max: 256 });
  const audience = readEnum(body, 'audience', ['user', 'customer'] as const) ?? 'user';
  if (body.active !== undefined && typeof body.active !== 'boolean') throw invalid('active', '"active" must be a boolean');
  return {
    schemas: [CORE_USER_URN, CUSTOM_USER_URN],
    userName,
    ...(displayName !== undefined ? { displayName } : {}),
    ...(email !== undefined ? { emails: [{ value: email, type: 'work', primary: true }] } : {}),
    active: body.active ?? true,
    [CUSTOM_USER_URN]: { audience },
  };
}

export function usersRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  // create() reads no paging limits; the SCIM dependencies are otherwise the admin API's own.
  const users = new UsersService({
    models: deps.models,
    registry: deps.registry,
    memberships: deps.memberships,
    producer: deps.producer,
    logger: deps.logger,
    limits: { maxPageSize: 200, defaultPageSize: 50, bulkMaxOperations: 0, bulkMaxPayloadBytes: 0, ...deps.resourceLimits },
  });

  router.get('/users', async (req, res) => {
    res.json(await listUsers(deps.models, await accessOf(deps, req, res), queryOf(req)));
  });
  router.post('/users', async (req, res) => {
    const access = await accessOf(deps, req, res);
    access.assertAdmin('provision users');
    const caller = callerOf(req, res);
    const created = await users.create(
      { tenantId: caller.tenantId, actor: { type: 'admin', id: caller.userId }, ...(caller.requestId !== undefined ? { requestId: caller.requestId } : {}), baseUrl: '' },
      scimBodyOf(req.body),
    );
    res.status(201).json(userSummary(created));
  });
  router.get('/users/:id', async (req, res) => {
    res.json(await personDetail(deps.models, deps.registry, await accessOf(deps, req, res), param(req, 'id')));
  });
  return router;
}
