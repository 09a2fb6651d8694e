import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { AppError } from '../../errors/app-error';

export const SCIM_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type ScimMethod = (typeof SCIM_METHODS)[number];
export type EndpointHandlers = Partial<Record<ScimMethod, RequestHandler>>;

interface Endpoint {
  /** Lower-cased literal segments; `null` stands for a `:param` segment. */
  segments: (string | null)[];
  params: number;
  methods: ScimMethod[];
}

const lower = (m: ScimMethod) => m.toLowerCase() as Lowercase<ScimMethod>;

/** Express-style: case-insensitive, one trailing slash ignored. */
function segmentsOf(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.split('/').slice(1);
}

/**
 * The SCIM endpoints and the methods each supports. Routes are registered only through `mount`,
 * so this table is the one place that knows them; `guard` answers every other method with 405
 * and an Allow header (RFC 9110 §15.5.6). It runs before the body parser: what the endpoint
 * would never read must not turn the 405 into a 400 (scim2-tester sends non-JSON bodies).
 */
export class ScimEndpoints {
  private readonly endpoints: Endpoint[] = [];

  mount(router: Router, path: string, handlers: EndpointHandlers): void {
    const methods = SCIM_METHODS.filter((m) => handlers[m] !== undefined);
    const segments = segmentsOf(path).map((s) => (s.startsWith(':') ? null : s.toLowerCase()));
    this.endpoints.push({ segments, params: segments.filter((s) => s === null).length, methods });
    for (const m of methods) router[lower(m)](path, handlers[m]!);
  }

  /** Methods of the endpoint the path names; undefined when it names none (that is a 404). */
  allowed(path: string): readonly ScimMethod[] | undefined {
    const parts = segmentsOf(path).map((p) => p.toLowerCase());
    // A literal beats a parameter: /Users/.search is not the user ".search".
    let best: Endpoint | undefined;
    for (const e of this.endpoints) {
      const matches = e.segments.length === parts.length && e.segments.every((s, i) => (s === null ? parts[i] !== '' : s === parts[i]));
      if (matches && (!best || e.params < best.params)) best = e;
    }
    return best?.methods;
  }

  guard(): RequestHandler {
    return (req: Request, _res: Response, next: NextFunction) => {
      const methods = this.allowed(req.path);
      // HEAD is answered by GET routes (express does so), so it is allowed wherever GET is.
      const asked = req.method === 'HEAD' ? 'GET' : req.method;
      if (!methods || (methods as readonly string[]).includes(asked)) return next();
      const allow = methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
      next(new AppError('methodNotAllowed', 'SCIM_METHOD_NOT_ALLOWED', `${req.method} is not supported on this endpoint; it supports ${allow.join(', ')}`, { allow }));
    };
  }
}
