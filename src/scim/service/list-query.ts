import { createHash } from 'node:crypto';
import { scimError } from '../../errors/app-error';
import { compilePredicate, compileSort, compileToMongo, parseFilter, type MongoSort } from '../../expressions';
import type { SchemaView } from '../../attributes/types';
import { conjunction } from '../../persistence/conjunction';
import type { ResourceStore, StoredResource } from '../../persistence/resource-store';

/** Parsed list parameters (query string or SearchRequest body, RFC 7644 §3.4.2-§3.4.3; RFC 9865 cursor). */
export interface ListParams {
  filter?: string;
  startIndex?: number;
  count?: number;
  sortBy?: string;
  sortOrder?: string;
  /** undefined: index pagination; '' : first cursor page; otherwise an opaque cursor. */
  cursor?: string;
  attributes?: string[];
  excludedAttributes?: string[];
}

export interface ListPage<D> {
  totalResults: number;
  startIndex?: number;
  docs: D[];
  nextCursor?: string;
}

/** At most this many candidates are examined in memory when a filter cannot be pushed down exactly. */
export const MAX_IN_MEMORY_CANDIDATES = 20_000;

interface CursorState {
  /** Last _id served. */
  a: string;
  /** Fingerprint of filter + sort, so a cursor cannot be replayed against another query. */
  f: string;
}

function fingerprint(filter: string | undefined): string {
  return createHash('sha256')
    .update(filter ?? '')
    .digest('base64url')
    .slice(0, 12);
}

function decodeCursor(cursor: string, filter: string | undefined): CursorState {
  let state: CursorState;
  try {
    state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorState;
  } catch {
    throw scimError.invalidCursor('The cursor is not one this server issued');
  }
  if (typeof state?.a !== 'string' || state.f !== fingerprint(filter)) {
    throw scimError.invalidCursor('The cursor does not belong to this query');
  }
  return state;
}

const encodeCursor = (state: CursorState) => Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');

/**
 * Runs a SCIM list query on one collection. The filter compiles to a MongoDB query; when that query
 * only narrows (see compile-mongo.ts) the page is finished with the in-memory predicate over a
 * bounded number of candidates, and a filter too broad for that is refused rather than scanned.
 */
export async function runListQuery<D extends StoredResource>(opts: {
  /** The collection's store (its scope limits what is listed: the IdP's groups only). */
  store: ResourceStore<D>;
  view: SchemaView;
  tenantId: string;
  params: ListParams;
  defaultPageSize: number;
  maxPageSize: number;
  toScim: (doc: D) => Record<string, unknown>;
  /**
   * An attribute unique within the tenant (its stored path, e.g. `lc.userName`) and how to find the
   * resource holding a value of it: a first page filtered by equality on it alone (the IdPs'
   * lookup before each create) is answered by that, with nothing to count.
   */
  uniqueLookup?: { path: string; find: (tenantId: string, value: string) => Promise<D | null> };
}): Promise<ListPage<D>> {
  const { store, view, tenantId, params } = opts;
  const count = Math.min(params.count ?? opts.defaultPageSize, opts.maxPageSize);
  let query: Record<string, unknown> = {};
  let predicate: ((doc: D) => boolean) | undefined;
  if (params.filter !== undefined) {
    // `filter=` with nothing in it is a mistake, not "no filter": answering every resource would hide it.
    if (params.filter.trim() === '') throw scimError.invalidFilter('The filter is empty', 'SCIM_FILTER_EMPTY');
    const node = parseFilter(params.filter);
    const compiled = compileToMongo(view, node);
    if (compiled.unservedAttributes.length > 0) {
      throw scimError.invalidFilter(`Filtering on ${compiled.unservedAttributes.join(', ')} is not supported`, 'SCIM_FILTER_UNSUPPORTED_ATTRIBUTE');
    }
    query = compiled.query;
    if (!compiled.exact) {
      const test = compilePredicate(view, node);
      predicate = (doc) => test(opts.toScim(doc));
    }
  }
  if (params.cursor !== undefined) {
    if (params.sortBy) throw scimError.invalidValue('sortBy cannot be combined with cursor pagination; results are in id order', 'SCIM_CURSOR_SORT');
    const after = params.cursor === '' ? undefined : decodeCursor(params.cursor, params.filter).a;
    const pageQuery = after === undefined ? query : conjunction(query, { _id: { $gt: after } });
    const docs: D[] = [];
    let examined = 0;
    // Read one more than a page to know whether a next page exists.
    const cursor = store.streamByFilter(tenantId, pageQuery, { sort: { _id: 1 }, batchSize: Math.min(count + 1, 1000) });
    for await (const doc of cursor) {
      if (++examined > MAX_IN_MEMORY_CANDIDATES && predicate) break;
      if (predicate && !predicate(doc)) continue;
      docs.push(doc);
      if (docs.length > count) break;
    }
    await cursor.close();
    const exhausted = docs.length <= count;
    const page = docs.slice(0, count);
    const totalResults = predicate ? await countWithPredicate(store, tenantId, query, predicate) : await store.countByFilter(tenantId, query);
    const last = page[page.length - 1];
    return {
      totalResults,
      docs: page,
      nextCursor: !exhausted && last ? encodeCursor({ a: last._id, f: fingerprint(params.filter) }) : undefined,
    };
  }

  const sort: MongoSort = compileSort(view, params.sortBy, params.sortOrder);
  const startIndex = Math.max(1, params.startIndex ?? 1);
  if (!predicate) {
    const lookup = opts.uniqueLookup;
    const value = lookup && Object.keys(query).length === 1 ? query[lookup.path] : undefined;
    if (lookup && typeof value === 'string' && startIndex === 1 && count > 0) {
      const found = await lookup.find(tenantId, value);
      return { totalResults: found ? 1 : 0, startIndex, docs: found ? [found] : [] };
    }
    const docs = count === 0 ? [] : await store.findByFilter(tenantId, query, { sort, skip: startIndex - 1, limit: count });
    // A first page that is not full holds every match: no count query (the IdPs' `userName eq` lookups).
    const totalResults = startIndex === 1 && count > 0 && docs.length < count ? docs.length : await store.countByFilter(tenantId, query);
    return { totalResults, startIndex, docs };
  }
  const matching = await matchAll(store, tenantId, query, predicate, sort);
  return { totalResults: matching.length, startIndex, docs: count === 0 ? [] : matching.slice(startIndex - 1, startIndex - 1 + count) };
}

async function matchAll<D extends StoredResource>(store: ResourceStore<D>, tenantId: string, query: Record<string, unknown>, predicate: (doc: D) => boolean, sort?: MongoSort): Promise<D[]> {
  const out: D[] = [];
  let examined = 0;
  const cursor = store.streamByFilter(tenantId, query, sort ? { sort } : {});
  for await (const doc of cursor) {
    if (++examined > MAX_IN_MEMORY_CANDIDATES) {
      await cursor.close();
      throw scimError.tooMany(
        `The filter cannot be served by an index and matches more than ${MAX_IN_MEMORY_CANDIDATES} candidates; narrow it (e.g. add userName, externalId or displayName conditions)`,
        'SCIM_FILTER_TOO_BROAD',
      );
    }
    if (predicate(doc)) out.push(doc);
  }
  return out;
}

async function countWithPredicate<D extends StoredResource>(store: ResourceStore<D>, tenantId: string, query: Record<string, unknown>, predicate: (doc: D) => boolean): Promise<number> {
  return (await matchAll(store, tenantId, query, predicate)).length;
}
