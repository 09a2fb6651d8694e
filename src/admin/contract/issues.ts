import { z } from 'zod';
import { AppError } from '../../errors/app-error';
import { didYouMean } from '../../expressions/rule-errors';

/**
 * The one mapper from schema issues (zod) to the admin API's error answer: 400 with a stable code
 * (INVALID_REQUEST unless the schema names another), `details.field` naming the input (a dotted
 * path; `body` for the body as a whole), and a message that says what is wrong in plain words:
 * the allowed values of an enum, the limit that was passed, the allowed fields with a
 * did-you-mean for an unknown one. `where` says which part of the request the schema read.
 */
export type RequestPart = 'body' | 'query' | 'params';

const ARTICLE: Record<string, string> = { string: 'a string', number: 'a number', int: 'a whole number', boolean: 'a boolean (true or false)', array: 'an array', object: 'an object' };

/** The schema found at `path` under `schema` (through optional, nullable, default and pipes). */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  const unwrap = (s: z.ZodType): z.ZodType => {
    let t = s as z.ZodType & { unwrap?: () => z.ZodType; def: { type: string; innerType?: z.ZodType; in?: z.ZodType } };
    for (let i = 0; i < 10; i++) {
      const def = t.def;
      if (def.innerType) t = def.innerType;
      else if (def.type === 'pipe' && def.in) t = def.in;
      else break;
    }
    return t;
  };
  for (const key of path) {
    if (!current) return undefined;
    const s = unwrap(current);
    if (s instanceof z.ZodObject) current = (s.shape as Record<string, z.ZodType>)[String(key)];
    else if (s instanceof z.ZodArray) current = s.element as z.ZodType;
    else return undefined;
  }
  return current ? unwrap(current) : undefined;
}

function fieldOf(where: RequestPart, path: readonly PropertyKey[]): string {
  return path.length === 0 ? where : path.map(String).join('.');
}

/** Unknown fields first (a typo explains the rest), then in the order zod met them. */
function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  return issues.find((i) => i.code === 'unrecognized_keys') ?? (issues[0] as z.core.$ZodIssue);
}

/** Schema messages written for this API are predicates ("contains control characters"); zod's own start with "Invalid". */
const own = (message: string): boolean => message.length > 0 && !/^Invalid|^Too (big|small)|^Unrecognized/.test(message);

function messageOf(issue: z.core.$ZodIssue, where: RequestPart, schema: z.ZodType, input: unknown): { field: string; message: string; details?: Record<string, unknown> } {
  const field = fieldOf(where, issue.path);
  const quoted = `"${field}"`;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '';
      const target = schemaAt(schema, issue.path);
      const allowed = target instanceof z.ZodObject ? Object.keys(target.shape) : [];
      const hint = didYouMean(key, allowed);
      const name = where === 'query' ? 'query parameter' : 'field';
      return {
        field: fieldOf(where, [...issue.path, key]),
        message: `Unknown ${name} "${key}"${hint ? ` (${hint})` : ''}; allowed: ${allowed.join(', ') || 'none'}`,
        details: { allowed },
      };
    }
    case 'invalid_type': {
      const value = valueAt(input, issue.path);
      if (issue.path.length === 0 && where === 'body') return { field, message: 'The request body must be a JSON object' };
      if (value === undefined) return { field, message: `${quoted} is required` };
      const expected = ARTICLE[issue.expected] ?? issue.expected;
      if (issue.expected === 'number' && typeof value === 'string') return { field, message: `${quoted} must be a number` };
      return { field, message: `${quoted} must be ${expected}${value === null ? ', not null' : ''}` };
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      if (valueAt(input, issue.path) === undefined) return { field, message: `${quoted} is required: one of ${values.join(', ')}`, details: { allowed: values } };
      const got = valueAt(input, issue.path);
      const hint = typeof got === 'string' ? didYouMean(got, values) : undefined;
      return { field, message: `${quoted} must be one of ${values.join(', ')}${hint ? ` (${hint})` : ''}`, details: { allowed: values } };
    }
    case 'too_small': {
      // A schema may say why in its own words ("names no user; leave it out to decide on every held change").
      if (own(issue.message)) return { field, message: `${quoted} ${issue.message}` };
      const n = Number(issue.minimum);
      if (issue.origin === 'string') return { field, message: n <= 1 ? `${quoted} must not be empty` : `${quoted} is shorter than ${n} characters` };
      if (issue.origin === 'array' || issue.origin === 'set') return { field, message: n <= 1 ? `${quoted} must not be empty` : `${quoted} takes at least ${n} items` };
      return { field, message: `${quoted} must be ${issue.inclusive === false ? 'more than' : 'at least'} ${n}${rangeOf(schema, issue.path)}` };
    }
    case 'too_big': {
      const n = Number(issue.maximum);
      if (issue.origin === 'string') return { field, message: `${quoted} is longer than ${n} characters` };
      if (issue.origin === 'array' || issue.origin === 'set') return { field, message: `${quoted} takes at most ${n} items` };
      return { field, message: `${quoted} must be ${issue.inclusive === false ? 'less than' : 'at most'} ${n}${rangeOf(schema, issue.path)}` };
    }
    case 'invalid_format':
      if (own(issue.message)) return { field, message: `${quoted} ${issue.message}` };
      if (issue.format === 'email') return { field, message: `${quoted} is not an e-mail address` };
      if (issue.format === 'datetime') return { field, message: `${quoted} must be an RFC 3339 date-time` };
      return { field, message: `${quoted} is not a valid ${issue.format}` };
    default:
      // A schema's own rule (refine) writes a whole sentence ("Give exactly one of …") or a predicate.
      if (/^[A-Z]/.test(issue.message) && own(issue.message)) return { field, message: issue.message };
      return { field, message: own(issue.message) ? `${quoted} ${issue.message}` : `${quoted} is invalid` };
  }
}

/** ", from 1 to 200" where the schema gives both bounds of a number. */
function rangeOf(schema: z.ZodType, path: readonly PropertyKey[]): string {
  const target = schemaAt(schema, path);
  if (!target || !(target instanceof z.ZodNumber)) return '';
  const { minValue, maxValue } = target;
  return minValue != null && maxValue != null && Number.isFinite(minValue) && Number.isFinite(maxValue) ? ` (a whole number from ${minValue} to ${maxValue})` : '';
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** The 400 for a request part that does not satisfy its schema. */
export function requestError(error: z.ZodError, where: RequestPart, schema: z.ZodType, input: unknown): AppError {
  const issue = firstIssue(error.issues);
  const { field, message, details } = messageOf(issue, where, schema, input);
  // A field may name its own code (`.meta({ 'x-error-code': CODE })`, shown in the document too), kept from the days of its hand-written reader.
  // The nearest schema on the issue's path that names one wins (a privilege's level: the privileges list's code).
  // A schema's own check may name the code of what it found (`params: { errorCode }`: an unknown catalogue target), before any schema's.
  const checkCode = issue.code === 'custom' ? (issue.params as { errorCode?: unknown } | undefined)?.errorCode : undefined;
  let code = typeof checkCode === 'string' ? checkCode : 'INVALID_REQUEST';
  for (let depth = typeof checkCode === 'string' ? -1 : issue.path.length; depth >= 0; depth--) {
    const target = schemaAt(schema, issue.path.slice(0, depth));
    const named = target ? z.globalRegistry.get(target)?.['x-error-code'] : undefined;
    if (typeof named === 'string') {
      code = named;
      break;
    }
  }
  return new AppError('badRequest', code, message, { details: { field, ...(details ?? {}) } });
}
