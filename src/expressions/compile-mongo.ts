import type { ResolvedAttribute, SchemaView } from '../attributes/types';
import type { BoundAttribute, BoundFilter, ComparisonOperator, FilterNode, Operand } from './ast';
import { bindFilter } from './bind-filter';

/**
 * Compiles a SCIM filter to a MongoDB query on the stored documents (storage convention in
 * schema/types.ts), with the semantics documented in compile-predicate.ts.
 *
 * `exact` says whether the query selects exactly the matching documents. A few filters cannot be
 * expressed without collation (case-insensitive ordering of an attribute without a lower-cased
 * shadow), which the embedded server lacks, or $expr/$where (never used: filters are compiled, not
 * evaluated), or are not stored dateTime instants. For those the query NARROWS: it selects a
 * superset, and the caller must finish with compilePredicate. A negation of a narrowing query
 * cannot narrow (the complement of a superset is a subset), so it becomes `{}`.
 *
 * Attributes that are not stored on the document (meta.location, meta.resourceType,
 * meta.version, Group members and User groups, which live in the memberships collection) cannot
 * be served here either; they narrow to `{}` and are listed in `unservedAttributes`, so that the
 * caller can serve them some other way or refuse the filter.
 */
export interface MongoFilter {
  query: Record<string, unknown>;
  exact: boolean;
  /** Filter paths (as written) that the query could not look at; empty for most filters. */
  unservedAttributes: string[];
}

export function compileToMongo(view: SchemaView, node: FilterNode): MongoFilter {
  return mongoFilterFor(bindFilter(view, node));
}

export interface MongoCompileOptions {
  /**
   * For rules' `memberOf` tests (IdP groups, see BoundFilter): the ids of the users in the IdP
   * groups named `name` (displayName or externalId, ignoring case). Users do not store their
   * groups, so the test becomes `{_id: {$in: ids}}`. Without it the test cannot be served.
   */
  memberUserIds?: (name: string) => readonly string[] | undefined;
}

/** The Mongo query for an already bound filter. */
export function mongoFilterFor(filter: BoundFilter, options: MongoCompileOptions = {}): MongoFilter {
  const unserved = new Set<string>();
  const { query, exact } = compile(filter, unserved, options);
  return { query, exact, unservedAttributes: [...unserved] };
}

interface Compiled {
  query: Record<string, unknown>;
  exact: boolean;
}

const NARROWED_TO_ALL: Compiled = { query: {}, exact: false };

function compile(filter: BoundFilter, unserved: Set<string>, options: MongoCompileOptions): Compiled {
  switch (filter.kind) {
    case 'and':
      return allOf(filter.children.map((child) => compile(child, unserved, options)));
    case 'or':
      return anyOf(filter.children.map((child) => compile(child, unserved, options)));
    case 'not': {
      const child = compile(filter.child, unserved, options);
      return child.exact ? { query: { $nor: [child.query] }, exact: true } : NARROWED_TO_ALL;
    }
    case 'compare':
      return comparison(filter.op, filter.target, filter.operand, unserved);
    case 'present':
      return presence(filter.target, filter.leaves, unserved);
    case 'valuePath':
      if (!isStoredPath(filter.target.attribute.mongoPath)) {
        unserved.add(filter.target.path);
        return NARROWED_TO_ALL;
      }
      return filter.target.attribute.definition.multiValued ? someElement(filter.target.attribute.mongoPath, filter.filter, unserved) : flattened(filter.filter, unserved, false);
    case 'regex':
      // Never $regex: MongoDB's engine backtracks. Narrow to users holding a string there; the predicate decides.
      if (!isStoredPath(filter.target.attribute.mongoPath)) {
        unserved.add(filter.target.path);
        return NARROWED_TO_ALL;
      }
      return { query: { [filter.target.attribute.mongoPath]: { $type: 'string' } }, exact: false };
    case 'memberOf': {
      const userIds = options.memberUserIds?.(filter.name);
      if (userIds === undefined) {
        unserved.add(filter.target.path);
        return NARROWED_TO_ALL;
      }
      return exactly({ _id: { $in: [...userIds] } });
    }
  }
}

/**
 * `attr[f]` on a multi-valued attribute: some element satisfies f, all of f's conditions on that one
 * element. The flattened form (`attrs.emails.type`, and the lower-cased shadows) is index-friendly
 * and exact for one condition or an `or` of them; for more it is a superset, and `$elemMatch`
 * (paths relative to the element) makes it exact. Shadows are per document, not per element, so
 * inside `$elemMatch` case-insensitive comparisons use a case-insensitive regex.
 */
function someElement(arrayPath: string, filter: BoundFilter, unserved: Set<string>): Compiled {
  const flat = flattened(filter, unserved, true);
  if (flat.exact) return flat;
  const inner = compileInElement(filter, `${arrayPath}.`, unserved);
  if (Object.keys(inner.query).length === 0) return flat;
  const elementMatch = exactly({ [arrayPath]: { $elemMatch: inner.query } });
  return { query: allOf([flat, elementMatch]).query, exact: inner.exact };
}

