import { z } from 'zod';
import type { Operation } from './operation';

/**
 * The OpenAPI 3.0 parts generated from operations (src/admin/contract/operation.ts): each
 * schema through zod's own JSON Schema output (`z.toJSONSchema`, target openapi-3.0; requests as
 * the input they accept, responses as the output they send). Schemas with an id (`.meta({id})`)
 * become components and are referenced.
 */
type Json = Record<string, unknown>;
export type PathItems = Record<string, Record<string, Json>>;

export const ERROR_STATUS: Record<number, string> = {
  400: 'Invalid request (error.code says what, error.details.field which input)',
  401: 'Missing, invalid or expired token; a token naming a tenant that does not exist, or a user who is not (or no longer) in it; a crit header',
  403: 'The caller may see the object but not do this, or the caller is deactivated (USER_DEACTIVATED); ADMIN_GRANT_REQUIRES_ADMIN when the change would grant admin-level access (a group that is Admins, or holds or inherits an admin-level role) and the caller is not an admin',
  404: "Not found, or not visible to the caller (another tenant, outside a Group Administrator's groups)",
  409: 'Conflicts with the current state (error.code says which rule)',
};

export const errorRef: Json = { $ref: '#/components/schemas/Error' };

/** Collects the named schemas met while converting, for components.schemas. */
export class SchemaConverter {
  readonly components: Record<string, Json> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const out = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any', reused: 'inline' }) as Json;
    const definitions = (out.definitions ?? {}) as Record<string, Json>;
    delete out.definitions;
    for (const [name, def] of Object.entries(definitions)) this.components[name] = rewriteRefs(def) as Json;
    const root = rewriteRefs(out) as Json;
    const id = z.globalRegistry.get(schema)?.id;
    // zod writes a named root as a $ref to its own definition (taken above).
    if (typeof id === 'string' && typeof root.$ref !== 'string') {
      this.components[id] = root;
      return { $ref: `#/components/schemas/${id}` };
    }
    return root;
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value as Json)) {
      if (k === '$ref' && typeof v === 'string') out[k] = v.replace('#/definitions/', '#/components/schemas/');
      else if (k === 'id' && typeof v === 'string') continue;
      // z.number().int() says "a safe integer": no limit worth stating.
      else if ((k === 'minimum' || k === 'maximum') && (v === Number.MIN_SAFE_INTEGER || v === Number.MAX_SAFE_INTEGER)) continue;
      else out[k] = rewriteRefs(v);
    }
    // OpenAPI 3.0: `nullable` does not add null to an `enum`; list it, or null reads as outside the enum.
    if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
    return out;
  }
  return value;
}

function parametersOf(schema: z.ZodObject | undefined, where: 'path' | 'query', converter: SchemaConverter): Json[] {
  if (!schema) return [];
  const shape = schema.shape as Record<string, z.ZodType>;
  return Object.entries(shape).map(([name, field]) => {
    const converted = converter.convert(field, 'input');
    const { description, ...fieldSchema } = converted;
    return {
      name,
      in: where,
      required: where === 'path' ? true : !field.safeParse(undefined).success,
      schema: where === 'path' ? { type: 'string', ...fieldSchema } : fieldSchema,
      ...(typeof description === 'string' ? { description } : {}),
    };
  });
}

/** The OpenAPI operation object of one operation. */
export function operationObject(op: Operation, converter: SchemaConverter): Json {
  const responses: Json = {};
  for (const [status, spec] of Object.entries(op.responses)) {
    responses[status] = {
      description: spec.description,
      ...(spec.schema ? { content: { 'application/json': { schema: converter.convert(spec.schema, 'output') } } } : spec.content ? { content: spec.content } : {}),
    };
  }
  for (const status of [400, ...(op.public ? [] : [401]), ...(op.errors ?? [])].sort()) {
    responses[String(status)] ??= { description: ERROR_STATUS[status] ?? 'Error', content: { 'application/json': { schema: errorRef } } };
  }
  const parameters = [...parametersOf(op.params, 'path', converter), ...parametersOf(op.query, 'query', converter)];
  const body = op.body ? converter.convert(op.body, 'input') : undefined;
  return {
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(body || op.otherBodyContent ? { requestBody: { required: !op.bodyOptional, content: { ...(op.otherBodyContent ?? {}), ...(body ? { 'application/json': { schema: body } } : {}) } } } : {}),
    responses: sortedResponses(responses),
    ...(op.public ? { security: [] } : {}),
  };
}

function sortedResponses(responses: Json): Json {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

/** Path items of these operations, and the named schemas they use. */
export function pathsOf(operations: readonly Operation[], converter: SchemaConverter): PathItems {
  const out: PathItems = {};
  for (const op of operations) {
    const item = (out[op.path] ??= {});
    item[op.method] = operationObject(op, converter);
  }
  return out;
}
