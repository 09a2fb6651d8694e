import type { AuditActor } from '../../domain/audit';

/** What a SCIM use-case needs to know about the call, free of HTTP types. */
export interface ScimContext {
  tenantId: string;
  actor: AuditActor;
  requestId?: string;
  /** Absolute base of the SCIM endpoint, e.g. https://host/scim/v2 (for meta.location and $ref). */
  baseUrl: string;
}

export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}
