import { createServer, type RequestListener, type Server } from 'node:http';
import { createRedisConnection, type RedisConnection } from './queue/redis-connection';
import type { Config } from './config/config';
import type { Logger } from './observability/logger';
import { connectDatabase, type Database } from './persistence/mongo';
import { repositoriesOf } from './persistence/repositories';
import { loadSchemaRegistry } from './attributes/registry';
import { createJobProducer, type JobProducer } from './queue/producer';
import { createApp } from './http/app';
import type { ScimDeps } from './scim/service/scim-deps';
import { adminRouter } from './admin/router';
import { mountSyncMonitoring } from './observability/metrics';
import { consoleRoutes } from './console/console-routes';
import { ProvisioningLogWriter } from './domain/provisioning-log';

/** The API's long-lived resources, created once by the composition root (main.ts, tests, bench). */
export interface ApiRuntime {
  db: Database;
  producer: JobProducer;
  redis: RedisConnection;
  deps: ScimDeps;
  app: ReturnType<typeof createApp>;
  close(): Promise<void>;
}

export async function createApiRuntime(config: Config, logger: Logger, opts: { db?: Database } = {}): Promise<ApiRuntime> {
  const db = opts.db ?? (await connectDatabase(config.mongodbUri));
  const producer = createJobProducer(config.redisUrl, config.queue.prefix, logger);
  // A separate connection for readiness: it must report Redis down, not queue the PING.
  const redis = createRedisConnection(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: false });
  redis.on('error', () => undefined);
  const deps: ScimDeps = {
    models: db.models,
    registry: loadSchemaRegistry(),
    memberships: repositoriesOf(db.models).memberships,
    producer,
    logger,
    limits: {
      maxPageSize: config.scim.maxPageSize,
      defaultPageSize: Math.min(100, config.scim.maxPageSize),
      bulkMaxOperations: config.scim.bulkMaxOperations,
      bulkMaxPayloadBytes: config.scim.bulkMaxPayloadBytes,
      maxAttributeValueBytes: config.scim.maxAttributeValueBytes,
      maxResourceBytes: config.scim.maxResourceBytes,
    },
  };
  const provisioningLog = new ProvisioningLogWriter(db.models, logger, config.provisioningLog);
  const app = createApp({
    logger,
    scim: deps,
    trustProxy: config.trustProxy,
    publicBaseUrl: config.publicBaseUrl,
    maxBodyBytes: config.scim.maxBodyBytes,
    rateLimitPerMinute: config.scim.rateLimitPerMinute,
    provisioningLog,
    tenantGate: { maxInFlight: config.scim.maxInFlight, maxQueuedPerTenant: config.scim.maxQueuedPerTenant, maxInFlightShared: config.scim.maxInFlightShared },
    requestDeadlineMs: config.requestDeadlineMs,
    mount: (app) => {
      mountSyncMonitoring(app, { models: db.models, redis, queuePrefix: config.queue.prefix });
      app.use('/console', consoleRoutes({ models: db.models, logger }));
      app.use(
        '/admin/v1',
        adminRouter({
          models: db.models,
          memberships: deps.memberships,
          registry: deps.registry,
          producer,
          logger,
          jwt: config.adminJwt,
          resourceLimits: deps.limits,
          webhooks: config.webhooks,
          ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
        }),
      );
    },
    readiness: [
      { name: 'mongodb', check: () => db.ping() },
      { name: 'redis', check: async () => void (await redis.ping()) },
    ],
  });
  return {
    db,
    producer,
    redis,
    deps,
    app,
    async close() {
      // Entries still lingering (the log groups its writes) go before the database does.
      await provisioningLog.flush();
      await producer.close();
      redis.disconnect();
      if (!opts.db) await db.close();
    },
  };
}

/**
 * The HTTP server for the app. A client has `requestTimeoutMs` to send its whole request (headers
 * and body): one that stops sending gets 408 and its connection closed, instead of holding a
 * socket and a parser open indefinitely. Node checks at `checkIntervalMs`.
 */
export function createHttpServer(app: RequestListener, opts: { requestTimeoutMs: number; checkIntervalMs?: number }): Server {
  const server = createServer(
    {
      requestTimeout: opts.requestTimeoutMs,
      headersTimeout: Math.min(60_000, opts.requestTimeoutMs),
      connectionsCheckingInterval: opts.checkIntervalMs ?? Math.min(1000, opts.requestTimeoutMs),
    },
    app,
  );
  server.keepAliveTimeout = 65_000; // longer than common load-balancer idle timeouts
  return server;
}

/** Stops accepting connections and waits for in-flight requests, up to `timeoutMs`. */
export function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