function compileInElement(filter: BoundFilter, prefix: string, unserved: Set<string>): Compiled {
  switch (filter.kind) {
    case 'compare':
      return comparison(filter.op, filter.target, filter.operand, unserved, prefix);
    case 'present':
      return presence(filter.target, filter.leaves, unserved, prefix);
    case 'and':
      return allOf(filter.children.map((child) => compileInElement(child, prefix, unserved)));
    case 'or':
      return anyOf(filter.children.map((child) => compileInElement(child, prefix, unserved)));
    case 'not': {
      const child = compileInElement(filter.child, prefix, unserved);
      return child.exact ? { query: { $nor: [child.query] }, exact: true } : NARROWED_TO_ALL;
    }
    case 'valuePath':
    case 'memberOf':
    case 'regex':
      // Not produced inside a value filter (the grammar nests no value filters).
      return NARROWED_TO_ALL;
  }
}

/**
 * A value filter's conditions on the flattened paths. For a single-valued complex attribute (one
 * "element") that is exact except for negations, which would also match documents without the
 * attribute; for a multi-valued one, an `and` of several conditions is only a superset (two
 * elements could each satisfy one half).
 */
function flattened(filter: BoundFilter, unserved: Set<string>, multiValued: boolean): Compiled {
  switch (filter.kind) {
    case 'compare':
      return filter.op === 'ne' ? NARROWED_TO_ALL : comparison(filter.op, filter.target, filter.operand, unserved);
    case 'present':
      return presence(filter.target, filter.leaves, unserved);
    case 'or':
      return anyOf(filter.children.map((child) => flattened(child, unserved, multiValued)));
    case 'and': {
      const all = allOf(filter.children.map((child) => flattened(child, unserved, multiValued)));
      return multiValued && filter.children.length > 1 ? { query: all.query, exact: false } : all;
    }
    case 'not':
    case 'valuePath':
    case 'memberOf':
    case 'regex':
      return NARROWED_TO_ALL;
  }
}

function allOf(parts: Compiled[]): Compiled {
  // Nested conjunctions are spliced in: `{$and: [a, {$and: [b, c]}]}` is `{$and: [a, b, c]}`.
  const queries = parts
    .flatMap((p) => (Object.keys(p.query).length === 1 && Array.isArray(p.query.$and) ? (p.query.$and as Record<string, unknown>[]) : [p.query]))
    .filter((q) => Object.keys(q).length > 0);
  const exact = parts.every((p) => p.exact);
  if (queries.length === 0) return { query: {}, exact };
  if (queries.length === 1) return { query: queries[0] as Record<string, unknown>, exact };
  return { query: { $and: queries }, exact };
}

function anyOf(parts: Compiled[]): Compiled {
  const exact = parts.every((p) => p.exact);
  if (parts.some((p) => Object.keys(p.query).length === 0)) return { query: {}, exact };
  if (parts.length === 1) return { query: (parts[0] as Compiled).query, exact };
  return { query: { $or: parts.map((p) => p.query) }, exact };
}

/** Stored fields per schema/types.ts; anything else (and any '$ref') is derived when rendering. */
export function isStoredPath(mongoPath: string): boolean {
  const stored = mongoPath === '_id' || mongoPath === 'createdAt' || mongoPath === 'updatedAt' || mongoPath.startsWith('attrs.');
  return stored && !mongoPath.split('.').some((segment) => segment.startsWith('$'));
}

/** meta.created / meta.lastModified are BSON Dates; dateTime values under `attrs` are strings. */
function isBsonDate(attribute: ResolvedAttribute): boolean {
  return attribute.definition.type === 'dateTime' && !attribute.mongoPath.startsWith('attrs.');
}

/** The field a condition names: absolute, or relative to the element inside `$elemMatch`. */
function fieldPath(attribute: ResolvedAttribute, elementPrefix: string | undefined): string {
  if (elementPrefix === undefined) return attribute.mongoPath;
  if (!attribute.mongoPath.startsWith(elementPrefix)) throw new Error(`${attribute.mongoPath} is not within ${elementPrefix}`);
  return attribute.mongoPath.slice(elementPrefix.length);
}

