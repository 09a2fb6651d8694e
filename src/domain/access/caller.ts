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
}

/** The audit actor of an admin-API caller: `admin` for a tenant admin's token (operators included), `user` for anyone else. */
export function auditActorOf(caller: Caller): AuditActor {
  return { type: caller.role === 'admin' ? 'admin' : 'user', id: caller.userId };
}

/** Records one change an admin-API caller made (actor {type: admin|user, id: token subject}). */
export async function auditCallerChange(
  models: Models,
  caller: Caller,
  action: string,
  object: { type: string; id: string },
  change: { before?: unknown; after?: unknown } = {},
): Promise<void> {
  await recordAudit(models, {
    tenantId: caller.tenantId,
    actor: auditActorOf(caller),
    action,
    object,
    ...(change.before !== undefined ? { before: change.before } : {}),
    ...(change.after !== undefined ? { after: change.after } : {}),
    ...(caller.requestId !== undefined ? { requestId: caller.requestId } : {}),
  });
}
