import express, { type ErrorRequestHandler, type Express, type Request } from 'express';
import type { ProvisioningLogWriter } from '../domain/provisioning-log';
import { getOnly } from './get-only';
import type { Logger } from '../observability/logger';
import type { ScimDeps } from '../scim/service/scim-deps';
import { scimRouter } from '../scim/http/router';
import { requestContext } from './request-context';
import { httpMetricsMiddleware } from '../observability/metrics';
import { sendScimError } from '../scim/http/error-response';
import { sendConsoleError } from '../console/console-routes';
import { requestDeadline, type ErrorResponder } from './request-deadline';
import { toAppError } from './infrastructure-errors';
import { sendJsonError } from './json-error';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface AppOptions {
  logger: Logger;
  scim: ScimDeps;
  readiness: ReadinessCheck[];
  trustProxy: boolean;
  publicBaseUrl?: string;
  maxBodyBytes: number;
  rateLimitPerMinute: number;
  /** The provisioning log's writer (src/domain/provisioning-log.ts). */
  provisioningLog: ProvisioningLogWriter;
  /** Fairness between tenants (src/scim/http/tenant-gate.ts). */
  tenantGate: { maxInFlight: number; maxQueuedPerTenant: number; maxInFlightShared: number };
  /** Every request answers within this many milliseconds (503 with Retry-After when it cannot). */
  requestDeadlineMs: number;
  /** Extra routers (admin API, metrics) mounted by the composition root. */
  mount?: (app: Express) => void;
}

const READY_TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** Each surface answers errors in its own format: SCIM's Error message, the console's page, else `{error}` JSON. */
function errorResponderFor(req: Request): ErrorResponder {
  const path = req.originalUrl;
  if (path.startsWith('/scim/v2')) return sendScimError;
  if (path.startsWith('/console')) return sendConsoleError;
  return sendJsonError;
}

/** Errors outside the SCIM and admin routers (/metrics, the console's files): never express's HTML 500 page. */
function lastErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error = toAppError(err);
    if (error.status >= 500) logger.error('request failed', { err: error.cause ?? err, code: error.code });
    if (res.headersSent) return;
    errorResponderFor(req)(res, error);
  };
}

/** The express app, without listen(), so tests drive it with supertest. */
export function createApp(opts: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.trustProxy);
  app.set('query parser', 'simple');
  app.use(requestContext(opts.logger));
  app.use(httpMetricsMiddleware());
  app.use(requestDeadline(opts.requestDeadlineMs, errorResponderFor, opts.logger));

  getOnly(app, '/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  getOnly(app, '/readyz', async (_req, res) => {
    const results = await Promise.all(
      opts.readiness.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), READY_TIMEOUT_MS);
          return [name, { ok: true }] as const;
        } catch (err) {
          return [name, { ok: false, error: (err as Error).message }] as const;
        }
      }),
    );
    const ok = results.every(([, r]) => r.ok);
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    for (const [name, r] of results) checks[name] = r;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', checks });
  });

  app.use(
    '/scim/v2',
    scimRouter(opts.scim, {
      publicBaseUrl: opts.publicBaseUrl,
      maxBodyBytes: opts.maxBodyBytes,
      rateLimitPerMinute: opts.rateLimitPerMinute,
      provisioningLog: opts.provisioningLog,
      ...opts.tenantGate,
    }),
  );
  opts.mount?.(app);
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such endpoint' } });
  });
  app.use(lastErrorHandler(opts.logger));
  return app;
}
