import type { AttributeDefinition, ResolvedAttribute, SchemaView } from '../attributes/types';
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
 *  - `memberOf` (rules' IdP groups) is answered by the reader the predicate was compiled with.
 */
export type ResourcePredicate = (resource: Record<string, unknown>) => boolean;

/**
 * How a compiled predicate reads what it is evaluated on (the subject `S`). Asked once per leaf
 * at compile time, so that a reader can hand out a specialised accessor (the rule engine's reader
 * memoises each attribute's values per subject, see src/domain/rules/rule-subject.ts).
 */
export interface PredicateReader<S> {
  /** The values at `target` (as valuesAt computes them), converted to `form` (see toValueForm). */
  valuesOf(target: BoundAttribute, form: ValueForm): (subject: S) => readonly unknown[];
  /** For `memberOf` (rules only): whether the subject is in an IdP group so named. */
  memberOf?(name: string): (subject: S) => boolean;
}

/**
 * How a comparison wants an attribute's values: as stored (`raw`), with strings lower-cased
 * (`lowerCase`, for caseExact false), or as epoch milliseconds (`instant`, for dateTime: ISO
 * strings parsed, Dates read, anything else NaN).
 */
export type ValueForm = 'raw' | 'lowerCase' | 'trimmedLowerCase' | 'instant';

/** Converts, in place, values as read by valuesAt to `form`. */
export function toValueForm(values: unknown[], form: ValueForm): unknown[] {
  if (form === 'raw') return values;
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i];
    if (form === 'lowerCase') {
      if (typeof value === 'string') values[i] = value.toLowerCase();
    } else if (form === 'trimmedLowerCase') {
      if (typeof value === 'string') values[i] = value.trim().toLowerCase();
    } else {
      values[i] = typeof value === 'string' ? parseInstant(value) : value instanceof Date ? value.getTime() : Number.NaN;
    }
  }
  return values;
}

/** Reads a SCIM JSON resource (or one element of a multi-valued attribute) directly. */
export const RESOURCE_READER: PredicateReader<unknown> = {
  valuesOf(target, form) {
    const path = target.scimPath;
    if (path.length === 1) {
      // Elements of a value filter (`type` in emails[type eq "work"]): one key, no walking.
      const key = path[0] as string;
      return (root) => toValueForm(valuesOfKey(root, key), form);
    }
    return (root) => toValueForm(valuesAt(root, path), form);
  },
};

export function compilePredicate(view: SchemaView, node: FilterNode): ResourcePredicate {
  return predicateFor(bindFilter(view, node));
}

/**
 * For one element of a multi-valued complex attribute: the `type eq "work"` of
 * `emails[type eq "work"]`, with paths relative to the element (used by PATCH paths).
 */
export function compileValueFilterPredicate(view: SchemaView, parent: ResolvedAttribute, node: FilterNode): (element: unknown) => boolean {
  // Accepts any value (a non-object element simply has no sub-attributes to match).
  return compileTest(bindValueFilter(view, parent, node), RESOURCE_READER);
}

/** Predicate for an already bound filter. */
export function predicateFor(filter: BoundFilter): ResourcePredicate {
  return compileTest(filter, RESOURCE_READER);
}

/**
 * Predicate for an already bound filter over any subject, read through `reader` at the top level;
 * the elements a value filter (`emails[...]`) looks at are read directly.
 */
export function predicateWith<S>(filter: BoundFilter, reader: PredicateReader<S>): (subject: S) => boolean {
  return compileTest(filter, reader);
}

type Test<S> = (subject: S) => boolean;

/** Compiles the tree into closures once, so that evaluating does no tree walking or case folding of operands. */
function compileTest<S>(filter: BoundFilter, reader: PredicateReader<S>): Test<S> {
  switch (filter.kind) {
    case 'and': {
      const tests = filter.children.map((child) => compileTest(child, reader));
      if (tests.length === 2) {
        const [a, b] = tests as [Test<S>, Test<S>];
        return (s) => a(s) && b(s);
      }
      return (s) => {
        for (let i = 0; i < tests.length; i += 1) if (!(tests[i] as Test<S>)(s)) return false;
        return true;
      };
    }
    case 'or': {
      const tests = filter.children.map((child) => compileTest(child, reader));
      if (tests.length === 2) {
        const [a, b] = tests as [Test<S>, Test<S>];
        return (s) => a(s) || b(s);
      }
      return (s) => {
        for (let i = 0; i < tests.length; i += 1) if ((tests[i] as Test<S>)(s)) return true;
        return false;
      };
    }
    case 'not': {
      const test = compileTest(filter.child, reader);
      return (s) => !test(s);
    }
    case 'present': {
      const targets = filter.leaves.length > 0 ? filter.leaves : [filter.target];
      const tests = targets.map((target) => presenceTest(target, reader));
      if (tests.length === 1) return tests[0] as Test<S>;
      return (s) => {
        for (let i = 0; i < tests.length; i += 1) if ((tests[i] as Test<S>)(s)) return true;
        return false;
      };
    }
    case 'compare':
      return comparisonTest(filter.op, filter.target, filter.operand, reader);
    case 'valuePath': {
      const elements = reader.valuesOf(filter.target, 'raw');
      const test = compileTest(filter.filter, RESOURCE_READER);
      return (s) => {
        const values = elements(s);
        for (let i = 0; i < values.length; i += 1) {
          const element = values[i];
          if (isRecord(element) && test(element)) return true;
        }
        return false;
      };
    }
    case 'regex': {
      const read = reader.valuesOf(filter.target, 'raw');
      const { regex } = filter;
      return (s) => {
        const values = read(s);
        for (let i = 0; i < values.length; i += 1) {
          const v = values[i];
          if (typeof v === 'string' && regex.test(v)) return true;
        }
        return false;
      };
    }
    case 'memberOf':
      if (reader.memberOf === undefined) {
        throw new Error(`"${filter.target.path}" tests IdP group membership, which this predicate cannot read`);
      }
      return reader.memberOf(filter.name);
  }
}

