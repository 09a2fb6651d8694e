import express, { type Request, type Router } from 'express';
import { AppError } from '../../errors/app-error';
import type { SchemaRegistry } from '../../attributes/registry';
import { SCIM_CONTENT_TYPE } from './error-response';
import { listResponse } from './list-response';
import type { ScimEndpoints } from './endpoints';
import { LIMITS_SCHEMA_URN, limitsSchema } from '../service/resource-limits';

export interface DiscoveryLimits {
  bulkMaxOperations: number;
  bulkMaxPayloadBytes: number;
  maxPageSize: number;
  defaultPageSize: number;
  maxAttributeValueBytes: number;
  maxResourceBytes: number;
}

/**
 * /ServiceProviderConfig, /ResourceTypes and /Schemas (RFC 7644 §4), served from the documents in
 * scim-schemas/ — the same ones validation reads. Limits that configuration can change are filled
 * in from the running configuration, so what is declared is what is enforced.
 */
export function discoveryRouter(endpoints: ScimEndpoints, registry: SchemaRegistry, baseUrl: (req: Request) => string, limits?: DiscoveryLimits): Router {
  const router = express.Router();
  const json = (res: express.Response, body: unknown) => res.status(200).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
  const withMeta = <T extends object>(doc: T, resourceType: string, location: string) => ({
    ...structuredClone(doc),
    meta: { resourceType, location },
  });
  const schemaDoc = (req: Request, id: string) => {
    const s = limits && id === LIMITS_SCHEMA_URN ? limitsSchema(limits) : registry.schema(id);
    if (!s) throw new AppError('notFound', 'SCIM_NO_SCHEMA', `No schema ${id}`);
    return withMeta(s, 'Schema', `${baseUrl(req)}/Schemas/${typeof s.id === 'string' ? s.id : id}`);
  };
  const resourceTypeDoc = (req: Request, name: string) => {
    const t = registry.resourceType(name);
    if (!t) throw new AppError('notFound', 'SCIM_NO_RESOURCE_TYPE', `No resource type ${name}`);
    return withMeta(t, 'ResourceType', `${baseUrl(req)}/ResourceTypes/${t.id}`);
  };

  endpoints.mount(router, '/ServiceProviderConfig', {
    GET: (req, res) => {
      const doc = structuredClone(registry.serviceProviderConfig()) as Record<string, Record<string, unknown>>;
      if (limits) {
        doc.bulk = { ...doc.bulk, maxOperations: limits.bulkMaxOperations, maxPayloadSize: limits.bulkMaxPayloadBytes };
        doc.filter = { ...doc.filter, maxResults: limits.maxPageSize };
        if (doc.pagination) doc.pagination = { ...doc.pagination, maxPageSize: limits.maxPageSize, defaultPageSize: limits.defaultPageSize };
      }
      json(res, { ...doc, meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl(req)}/ServiceProviderConfig` } });
    },
  });
  endpoints.mount(router, '/ResourceTypes', {
    GET: (req, res) => {
      const docs = registry.resourceTypes().map((t) => resourceTypeDoc(req, t.id));
      json(res, listResponse(docs, { totalResults: docs.length, startIndex: 1 }));
    },
  });
  endpoints.mount(router, '/ResourceTypes/:id', { GET: (req, res) => json(res, resourceTypeDoc(req, String(req.params.id))) });
  endpoints.mount(router, '/Schemas', {
    GET: (req, res) => {
      const ids = [...registry.schemas().map((s) => s.id), ...(limits ? [LIMITS_SCHEMA_URN] : [])];
      const docs = ids.map((id) => schemaDoc(req, id));
      json(res, listResponse(docs, { totalResults: docs.length, startIndex: 1 }));
    },
  });
  endpoints.mount(router, '/Schemas/:id', { GET: (req, res) => json(res, schemaDoc(req, String(req.params.id))) });
  return router;
}
