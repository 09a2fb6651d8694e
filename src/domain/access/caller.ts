import type { OrgRole } from '../../auth/admin-jwt';
import { recordAudit, type AuditActor } from '../audit';
import type { Models } from '../../persistence/models';

/** Who is calling the admin API: the verified token's subject and tenant, free of HTTP types. */
export interface Caller {
  tenantId: string;
  /** The calling user's id (the token's `sub`). */
  userId: string;
  /** Org-level role claimed by the token. */
  role: OrgRole;
  /** 'operator' for a token or console session that speaks for the tenant with no user behind it. */
  kind?: 'user' | 'operator';
  requestId?: string;
  /** On what grounds the access policy lets this caller act (set by loadAccess; Access.basis). */
  basis?: AccessBasis;
}

export type AccessBasis = 'admin' | 'customer-admin' | 'group-administrator' | 'manager' | 'member';

/**
 * The audit actor of an admin-API caller, as the access policy judged them: `admin` for a tenant
 * admin (operators included), else `user` with the grounds they acted on (`as`). A caller the
 * policy has not judged (no basis) reads by the token's role.
 */
export function auditActorOf(caller: Caller): AuditActor {
  const basis = caller.basis ?? (caller.role === 'admin' ? 'admin' : undefined);
  if (basis === 'admin') return { type: 'admin', id: caller.userId };
  return { type: 'user', id: caller.userId, ...(basis !== undefined ? { as: basis } : {}) };
}

/** Records one change an admin-API caller made (actor {type: admin|user, id: token subject}). */
export async function auditCallerChange(
  models: Models,
  caller: Caller,
  action: string,
  object: { type: string; id: string },
  change: { before?: unknown; after?: unknown; state?: unknown } = {},
): Promise<void> {
  await recordAudit(models, {
    tenantId: caller.tenantId,
    actor: auditActorOf(caller),
    action,
    object,
    ...(change.before !== undefined ? { before: change.before } : {}),
    ...(change.after !== undefined ? { after: change.after } : {}),
    ...(change.state !== undefined ? { state: change.state } : {}),
    ...(caller.requestId !== undefined ? { requestId: caller.requestId } : {}),
  });
}
