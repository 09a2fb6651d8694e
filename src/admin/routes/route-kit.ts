import type { Request, Response } from 'express';
import type { AdminDeps } from '../admin-deps';
import { principalOf, requestIdOf } from '../http-kit';
import type { Caller } from '../../domain/access/caller';
import { forbidden, loadAccess, type Access } from '../../domain/access/policy';
import type { GroupsDeps } from '../../domain/groups/deps';

/** The verified caller of an admin request, as the domain sees it. */
export function callerOf(req: Request, res: Response): Caller {
  const p = principalOf(res);
  const requestId = requestIdOf(req);
  return { tenantId: p.tenantId, userId: p.userId, role: p.role, kind: p.kind, ...(requestId !== undefined ? { requestId } : {}) };
}

/** The caller's rights in their tenant (memberships, administrator designations), read per request. */
export function accessOf(deps: AdminDeps, req: Request, res: Response): Promise<Access> {
  return loadAccess(deps.models, callerOf(req, res));
}

/**
 * Tenant configuration (rules, mappings, SCIM tokens, sync monitoring) is for tenant admins: the
 * policy's canConfigureTenant (an operator, or an internal user with the role admin or in Admins).
 */
export async function requireTenantAdmin(deps: AdminDeps, req: Request, res: Response, what: string): Promise<Caller> {
  const access = await loadAccess(deps.models, callerOf(req, res));
  if (!access.canConfigureTenant()) throw forbidden(what);
  return access.caller;
}

/** A tenant admin's request as the actor of what it changes (rules, mappings, SCIM tokens): tenant, actor, request id. */
export async function tenantAdminContext(deps: AdminDeps, req: Request, res: Response, what: string): Promise<{ tenantId: string; actor: { type: 'admin'; id: string }; requestId?: string }> {
  const caller = await requireTenantAdmin(deps, req, res, what);
  return { tenantId: caller.tenantId, actor: { type: 'admin', id: caller.userId }, ...(caller.requestId !== undefined ? { requestId: caller.requestId } : {}) };
}

export function groupsDepsOf(deps: AdminDeps): GroupsDeps {
  return { models: deps.models, memberships: deps.memberships, registry: deps.registry, producer: deps.producer, logger: deps.logger };
}
