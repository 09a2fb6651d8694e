import { AppError } from '../../errors/app-error';

/**
 * The 400 of a domain rule about one input field (`details.field` names it, so a client can show
 * the error beside the input). Request shapes are checked by the admin API's schemas
 * (src/admin/contract); the readers below serve only the routes not migrated yet (deprovisioning).
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

export function readIdList(body: Body, field: string, opts: { max: number }): string[] {
  const value = body[field];
  if (!Array.isArray(value) || value.length === 0) throw invalid(field, `"${field}" must be a non-empty array of ids`);
  if (value.length > opts.max) throw invalid(field, `"${field}" takes at most ${opts.max} ids`);
  for (const v of value) if (typeof v !== 'string' || v.length === 0 || v.length > 200) throw invalid(field, `"${field}" must contain ids`);
  return [...new Set(value as string[])];
}

/** A loose e-mail check (CSV import rows): one @, something on both sides, a dot in the domain, no spaces. */
export function isEmail(text: string): boolean {
  return text.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text);
}
