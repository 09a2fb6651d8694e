import type { AttributeDefinition, ResolvedAttribute, SchemaView } from '../schema/types';
import type { BoundAttribute, BoundFilter, ComparisonOperator, Operand } from './ast';
import { bindFilter, bindValueFilter, parseInstant } from './bind-filter';
import type { FilterNode } from './ast';

/**
 * In-memory evaluation of a SCIM filter on the SCIM JSON representation of a resource
 * (extension attributes under their URN key, `id`, `meta.created`/`meta.lastModified` as ISO
 * strings).
 *
 * Semantics, shared with compile-mongo (a property test checks that the two agree):
 *  - String comparisons ignore case when the attribute's `caseExact` is false (both sides are
 *    lower-cased with String#toLowerCase); ordering compares code points, as MongoDB compares
 *    UTF-8 bytes.
 *  - A multi-valued attribute (or a path through one, `emails.value`) matches when ANY value
 *    matches, for every operator except `ne`, which is `not (eq)`: it matches when no value equals
 *    the operand, including when the attribute is absent.
 *  - A missing attribute never matches eq/co/sw/ew/gt/ge/lt/le/pr. A value of the wrong type
 *    (a number where a string is expected) never matches either.
 *  - `pr` means present and non-empty: a non-empty string, a boolean, a number; for a complex
 *    attribute, at least one of its sub-attributes present (RFC 7644 §3.4.2.2 "non-empty node").
 *  - dateTime values compare as instants (millisecond precision).
 *  - `attr[f]` matches when one element of `attr` satisfies `f`; `not (f)` is logical negation.
 */
export type ResourcePredicate = (resource: Record<string, unknown>) => boolean;

export function compilePredicate(view: SchemaView, node: FilterNode): ResourcePredicate {
  return predicateFor(bindFilter(view, node));
}

/**
 * For one element of a multi-valued complex attribute: the `type eq "work"` of
 * `emails[type eq "work"]`, with paths relative to the element (used by PATCH paths).
 */
export function compileValueFilterPredicate(
  view: SchemaView,
  parent: ResolvedAttribute,
  node: FilterNode,
): (element: unknown) => boolean {
  // Accepts any value (a non-object element simply has no sub-attributes to match).
  const filter = bindValueFilter(view, parent, node);
  return (element) => evaluate(filter, element);
}

/** Predicate for an already bound filter. */
export function predicateFor(filter: BoundFilter): ResourcePredicate {
  return (resource) => evaluate(filter, resource);
}

function evaluate(filter: BoundFilter, root: unknown): boolean {
  switch (filter.kind) {
    case 'and':
      return filter.children.every((child) => evaluate(child, root));
    case 'or':
      return filter.children.some((child) => evaluate(child, root));
    case 'not':
      return !evaluate(filter.child, root);
    case 'present':
      if (filter.leaves.length > 0) return filter.leaves.some((leaf) => isPresent(leaf, root));
      return isPresent(filter.target, root);
    case 'compare': {
      const values = valuesAt(root, filter.target.scimPath);
      const definition = filter.target.attribute.definition;
      if (filter.op === 'ne') return !values.some((v) => compareValue('eq', filter.operand, definition, v));
      return values.some((v) => compareValue(filter.op, filter.operand, definition, v));
    }
    case 'valuePath':
      return valuesAt(root, filter.target.scimPath).some(
        (element) => isRecord(element) && evaluate(filter.filter, element),
      );
  }
}

function isPresent(target: BoundAttribute, root: unknown): boolean {
  const definition = target.attribute.definition;
  return valuesAt(root, target.scimPath).some((v) => isNonEmptyValue(definition, v));
}

/** Whether one value counts for `pr` (see compile-mongo's presentQuery, which must agree). */
export function isNonEmptyValue(definition: AttributeDefinition, value: unknown): boolean {
  switch (definition.type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
    case 'decimal':
      return typeof value === 'number' && !Number.isNaN(value);
    case 'complex':
      return isRecord(value) && Object.values(value).some((v) => v !== null && v !== undefined && v !== '');
    case 'dateTime':
      return (typeof value === 'string' && value !== '') || value instanceof Date;
    default:
      return typeof value === 'string' && value !== '';
  }
}

/**
 * Every value reached by walking `path` from `root`, stepping into arrays at each level and
 * flattening a multi-valued leaf; null and undefined are dropped. Keys are matched exactly first,
 * then case-insensitively (attribute names are case-insensitive in SCIM).
 */
export function valuesAt(root: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [root];
  for (const key of path) {
    const next: unknown[] = [];
    for (const holder of current) {
      for (const item of Array.isArray(holder) ? holder : [holder]) {
        if (!isRecord(item)) continue;
        const value = getKey(item, key);
        if (value !== undefined && value !== null) next.push(value);
      }
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== undefined && v !== null);
}

function getKey(record: Record<string, unknown>, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(record, key)) return record[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(record)) {
    if (k.toLowerCase() === lower) return v;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** One value against the operand; `ne` is handled by the caller as not(eq) over all values. */
export function compareValue(
  op: ComparisonOperator,
  operand: Operand,
  definition: AttributeDefinition,
  value: unknown,
): boolean {
  switch (operand.type) {
    case 'string': {
      if (typeof value !== 'string') return false;
      const foldCase = !definition.caseExact;
      const actual = foldCase ? value.toLowerCase() : value;
      const expected = foldCase ? operand.value.toLowerCase() : operand.value;
      switch (op) {
        case 'eq':
        case 'ne':
          return actual === expected;
        case 'co':
          return actual.includes(expected);
        case 'sw':
          return actual.startsWith(expected);
        case 'ew':
          return actual.endsWith(expected);
        default:
          return ordered(op, compareCodePoints(actual, expected));
      }
    }
    case 'number':
      if (typeof value !== 'number' || Number.isNaN(value)) return false;
      return ordered(op, value === operand.value ? 0 : value < operand.value ? -1 : 1);
    case 'boolean':
      return typeof value === 'boolean' && (op === 'eq' || op === 'ne') && value === operand.value;
    case 'dateTime': {
      const instant =
        typeof value === 'string' ? parseInstant(value) : value instanceof Date ? value.getTime() : Number.NaN;
      if (Number.isNaN(instant)) return false;
      return ordered(op, instant === operand.instant ? 0 : instant < operand.instant ? -1 : 1);
    }
  }
}

function ordered(op: ComparisonOperator, sign: number): boolean {
  switch (op) {
    case 'eq':
    case 'ne':
      return sign === 0;
    case 'gt':
      return sign > 0;
    case 'ge':
      return sign >= 0;
    case 'lt':
      return sign < 0;
    case 'le':
      return sign <= 0;
    default:
      return false;
  }
}

/**
 * Code-point order (= UTF-8 byte order, which is how MongoDB compares strings). JavaScript's `<`
 * compares UTF-16 code units, which puts U+E000..U+FFFF after astral characters.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrderKey(x) - codePointOrderKey(y);
  }
  return a.length - b.length;
}

function codePointOrderKey(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
