import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { AppError } from '../errors/app-error';

/**
 * Deepest nesting of arrays and objects a request body may have. SCIM bodies nest a handful of
 * levels (Bulk → Operations → data → members → value); code that walks values recursively must
 * never meet a body deep enough to exhaust the stack.
 */
export const MAX_JSON_DEPTH = 32;

/** Nesting depth of a parsed JSON value, measured without recursion (the input is untrusted). */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

export interface JsonBodyOptions {
  limit: number | string;
  /** Which requests are read as JSON (by default, those declaring a JSON media type). */
  type?: (req: IncomingMessage) => boolean;
}

/** express.json plus the depth limit: one body reader for the SCIM and admin routers. */
export function jsonBody(opts: JsonBodyOptions): RequestHandler[] {
  const parse = express.json({ limit: opts.limit, strict: false, ...(opts.type ? { type: opts.type } : {}) });
  const depth = (req: Request, _res: Response, next: NextFunction) => {
    if (req.body !== undefined && jsonDepthExceeds(req.body, MAX_JSON_DEPTH)) {
      next(new AppError('badRequest', 'JSON_TOO_DEEP', `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`, { scimType: 'invalidSyntax' }));
      return;
    }
    next();
  };
  return [parse, depth];
}
