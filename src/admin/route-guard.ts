import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors/app-error';
import { escapeRegex } from '../expressions';

type Json = Record<string, unknown>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface DocumentedPath {
  pattern: RegExp;
  /** How many segments are templates ({id}): a concrete path wins over a templated one. */
  templated: number;
  /** Query parameter names per upper-case method. */
  queryByMethod: Map<string, Set<string>>;
}

function compile(document: Json): DocumentedPath[] {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Json>>;
  return Object.entries(paths).map(([template, ops]) => {
    const source = template
      .split('/')
      .map((seg) => (/^\{\w+\}$/.test(seg) ? '[^/]+' : escapeRegex(seg)))
      .join('/');
    const queryByMethod = new Map<string, Set<string>>();
    for (const method of METHODS) {
      const op = ops[method];
      if (!op) continue;
      const params = (op.parameters ?? []) as { name: string; in: string }[];
      queryByMethod.set(method.toUpperCase(), new Set(params.filter((p) => p.in === 'query').map((p) => p.name)));
    }
    const templated = template.split('/').filter((seg) => /^\{\w+\}$/.test(seg)).length;
    return { pattern: new RegExp(`^${source}/?$`), templated, queryByMethod };
  });
}

/**
 * Checks admin requests against the OpenAPI document (which a test keeps equal to the routes):
 * a method the path does not have answers 405 with Allow (TRACE included), and a query parameter
 * the operation does not declare answers 400, so a misspelt filter (`object=` for `objectId=`)
 * is reported instead of silently ignored. Unknown paths fall through to the 404.
 */
export function adminRouteGuard(document: Json): RequestHandler {
  const paths = compile(document);
  return (req: Request, _res: Response, next: NextFunction) => {
    const candidates = paths.filter((p) => p.pattern.test(req.path));
    if (candidates.length === 0) return next();
    // OpenAPI 3 §4.8.8: concrete paths are matched before templated ones (/rules/preview is not /rules/{id}).
    const fewest = Math.min(...candidates.map((p) => p.templated));
    const matching = candidates.filter((p) => p.templated === fewest);
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const allowed = new Set(matching.flatMap((p) => [...p.queryByMethod.keys()]));
    if (!allowed.has(method)) {
      const allow = [...allowed, ...(allowed.has('GET') ? ['HEAD'] : [])];
      return next(new AppError('methodNotAllowed', 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here; allowed: ${allow.join(', ')}`, { allow, details: { allow: [...allowed] } }));
    }
    const declared = new Set(matching.flatMap((p) => [...(p.queryByMethod.get(method) ?? [])]));
    const unknown = Object.keys(req.query as Json).filter((k) => !declared.has(k));
    if (unknown.length > 0) {
      return next(
        new AppError(
          'badRequest',
          'UNKNOWN_QUERY_PARAMETER',
          `Unknown query parameter${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}${declared.size ? `; this operation takes ${[...declared].join(', ')}` : ''}`,
          {
            details: { parameters: unknown },
          },
        ),
      );
    }
    next();
  };
}
