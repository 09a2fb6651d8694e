import type { Express, RequestHandler } from 'express';

/**
 * The service's own paths outside /scim/v2 and /admin/v1 (/healthz, /readyz, /metrics) are GET
 * (and HEAD) only: another method on them answers 405 with `Allow`, as SCIM and the admin API do;
 * a path that does not exist answers 404 whatever the method.
 */
export function getOnly(app: Express, path: string, handler: RequestHandler): void {
  app.get(path, handler);
  app.all(path, (req, res) => {
    res.setHeader('Allow', 'GET, HEAD');
    res.status(405).json({ error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed here; allowed: GET, HEAD` } });
  });
}
