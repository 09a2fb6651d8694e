import { AppError, scimError } from '../../errors/app-error';
import type { ScimContext } from '../service/context';
import { toAppError, SCIM_ERROR_SCHEMA } from './error-response';

export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

export interface BulkOperationResult {
  status: number;
  /** Created or changed resource's id and location; absent for DELETE. */
  id?: string;
  location?: string;
  version?: string;
}

/** Executes one operation (the router's own use-cases, so Bulk and single requests behave alike). */
export type BulkExecutor = (
  ctx: ScimContext,
  op: { method: 'POST' | 'PUT' | 'PATCH' | 'DELETE'; resource: 'Users' | 'Groups'; id?: string; data?: unknown; version?: string },
) => Promise<BulkOperationResult>;

interface RawOperation {
  method: string;
  bulkId?: string;
  version?: string;
  path: string;
  data?: unknown;
}

const BULK_REF = /^bulkId:(.+)$/;
/** A resource path naming a resource created earlier in the request: /Users/bulkId:qwerty. */
const PATH_BULK_REF = /^(\/(?:Users|Groups)\/)bulkId:([^/]+)$/;

function pathBulkId(path: string): string | undefined {
  return PATH_BULK_REF.exec(path)?.[2];
}

function substitutePath(path: string, ids: Map<string, string>): string {
  const m = PATH_BULK_REF.exec(path);
  const id = m?.[2] === undefined ? undefined : ids.get(m[2]);
  return m?.[1] !== undefined && id !== undefined ? `${m[1]}${encodeURIComponent(id)}` : path;
}

function parseOperations(body: unknown, maxOperations: number): { ops: RawOperation[]; failOnErrors?: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw scimError.invalidSyntax('The bulk request must be a JSON object', 'SCIM_BULK_BODY');
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.schemas) || !b.schemas.includes(BULK_REQUEST_SCHEMA)) throw scimError.invalidSyntax(`schemas must contain ${BULK_REQUEST_SCHEMA}`, 'SCIM_BULK_SCHEMA');
  const ops = b.Operations ?? b.operations;
  if (!Array.isArray(ops)) throw scimError.invalidSyntax('Operations must be an array', 'SCIM_BULK_OPERATIONS');
  if (ops.length > maxOperations) {
    throw new AppError('payloadTooLarge', 'SCIM_BULK_TOO_MANY', `A bulk request may hold at most ${maxOperations} operations; this one has ${ops.length}`, { scimType: 'tooMany' });
  }
  let failOnErrors: number | undefined;
  if (b.failOnErrors !== undefined) {
    if (!Number.isInteger(b.failOnErrors) || (b.failOnErrors as number) < 1) throw scimError.invalidValue('failOnErrors must be a positive integer', 'SCIM_BULK_FAIL_ON_ERRORS');
    failOnErrors = b.failOnErrors as number;
  }
  const parsed = ops.map((op, i): RawOperation => {
    if (typeof op !== 'object' || op === null) throw scimError.invalidSyntax(`Operations[${i}] must be an object`, 'SCIM_BULK_OPERATION');
    const o = op as Record<string, unknown>;
    if (typeof o.method !== 'string' || typeof o.path !== 'string') throw scimError.invalidSyntax(`Operations[${i}] needs method and path`, 'SCIM_BULK_OPERATION');
    if (o.bulkId !== undefined && typeof o.bulkId !== 'string') throw scimError.invalidSyntax(`Operations[${i}].bulkId must be a string`, 'SCIM_BULK_OPERATION');
    if (o.method.toUpperCase() === 'POST' && o.bulkId === undefined) throw scimError.invalidSyntax(`Operations[${i}]: POST needs a bulkId (RFC 7644 §3.7)`, 'SCIM_BULK_OPERATION');
    return { method: o.method.toUpperCase(), bulkId: o.bulkId, version: o.version as string | undefined, path: o.path, data: o.data };
  });
  // A reference to a bulkId must name one operation: with two, "bulkId:x" would be ambiguous.
  const seen = new Set<string>();
  for (const [i, op] of parsed.entries()) {
    if (op.bulkId === undefined) continue;
    if (seen.has(op.bulkId)) throw scimError.invalidValue(`Operations[${i}]: bulkId "${op.bulkId}" is used by an earlier operation; each must be unique`, 'SCIM_BULK_DUPLICATE_BULK_ID');
    seen.add(op.bulkId);
  }
  return { ops: parsed, failOnErrors };
}

