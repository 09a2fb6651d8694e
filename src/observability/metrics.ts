import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import type { RedisConnection } from '../queue/redis-connection';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, register as globalRegistry } from 'prom-client';
import type { Models } from '../persistence/models';
import { repositoriesOf } from '../persistence/repositories';
import { SyncQueueInspector } from '../queue/queue-inspector';
import { attachSyncQueueInspector } from '../queue/inspector-locator';
import { getOnly } from '../http/get-only';

/**
 * Prometheus metrics (prom-client). Process-wide metrics (HTTP requests, jobs run by this
 * process's worker, Node.js defaults) live in prom-client's global registry; figures read from
 * shared state at scrape time (queue depths, outbox lag) live in a registry per API runtime,
 * bound to its queue and database. GET /metrics serves both.
 */

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

function once<T>(name: string, create: () => T): T {
  return (globalRegistry.getSingleMetric(name) as T | undefined) ?? create();
}

export const httpRequestDuration = once(
  'http_request_duration_seconds',
  () =>
    new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: DURATION_BUCKETS,
    }),
);

export const syncJobDuration = once(
  'scim_sync_job_duration_seconds',
  () =>
    new Histogram({
      name: 'scim_sync_job_duration_seconds',
      help: 'Sync job processing time by job name and outcome (completed, superseded, gone, failed)',
      labelNames: ['job', 'outcome'] as const,
      buckets: DURATION_BUCKETS,
    }),
);

export const syncJobsTotal = once(
  'scim_sync_jobs_total',
  () =>
    new Counter({
      name: 'scim_sync_jobs_total',
      help: 'Sync jobs processed by job name and outcome',
      labelNames: ['job', 'outcome'] as const,
    }),
);

export const syncJobWait = once(
  'scim_sync_job_wait_seconds',
  () =>
    new Histogram({
      name: 'scim_sync_job_wait_seconds',
      help: 'Time from enqueue to the start of processing (queue lag)',
      labelNames: ['job'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    }),
);

export const ruleMembershipChanges = once(
  'scim_sync_rule_membership_changes_total',
  () =>
    new Counter({
      name: 'scim_sync_rule_membership_changes_total',
      help: 'Memberships added or removed by rules',
      labelNames: ['change'] as const,
    }),
);

let defaultsCollected = false;
function collectDefaultsOnce() {
  if (defaultsCollected || globalRegistry.getSingleMetric('process_cpu_user_seconds_total')) return;
  defaultsCollected = true;
  collectDefaultMetrics();
}

/** The route pattern of a request for labels: bounded cardinality, never raw ids. */
export function routeLabel(req: Request, status: number): string {
  const route = (req as unknown as { route?: { path?: unknown } }).route;
  if (route && typeof route.path === 'string') return `${req.baseUrl}${route.path}`;
  if (status === 404) return 'unmatched';
  return req.baseUrl ? `${req.baseUrl}/*` : 'other';
}

/** Express middleware timing every request; register it before the routers. */
export function httpMetricsMiddleware(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const end = httpRequestDuration.startTimer();
    res.on('finish', () => {
      end({ method: req.method, route: routeLabel(req, res.statusCode), status: String(res.statusCode) });
    });
    next();
  };
}

export interface SyncMonitoringOptions {
  models: Models;
  /** A connection the runtime owns and closes (the inspector only borrows it). */
  redis: RedisConnection;
  /** config.queue.prefix */
  queuePrefix: string;
}

/** Gauges read at scrape time: queue depth per state and the outbox (pending documents, oldest pending age). */
function scrapeRegistry(models: Models, inspector: SyncQueueInspector): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'scim_sync_queue_jobs',
    help: 'Jobs in the sync queue by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        const counts = await inspector.counts();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      } catch {
        // Redis down: no queue figures rather than a failed scrape.
      }
    },
  });
  const repos = repositoriesOf(models);
  const kinds = [
    ['users', repos.users.syncMarks],
    ['groups', repos.groups.syncMarks],
    ['rules', repos.rules.syncMarks],
  ] as const;
  new Gauge({
    name: 'scim_sync_pending_documents',
    help: 'Documents whose change the sync worker has not processed yet (the outbox)',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      for (const [kind, marks] of kinds) this.set({ kind }, await marks.countPending(undefined, 'secondaryPreferred'));
    },
  });
  new Gauge({
    name: 'scim_sync_lag_seconds',
    help: 'Age of the oldest change still pending sync (0 when none is pending)',
    registers: [registry],
    async collect() {
      let oldest: number | undefined;
      for (const [, marks] of kinds) {
        const since = (await marks.oldestPendingSince(undefined, 'secondaryPreferred'))?.getTime();
        if (since !== undefined && (oldest === undefined || since < oldest)) oldest = since;
      }
      this.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
    },
  });
  new Gauge({
    name: 'scim_webhook_endpoints_failing',
    help: 'Webhook endpoints marked failing (an event failed for WEBHOOKS_RETRY_HOURS; their events are held until re-enabled or redelivered)',
    registers: [registry],
    async collect() {
      this.set(await repos.webhooks.countFailing());
    },
  });
  return registry;
}

/**
 * Mounts GET /metrics and makes the sync queue inspector available to the admin sync routes.
 * Called from the composition root's `mount` (src/runtime.ts).
 */
export function mountSyncMonitoring(app: Express, opts: SyncMonitoringOptions): SyncQueueInspector {
  collectDefaultsOnce();
  const inspector = new SyncQueueInspector(opts.redis, opts.queuePrefix);
  attachSyncQueueInspector(app, inspector);
  const local = scrapeRegistry(opts.models, inspector);
  getOnly(app, '/metrics', async (_req, res, next) => {
    try {
      const merged = Registry.merge([globalRegistry, local]);
      res.setHeader('Content-Type', merged.contentType);
      res.send(await merged.metrics());
    } catch (err) {
      next(err);
    }
  });
  return inspector;
}
