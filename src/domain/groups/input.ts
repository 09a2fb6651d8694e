import { AppError } from '../../errors/app-error';

/**
 * Small readers for admin request bodies: each names the offending field in a 400
 * `INVALID_REQUEST` (details.field), so a client can show the error beside the input.
 */
export function invalid(field: string, message: string): AppError {
  return new AppError('badRequest', 'INVALID_REQUEST', message, { details: { field } });
}

export type Body = Record<string, unknown>;

/** The body as an object, refusing fields outside `allowed` (a typo must not be silently ignored). */
export function readBody(body: unknown, allowed: readonly string[]): Body {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('body', 'The request body must be a JSON object');
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw invalid(key, `Unknown field "${key}"; allowed: ${allowed.join(', ')}`);
  }
  return body as Body;
}

// Printable text only: names and descriptions are shown in UIs and logs.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function readText(body: Body, field: string, opts: { required: true; max: number; multiline?: boolean }): string;
export function readText(body: Body, field: string, opts: { required?: false; max: number; multiline?: boolean }): string | undefined;
export function readText(body: Body, field: string, opts: { required?: boolean; max: number; multiline?: boolean }): string | undefined {
  const value = body[field];
  if (value === undefined) {
    if (opts.required) throw invalid(field, `"${field}" is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw invalid(field, `"${field}" must be a string`);
  const trimmed = value.trim();
  if (opts.required && trimmed.length === 0) throw invalid(field, `"${field}" must not be empty`);
  if (trimmed.length > opts.max) throw invalid(field, `"${field}" is longer than ${opts.max} characters`);
  const checked = opts.multiline ? trimmed.replace(/[\r\n\t]/g, ' ') : trimmed;
  if (CONTROL.test(checked)) throw invalid(field, `"${field}" contains control characters`);
  return trimmed;
}

/** A string id, `null` (to clear) or absent. */
export function readNullableId(body: Body, field: string): string | null | undefined {
  const value = body[field];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) throw invalid(field, `"${field}" must be an id or null`);
  return value;
}

export function readId(body: Body, field: string): string {
  const value = readNullableId(body, field);
  if (typeof value !== 'string') throw invalid(field, `"${field}" is required`);
  return value;
}

export function readEnum<T extends string>(body: Body, field: string, values: readonly T[]): T | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !values.includes(value as T)) throw invalid(field, `"${field}" must be one of ${values.join(', ')}`);
  return value as T;
}

export function readIdList(body: Body, field: string, opts: { max: number }): string[] {
  const value = body[field];
  if (!Array.isArray(value) || value.length === 0) throw invalid(field, `"${field}" must be a non-empty array of ids`);
  if (value.length > opts.max) throw invalid(field, `"${field}" takes at most ${opts.max} ids`);
  for (const v of value) if (typeof v !== 'string' || v.length === 0 || v.length > 200) throw invalid(field, `"${field}" must contain ids`);
  return [...new Set(value as string[])];
}

/** A loose e-mail check: one @, something on both sides, a dot in the domain, no spaces. */
export function isEmail(text: string): boolean {
  return text.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text);
}
