import { textValue } from '../attributes/text-value';
/**
 * Query shapes and the indexes that serve them. The embedded server used by tests cannot show
 * MongoDB's plans, so the index-coverage test records every command the app sends (driver command
 * monitoring), reduces each to a shape (which fields are compared by equality, by range, only
 * filtered, and the sort) and checks it against the declared indexes with MongoDB's prefix rule:
 * equality fields first, then the sort, then one range field.
 */

export type Direction = 1 | -1;

export interface QueryShape {
  collection: string;
  /** The command that carried the query (find, update, delete, findAndModify, count, aggregate, distinct). */
  operation: string;
  /** Fields compared by equality or $in. */
  equality: string[];
  /** Fields compared by $gt/$gte/$lt/$lte or an anchored case-sensitive regex. */
  range: string[];
  /** Fields only filtered ($ne, $nor, $exists, $elemMatch, unanchored regexes): never index bounds. */
  residual: string[];
  sort: [string, Direction][];
  /** Branches of a top-level $or that the rest of the query does not already bound. */
  or?: QueryShape[];
}

export interface DeclaredIndex {
  collection: string;
  name: string;
  keys: [string, Direction][];
  unique?: boolean;
}

const RANGE_OPERATORS = new Set(['$gt', '$gte', '$lt', '$lte']);

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && Object.getPrototypeOf(v) === Object.prototype;

type FieldClass = 'equality' | 'range' | 'residual';

function classify(condition: unknown): FieldClass {
  if (!isPlainObject(condition)) return 'equality';
  const operators = Object.keys(condition).filter((k) => k.startsWith('$'));
  if (operators.length === 0) return 'equality'; // an embedded-document equality
  if (operators.every((op) => op === '$eq' || op === '$in')) return 'equality';
  if (operators.every((op) => RANGE_OPERATORS.has(op))) return 'range';
  if (operators.includes('$regex')) {
    const pattern = String(condition.$regex);
    const options = textValue(condition.$options);
    // A case-sensitive pattern anchored with ^ bounds an index scan; anything else is a filter.
    return pattern.startsWith('^') && !options.includes('i') ? 'range' : 'residual';
  }
  return 'residual';
}

function emptyShape(collection: string, operation: string): QueryShape {
  return { collection, operation, equality: [], range: [], residual: [], sort: [] };
}

function addFilter(shape: QueryShape, filter: Record<string, unknown>): void {
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(condition)) {
      for (const part of condition) if (isPlainObject(part)) addFilter(shape, part);
    } else if (key === '$or' && Array.isArray(condition)) {
      shape.or = condition.filter(isPlainObject).map((branch) => {
        const b = emptyShape(shape.collection, shape.operation);
        addFilter(b, branch);
        return b;
      });
    } else if (key.startsWith('$')) {
      // $nor, $expr, $comment…: a filter, not an index bound.
      shape.residual.push(key);
    } else {
      shape[classify(condition)].push(key);
    }
  }
}

/** The shape of a filter (and sort) on a collection. */
export function shapeOf(collection: string, operation: string, filter: unknown, sort?: unknown): QueryShape {
  const shape = emptyShape(collection, operation);
  if (isPlainObject(filter)) addFilter(shape, filter);
  // The driver sends a sort as a Map (key order matters); an aggregate's $sort is a plain object.
  const sortEntries = sort instanceof Map ? [...sort.entries()] : isPlainObject(sort) ? Object.entries(sort) : [];
  shape.sort = sortEntries.map(([k, v]) => [String(k), Number(v) < 0 ? -1 : 1]);
  for (const list of [shape.equality, shape.range, shape.residual]) {
    const unique = [...new Set(list)].sort();
    list.splice(0, list.length, ...unique);
  }
  return shape;
}

/** The query shapes a command carries (none for inserts, index builds, cursors…). */
export function shapesOfCommand(command: Record<string, unknown>): QueryShape[] {
  const name = Object.keys(command)[0];
  if (name === undefined) return [];
  const collection = String(command[name]);
  switch (name) {
    case 'find':
      return [shapeOf(collection, name, command.filter, command.sort)];
    case 'findAndModify':
      return [shapeOf(collection, name, command.query, command.sort)];
    case 'count':
    case 'distinct':
      return [shapeOf(collection, name, command.query)];
    case 'update':
      return ((command.updates as { q?: unknown }[] | undefined) ?? []).map((u) => shapeOf(collection, name, u.q));
    case 'delete':
      return ((command.deletes as { q?: unknown }[] | undefined) ?? []).map((d) => shapeOf(collection, name, d.q));
    case 'aggregate': {
      const pipeline = (command.pipeline as Record<string, unknown>[] | undefined) ?? [];
      const match = pipeline[0]?.$match;
      const sort = pipeline.find((stage) => stage.$sort !== undefined)?.$sort;
      return match === undefined && sort === undefined ? [shapeOf(collection, name, {})] : [shapeOf(collection, name, match ?? {}, sort)];
    }
    default:
      return [];
  }
}

