import type { OrgRole } from '../../auth/admin-jwt';
import type { AuditActor } from '../audit';

/** Who is calling the admin API: the verified token's subject and tenant, free of HTTP types. */
export interface Caller {
  tenantId: string;
  /** The calling user's id (the token's `sub`). */
  userId: string;
  /** Org-level role claimed by the token. */
  role: OrgRole;
  requestId?: string;
}

export function auditActorOf(caller: Caller): AuditActor {
  return { type: 'admin', id: caller.userId };
}
