import type { ResolvedAttribute } from '../attributes/types';

/**
 * SCIM filter ASTs (RFC 7644 §3.4.2.2).
 *
 * `FilterNode` is what `parseFilter` produces from text alone: attribute paths are still the
 * strings the client wrote. `BoundFilter` is the same tree after `bindFilter` resolved every path
 * through a SchemaView and checked every comparison value against the attribute's type; the two
 * compilers (Mongo query, in-memory predicate) work on `BoundFilter`.
 */

export const COMPARISON_OPERATORS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];
export type OrderingOperator = 'gt' | 'lt' | 'ge' | 'le';
export type SubstringOperator = 'co' | 'sw' | 'ew';

/** A literal as written in a filter: JSON string, number, true/false/null. */
export type FilterLiteral = string | number | boolean | null;

export type FilterNode =
  | { kind: 'compare'; op: ComparisonOperator; path: string; value: FilterLiteral }
  | { kind: 'present'; path: string }
  | { kind: 'and'; children: FilterNode[] }
  | { kind: 'or'; children: FilterNode[] }
  | { kind: 'not'; child: FilterNode }
  /** `emails[type eq "work"]`: some element of `path` satisfies `filter` (paths relative to it). */
  | { kind: 'valuePath'; path: string; filter: FilterNode }
  /** Rule language only (`email.matches('…')`): a string value of `path` matches `pattern` (never produced by parseFilter). */
  | { kind: 'regex'; path: string; pattern: string };

/** A comparison value converted to the attribute's type. */
export type Operand =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'boolean'; value: boolean }
  /** `instant` is epoch milliseconds; `value` the ISO-8601 text as normalised by Date. */
  | { type: 'dateTime'; value: string; instant: number };

/**
 * A resolved attribute as used by the compilers. `attribute.mongoPath` is always absolute (from
 * the stored document's root, also inside value filters); `scimPath` is relative to what the
 * predicate is evaluated on: the resource at top level, one element inside a value filter.
 */
export interface BoundAttribute {
  /** The path as the client wrote it, for messages. */
  path: string;
  attribute: ResolvedAttribute;
  scimPath: string[];
}

export type BoundFilter =
  | { kind: 'compare'; op: ComparisonOperator; target: BoundAttribute; operand: Operand }
  /** For a complex attribute, `leaves` are its sub-attributes: present means one of them is. */
  | { kind: 'present'; target: BoundAttribute; leaves: BoundAttribute[] }
  | { kind: 'and'; children: BoundFilter[] }
  | { kind: 'or'; children: BoundFilter[] }
  | { kind: 'not'; child: BoundFilter }
  | { kind: 'valuePath'; target: BoundAttribute; filter: BoundFilter }
  /**
   * Rule language only (bindFilter with `idpGroups`): the User is a member of an IdP group (one
   * pushed over SCIM) whose displayName or externalId equals `name`, ignoring case. Users do not
   * store their groups, so each compiler is told the memberships by its caller.
   */
  | { kind: 'memberOf'; target: BoundAttribute; name: string }
  /**
   * Rule language only: some string value of `target` matches `regex`, a linear-time pattern
   * (src/expressions/safe-regex.ts), case-insensitive when the attribute is. MongoDB's $regex
   * backtracks, so the Mongo compiler only narrows and the predicate decides.
   */
  | { kind: 'regex'; target: BoundAttribute; regex: { pattern: string; test(text: string): boolean } };