/** A one-line description of a shape, stable across runs (the key of the coverage table). */
export function describeShape(shape: QueryShape): string {
  const parts = [...shape.equality.map((f) => `${f}=`), ...shape.range.map((f) => `${f}~`), ...shape.residual.map((f) => `${f}?`)];
  const or = shape.or ? ` $or[${shape.or.map((b) => describeShape({ ...b, sort: [] }).replace(/^\S+ \S+ /, '')).join(' | ')}]` : '';
  const sort = shape.sort.length ? ` sort(${shape.sort.map(([f, d]) => `${f}:${d}`).join(',')})` : '';
  return `${shape.collection} ${shape.operation} {${parts.join(' ')}}${or}${sort}`;
}

/**
 * How many leading keys of `index` serve `shape` (0: none) by the prefix rule: its leading keys are exactly the shape's
 * equality fields (any order), then the sort (in either direction as a whole, sort fields fixed by
 * equality skipped), then optionally one range field. An index that bounds only some of the
 * equality fields does not count: every equality the app asks for is meant to narrow the scan.
 */
function keysUsed(index: DeclaredIndex, shape: QueryShape): number {
  if (index.collection !== shape.collection) return 0;
  const keys = index.keys;
  const equality = new Set(shape.equality);
  // Equality on every key of a unique index finds at most one document: any sort is free.
  if (index.unique && keys.every(([field]) => equality.has(field))) return keys.length;
  let i = 0;
  while (i < keys.length && equality.has(keys[i]![0])) i++;
  if (i !== equality.size) return 0;
  const sort = shape.sort.filter(([field]) => !equality.has(field));
  if (sort.length > 0) {
    const flip = keys[i]?.[1] === sort[0]![1] ? 1 : -1;
    for (const [field, direction] of sort) {
      const key = keys[i];
      if (!key || key[0] !== field || key[1] * flip !== direction) return 0;
      i++;
    }
  }
  // Something must bound the scan or give the order: an index used for nothing serves nothing.
  if (keys[i] !== undefined && shape.range.includes(keys[i]![0])) i++;
  return i;
}

/**
 * The index that bounds most of a shape's equality fields, when none serves it whole: what the
 * planner would scan, filtering the rest. For the coverage table's allowed exceptions.
 */
export function partialIndex(shape: QueryShape, indexes: readonly DeclaredIndex[]): { name: string; bounds: string[] } | undefined {
  let best: { name: string; bounds: string[] } | undefined;
  for (const index of indexes) {
    if (index.collection !== shape.collection) continue;
    const bounds: string[] = [];
    for (const [field] of index.keys) {
      if (!shape.equality.includes(field)) break;
      bounds.push(field);
    }
    if (bounds.length > (best?.bounds.length ?? 0)) best = { name: index.name, bounds };
  }
  return best;
}

/** The index serving a shape: `_id` lookups by the `_id` index, a top-level $or branch by branch. */
export function servingIndexes(shape: QueryShape, indexes: readonly DeclaredIndex[]): string[] | undefined {
  if (shape.equality.includes('_id')) return ['_id_'];
  // The index that uses the most of the shape (equality, sort and range), as the planner prefers.
  let best: DeclaredIndex | undefined;
  let bestUsed = 0;
  for (const index of indexes) {
    const used = keysUsed(index, shape);
    if (used > bestUsed) [best, bestUsed] = [index, used];
  }
  if (best) return [best.name];
  if (!shape.or) return undefined;
  const names: string[] = [];
  for (const branch of shape.or) {
    const merged: QueryShape = {
      ...shape,
      or: undefined,
      equality: [...new Set([...shape.equality, ...branch.equality])].sort(),
      range: [...new Set([...shape.range, ...branch.range])].sort(),
      residual: [...new Set([...shape.residual, ...branch.residual])].sort(),
    };
    const served = servingIndexes(merged, indexes);
    if (!served) return undefined;
    names.push(...served);
  }
  return [...new Set(names)];
}
