import type { SchemaRegistry } from '../../attributes/registry';
import type { ResourceTypeName } from '../../attributes/types';
import { etagOf } from './etag';

interface StoredResource {
  _id: string;
  attrs: Record<string, unknown>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  /** A user's held deprovision: SCIM shows the IdP's state (inactive), not the access kept (src/domain/deprovisioning). */
  hold?: unknown;
}

/** The attributes as the IdP set them: a user whose deprovision is held is inactive to the IdP. */
export function idpAttrs(doc: StoredResource): Record<string, unknown> {
  return doc.hold ? { ...doc.attrs, active: false } : doc.attrs;
}

const ENDPOINT: Record<ResourceTypeName, string> = { User: 'Users', Group: 'Groups' };

export function locationOf(baseUrl: string, type: ResourceTypeName, id: string): string {
  return `${baseUrl}/${ENDPOINT[type]}/${encodeURIComponent(id)}`;
}

/** Stored document -> full SCIM representation (RFC 7643 §3.1 common attributes included). */
export function toRepresentation(registry: SchemaRegistry, type: ResourceTypeName, doc: StoredResource, baseUrl: string): Record<string, unknown> {
  const body = registry.toScim(type, idpAttrs(doc));
  const { schemas, ...rest } = body;
  return {
    schemas,
    id: doc._id,
    ...rest,
    meta: {
      resourceType: type,
      created: doc.createdAt.toISOString(),
      lastModified: doc.updatedAt.toISOString(),
      location: locationOf(baseUrl, type, doc._id),
      version: etagOf(doc.version),
    },
  };
}