function presenceTest<S>(target: BoundAttribute, reader: PredicateReader<S>): Test<S> {
  const definition = target.attribute.definition;
  const read = reader.valuesOf(target, 'raw');
  return (s) => {
    const values = read(s);
    for (let i = 0; i < values.length; i += 1) if (isNonEmptyValue(definition, values[i])) return true;
    return false;
  };
}

/**
 * One comparison, specialised at compile time by operand type and operator; operands are
 * case-folded once here, values by the reader. Same results as compareValue on each value.
 * `ne` is not(eq) over all values: it matches when no value equals, including when there is none.
 */
function comparisonTest<S>(op: ComparisonOperator, target: BoundAttribute, operand: Operand, reader: PredicateReader<S>): Test<S> {
  const any = anyValueTest(op === 'ne' ? 'eq' : op, target, operand, reader);
  return op === 'ne' ? (s) => !any(s) : any;
}

function anyValueTest<S>(op: ComparisonOperator, target: BoundAttribute, operand: Operand, reader: PredicateReader<S>): Test<S> {
  switch (operand.type) {
    case 'string': {
      const foldCase = !target.attribute.definition.caseExact;
      const trim = foldCase && target.attribute.trimmed === true;
      const expected = trim ? operand.value.trim().toLowerCase() : foldCase ? operand.value.toLowerCase() : operand.value;
      const read = reader.valuesOf(target, trim ? 'trimmedLowerCase' : foldCase ? 'lowerCase' : 'raw');
      switch (op) {
        case 'eq':
          // A string operand equals only a string (SameValueZero is === for strings).
          return (s) => read(s).includes(expected);
        case 'co':
          return (s) => {
            const values = read(s);
            for (let i = 0; i < values.length; i += 1) {
              const value = values[i];
              if (typeof value === 'string' && value.includes(expected)) return true;
            }
            return false;
          };
        case 'sw':
          return (s) => {
            const values = read(s);
            for (let i = 0; i < values.length; i += 1) {
              const value = values[i];
              if (typeof value === 'string' && value.startsWith(expected)) return true;
            }
            return false;
          };
        case 'ew':
          return (s) => {
            const values = read(s);
            for (let i = 0; i < values.length; i += 1) {
              const value = values[i];
              if (typeof value === 'string' && value.endsWith(expected)) return true;
            }
            return false;
          };
        default:
          return (s) => {
            const values = read(s);
            for (let i = 0; i < values.length; i += 1) {
              const value = values[i];
              if (typeof value === 'string' && ordered(op, compareCodePoints(value, expected))) return true;
            }
            return false;
          };
      }
    }
    case 'dateTime': {
      const read = reader.valuesOf(target, 'instant');
      const expected = operand.instant;
      return (s) => {
        const values = read(s);
        for (let i = 0; i < values.length; i += 1) {
          const value = values[i];
          if (typeof value === 'number' && !Number.isNaN(value) && ordered(op, value === expected ? 0 : value < expected ? -1 : 1)) {
            return true;
          }
        }
        return false;
      };
    }
    case 'number':
    case 'boolean': {
      const read = reader.valuesOf(target, 'raw');
      const definition = target.attribute.definition;
      return (s) => {
        const values = read(s);
        for (let i = 0; i < values.length; i += 1) if (compareValue(op, operand, definition, values[i])) return true;
        return false;
      };
    }
  }
}

/** valuesAt for a one-key path, without walking. */
function valuesOfKey(root: unknown, key: string): unknown[] {
  if (Array.isArray(root)) return valuesAt(root, [key]);
  if (!isRecord(root)) return [];
  const value = getKey(root, key);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return [value];
  return value.filter((v) => v !== undefined && v !== null);
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
      for (const item of Array.isArray(holder) ? (holder as unknown[]) : [holder]) {
        if (!isRecord(item)) continue;
        const value = getKey(item, key);
        if (value !== undefined && value !== null) next.push(value);
      }
    }
    current = next;
  }
  return current.flatMap((v): unknown[] => (Array.isArray(v) ? (v as unknown[]) : [v])).filter((v) => v !== undefined && v !== null);
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
export function compareValue(op: ComparisonOperator, operand: Operand, definition: AttributeDefinition, value: unknown): boolean {
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
      const instant = typeof value === 'string' ? parseInstant(value) : value instanceof Date ? value.getTime() : Number.NaN;
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
