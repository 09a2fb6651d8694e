import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { logContext, type Logger } from '../observability/logger';

const ID_PATTERN = /^[\w.:-]{1,128}$/;

/**
 * Gives every request an id (the caller's X-Request-Id when it is sane, else a new one), echoes it,
 * runs the rest of the request inside a log context carrying it, and logs one line per request.
 */
export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    const id = incoming && ID_PATTERN.test(incoming) ? incoming : randomUUID();
    (req as Request & { id?: string }).id = id;
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    const store: Record<string, unknown> = { requestId: id };
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = { method: req.method, path: req.originalUrl.split('?')[0], status: res.statusCode, ms: Math.round(ms * 10) / 10, requestId: id, tenantId: store.tenantId };
      // 501 (SCIM /Me) is a documented answer, not a server failure.
      if (res.statusCode >= 500 && res.statusCode !== 501) logger.error('request', line);
      else if (req.path === '/healthz' || req.path === '/readyz') logger.debug('request', line);
      else logger.info('request', line);
    });
    logContext.run(store, () => next());
  };
}
