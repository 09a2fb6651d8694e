import express, { type Express } from 'express';
import { getOnly } from './get-only';
import type { Logger } from '../observability/logger';
import type { ScimDeps } from '../scim/service/scim-deps';
import { scimRouter } from '../scim/http/router';
import { requestContext } from './request-context';
import { httpMetricsMiddleware } from '../observability/metrics';

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

/** The express app, without listen(), so tests drive it with supertest. */
export function createApp(opts: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.trustProxy);
  app.set('query parser', 'simple');
  app.use(requestContext(opts.logger));
  app.use(httpMetricsMiddleware());

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
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', checks: Object.fromEntries(results) });
  });

  app.use('/scim/v2', scimRouter(opts.scim, { publicBaseUrl: opts.publicBaseUrl, maxBodyBytes: opts.maxBodyBytes, rateLimitPerMinute: opts.rateLimitPerMinute }));
  opts.mount?.(app);
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such endpoint' } });
  });
  return app;
}
