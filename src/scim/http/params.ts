import { scimError } from '../../errors/app-error';
import type { ListParams } from '../service/list-query';

const LIST_KEYS = ['filter', 'startIndex', 'count', 'sortBy', 'sortOrder', 'cursor', 'attributes', 'excludedAttributes'];

function integer(name: string, raw: unknown, min: number): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw scimError.invalidValue(`${name} must be an integer`, 'SCIM_INVALID_PARAMETER');
  // RFC 7644 §3.4.2.4: values below the minimum are interpreted as the minimum.
  return Math.max(n, min);
}

function text(name: string, raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (Array.isArray(raw)) throw scimError.invalidValue(`${name} was given more than once`, 'SCIM_INVALID_PARAMETER');
  if (typeof raw !== 'string') throw scimError.invalidValue(`${name} must be a string`, 'SCIM_INVALID_PARAMETER');
  return raw;
}

function pathList(name: string, raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const items = Array.isArray(raw) ? raw : [raw];
  if (!items.every((i) => typeof i === 'string')) throw scimError.invalidValue(`${name} must be a list of attribute names`, 'SCIM_INVALID_PARAMETER');
  const out = items
    .flatMap((i) => i.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  return out.length ? out : undefined;
}

/** Query-string or SearchRequest-body parameters to ListParams. */
export function parseListParams(source: Record<string, unknown>): ListParams {
  const pick = (key: string) => {
    // Parameter names are case-insensitive in practice (Entra sends "startIndex", some clients "startindex").
    const found = Object.keys(source).find((k) => k.toLowerCase() === key.toLowerCase());
    return found === undefined ? undefined : source[found];
  };
  const cursor = pick('cursor');
  return {
    filter: text('filter', pick('filter')),
    startIndex: integer('startIndex', pick('startIndex'), 1),
    count: integer('count', pick('count'), 0),
    sortBy: text('sortBy', pick('sortBy')),
    sortOrder: text('sortOrder', pick('sortOrder')),
    cursor: cursor === undefined ? undefined : (text('cursor', cursor) ?? ''),
    attributes: pathList('attributes', pick('attributes')),
    excludedAttributes: pathList('excludedAttributes', pick('excludedAttributes')),
  };
}

export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** POST …/.search body (RFC 7644 §3.4.3). */
export function parseSearchRequest(body: unknown): ListParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw scimError.invalidSyntax('The search request must be a JSON object', 'SCIM_SEARCH_BODY');
  }
  const b = body as Record<string, unknown>;
  const schemas = b.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase())) {
    throw scimError.invalidSyntax(`schemas must contain ${SEARCH_REQUEST_SCHEMA}`, 'SCIM_SEARCH_SCHEMA');
  }
  const known = Object.fromEntries(Object.entries(b).filter(([k]) => LIST_KEYS.some((l) => l.toLowerCase() === k.toLowerCase())));
  return parseListParams(known);
}

/** attributes / excludedAttributes on single-resource requests. */
export function parseSelection(query: Record<string, unknown>) {
  const p = parseListParams(query);
  return { attributes: p.attributes, excludedAttributes: p.excludedAttributes };
}