/** bulkId references in an operation's data, e.g. members[].value = "bulkId:qwerty" (paths: PATH_BULK_REF). */
function referencedBulkIds(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    const m = BULK_REF.exec(value);
    if (m?.[1]) out.add(m[1]);
  } else if (Array.isArray(value)) value.forEach((v) => referencedBulkIds(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => referencedBulkIds(v, out));
  return out;
}

function substitute(value: unknown, ids: Map<string, string>): unknown {
  if (typeof value === 'string') {
    const m = BULK_REF.exec(value);
    return m?.[1] && ids.has(m[1]) ? ids.get(m[1]) : value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, ids));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, ids)]));
  return value;
}

function errorResponse(error: AppError) {
  const body: Record<string, unknown> = { schemas: [SCIM_ERROR_SCHEMA], status: String(error.status), detail: error.message };
  if (error.scimType) body.scimType = error.scimType;
  return body;
}

/**
 * RFC 7644 §3.7. Operations run in request order, except that an operation referring to another's
 * bulkId waits until that one has run (so a group can list a user created later in the request).
 * Circular or dangling references fail those operations with 409. Processing stops after
 * `failOnErrors` errors.
 */
export async function runBulk(ctx: ScimContext, body: unknown, maxOperations: number, execute: BulkExecutor) {
  const { ops, failOnErrors } = parseOperations(body, maxOperations);
  const createdIds = new Map<string, string>();
  const results = new Array<Record<string, unknown> | undefined>(ops.length);
  const pending = new Set(ops.keys());
  const knownBulkIds = new Set(ops.map((o) => o.bulkId).filter((b): b is string => b !== undefined));
  let errors = 0;
  let progressed = true;
  while (pending.size > 0 && progressed && (failOnErrors === undefined || errors < failOnErrors)) {
    progressed = false;
    for (const i of [...pending]) {
      if (failOnErrors !== undefined && errors >= failOnErrors) break;
      const op = ops[i]!;
      const refs = referencedBulkIds(op.data);
      const pathRef = pathBulkId(op.path);
      if (pathRef !== undefined) refs.add(pathRef);
      const unresolved = [...refs].filter((r) => !createdIds.has(r));
      if (unresolved.some((r) => knownBulkIds.has(r) && pending.has(ops.findIndex((o) => o.bulkId === r)))) continue;
      pending.delete(i);
      progressed = true;
      const result: Record<string, unknown> = { method: op.method };
      if (op.bulkId !== undefined) result.bulkId = op.bulkId;
      try {
        if (unresolved.length > 0) {
          throw new AppError('conflict', 'SCIM_BULK_UNRESOLVED', `bulkId ${unresolved.join(', ')} does not name a successful operation of this request`);
        }
        const path = substitutePath(op.path, createdIds);
        const m = /^\/(Users|Groups)(?:\/([^/]+))?$/.exec(path);
        if (!m) throw scimError.invalidPath(`Bulk path must be /Users, /Groups or /Users/{id}, /Groups/{id}; got "${op.path}"`, 'SCIM_BULK_PATH');
        const resource = m[1] as 'Users' | 'Groups';
        const id = m[2] ? decodeURIComponent(m[2]) : undefined;
        if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(op.method)) throw scimError.invalidSyntax(`Unsupported bulk method ${op.method}`, 'SCIM_BULK_METHOD');
        if ((op.method === 'POST') !== (id === undefined)) throw scimError.invalidPath(`${op.method} ${path}: POST takes a collection path, the others a resource path`, 'SCIM_BULK_PATH');
        const out = await execute(ctx, { method: op.method as 'POST', resource, id, data: substitute(op.data, createdIds), version: op.version });
        if (op.bulkId !== undefined && out.id) createdIds.set(op.bulkId, out.id);
        result.status = String(out.status);
        if (out.location) result.location = out.location;
        if (out.version) result.version = out.version;
      } catch (err) {
        errors++;
        const error = toAppError(err);
        result.status = String(error.status);
        result.response = errorResponse(error);
      }
      results[i] = result;
    }
  }
  // Whatever is left waits on itself (a cycle): fail it, unless failOnErrors stopped the run.
  if (failOnErrors === undefined || errors < failOnErrors) {
    for (const i of pending) {
      const op = ops[i]!;
      const error = new AppError('conflict', 'SCIM_BULK_CIRCULAR', 'Circular bulkId references');
      results[i] = { method: op.method, ...(op.bulkId ? { bulkId: op.bulkId } : {}), status: '409', response: errorResponse(error) };
    }
  }
  return { schemas: [BULK_RESPONSE_SCHEMA], Operations: results.filter((r): r is Record<string, unknown> => r !== undefined) };
}
