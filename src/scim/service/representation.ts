import type { SchemaRegistry } from '../../attributes/registry';
import type { ResourceTypeName } from '../../attributes/types';
import { etagOf } from './etag';

interface StoredResource {
  _id: string;
  attrs: Record<string, unknown>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const ENDPOINT: Record<ResourceTypeName, string> = { User: 'Users', Group: 'Groups' };

export function locationOf(baseUrl: string, type: ResourceTypeName, id: string): string {
  return `${baseUrl}/${ENDPOINT[type]}/${encodeURIComponent(id)}`;
}

/** Stored document -> full SCIM representation (RFC 7643 §3.1 common attributes included). */
export function toRepresentation(
  registry: SchemaRegistry,
  type: ResourceTypeName,
  doc: StoredResource,
  baseUrl: string,
): Record<string, unknown> {
  const body = registry.toScim(type, doc.attrs);
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