function comparison(op: ComparisonOperator, target: BoundAttribute, operand: Operand, unserved: Set<string>, elementPrefix?: string): Compiled {
  const attribute = target.attribute;
  if (!isStoredPath(attribute.mongoPath)) {
    unserved.add(target.path);
    return NARROWED_TO_ALL;
  }
  const path = fieldPath(attribute, elementPrefix);
  switch (operand.type) {
    case 'boolean':
    case 'number':
      return exactly(valueComparison(path, op, operand.value));
    case 'dateTime':
      // Strings under attrs are not guaranteed to be in one normalised form, so their order is
      // not chronological order; the predicate compares them as instants.
      if (!isBsonDate(attribute)) return NARROWED_TO_ALL;
      return exactly(valueComparison(path, op, new Date(operand.instant)));
    case 'string':
      break;
  }
  const value = operand.value;
  if (attribute.definition.caseExact) {
    return exactly(stringComparison(path, op, value, false));
  }
  if (attribute.lowerShadowPath !== undefined && elementPrefix === undefined) {
    // The shadow holds value.toLowerCase() of every value: eq and sw are index-served.
    return exactly(stringComparison(attribute.lowerShadowPath, op, (attribute.trimmed ? value.trim() : value).toLowerCase(), false));
  }
  if (op === 'gt' || op === 'ge' || op === 'lt' || op === 'le') {
    // Case-insensitive ordering needs collation, which the embedded server lacks.
    return NARROWED_TO_ALL;
  }
  return exactly(stringComparison(path, op, value, true));
}

function exactly(query: Record<string, unknown>): Compiled {
  return { query, exact: true };
}

const MONGO_ORDERING = { gt: '$gt', ge: '$gte', lt: '$lt', le: '$lte' } as const;

function valueComparison(path: string, op: ComparisonOperator, value: unknown): Record<string, unknown> {
  switch (op) {
    case 'eq':
      return { [path]: value };
    case 'ne':
      // not(eq): no value equals, including when the field is absent (what `$ne` means too;
      // spelled as `$nor` so that every negation has one shape).
      return { $nor: [{ [path]: value }] };
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      return { [path]: { [MONGO_ORDERING[op]]: value } };
    default:
      // co/sw/ew on non-strings are refused by bindFilter.
      throw new Error(`operator ${op} cannot compare ${typeof value} values`);
  }
}

function stringComparison(path: string, op: ComparisonOperator, value: string, ignoreCase: boolean): Record<string, unknown> {
  if (value === '') {
    // Every string contains, starts and ends with "", and "" has no case: no regex needed. (A regex
    // that matches "" also matches an empty array on the embedded server, unlike on MongoDB.)
    if (op === 'co' || op === 'sw' || op === 'ew') return { [path]: { $type: 'string' } };
    if (op === 'eq' || op === 'ne') return valueComparison(path, op, value);
  }
  if (!ignoreCase) {
    switch (op) {
      case 'co':
      case 'sw':
      case 'ew':
        return { [path]: { $regex: substringPattern(op, value) } };
      default:
        return valueComparison(path, op, value);
    }
  }
  const regex = (pattern: string) => ({ [path]: { $regex: pattern, $options: 'i' } });
  switch (op) {
    case 'eq':
      return regex(`^${escapeRegex(value)}\\z`);
    case 'ne':
      return { $nor: [regex(`^${escapeRegex(value)}\\z`)] };
    case 'co':
    case 'sw':
    case 'ew':
      return regex(substringPattern(op, value));
    default:
      throw new Error(`case-insensitive ${op} has no exact query`);
  }
}

/** `\z` (end of text), not `$`, which in PCRE (MongoDB) also matches before a final newline. */
function substringPattern(op: 'co' | 'sw' | 'ew', value: string): string {
  const escaped = escapeRegex(value);
  if (op === 'sw') return `^${escaped}`;
  if (op === 'ew') return `${escaped}\\z`;
  return escaped;
}

/**
 * Regexes are built from client input only through this: every metacharacter is escaped, and a NUL
 * becomes the escape `\x00` (BSON cannot carry a NUL byte inside a regular expression; the driver
 * would throw while serializing, a 500 where the client deserves a search that matches nothing).
 */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&').replace(/\0/g, '\\x00');
}

function presence(target: BoundAttribute, leaves: BoundAttribute[], unserved: Set<string>, elementPrefix?: string): Compiled {
  if (leaves.length > 0) return anyOf(leaves.map((leaf) => presence(leaf, [], unserved, elementPrefix)));
  const attribute = target.attribute;
  if (!isStoredPath(attribute.mongoPath)) {
    unserved.add(target.path);
    return NARROWED_TO_ALL;
  }
  const path = fieldPath(attribute, elementPrefix);
  // One condition per type that some value of the field must meet (see isNonEmptyValue).
  switch (attribute.definition.type) {
    case 'boolean':
      return exactly({ [path]: { $in: [true, false] } });
    case 'integer':
    case 'decimal':
      return exactly({ [path]: { $type: 'number' } });
    case 'dateTime':
      return exactly(isBsonDate(attribute) ? { [path]: { $type: 'date' } } : { [path]: { $gt: '' } });
    case 'complex':
      // A complex attribute without known sub-attributes: nothing precise to ask for.
      return NARROWED_TO_ALL;
    default:
      // Only strings compare greater than '' (BSON type bracketing): a non-empty string.
      return exactly({ [path]: { $gt: '' } });
  }
}
