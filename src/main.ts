import { ConfigError, loadConfig } from './config/config';
import { createLogger } from './observability/logger';
import { createApiRuntime, closeServer, createHttpServer } from './runtime';
import { connectDatabase } from './persistence/mongo';
import { repositoriesOf } from './persistence/repositories';
import { startSyncWorker, type SyncWorker } from '../workers/worker';
import { forgetLocalApiUrl, listeningBaseUrl, recordLocalApiUrl, stopLocalServices, useLocalJwtSecret, useLocalServices } from './local-env';
import { createTenant, findTenantByName, seedDefaults } from './domain/tenants';
import { issueConsoleLink } from './auth/console-sessions';
import { publishAccessChanges } from './domain/permissions/access-version';
import { checkRedisSettingsAtStart } from './queue/redis-settings';

type Role = 'all' | 'api' | 'worker';

function roleFromArgs(): Role {
  const arg = process.argv.find((a) => a.startsWith('--role='));
  const role = (arg?.slice('--role='.length) ?? process.env.ROLE ?? 'all') as Role;
  if (!['all', 'api', 'worker'].includes(role)) throw new ConfigError('--role', `must be all, api or worker, got "${role}"`);
  return role;
}

/**
 * Entry point. `all` (npm start) runs the API and the sync worker in one process and, when
 * MONGODB_URI / REDIS_URL are unset, starts local services and stops them again on exit.
 * `api` and `worker` are the production roles (npm run start:api / start:worker).
 */
async function main() {
  const role = roleFromArgs();
  let startedServices = false;
  if (role === 'all') {
    startedServices = useLocalServices('start');
    useLocalJwtSecret();
  }
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { service: 'scim-sync', role });

  const db = await connectDatabase(config.mongodbUri);
  void checkRedisSettingsAtStart(config.redisUrl, logger);
  let worker: SyncWorker | undefined;
  let api: Awaited<ReturnType<typeof createApiRuntime>> | undefined;
  let server: ReturnType<typeof createHttpServer> | undefined;

  if (role !== 'worker') {
    api = await createApiRuntime(config, logger, { db });
    // Tenants created before a default group or role existed get it now (idempotent, by key).
    for (const t of await repositoriesOf(db.models).tenants.list()) {
      const seeded = await seedDefaults(db.models, t._id);
      if (seeded.created.length || seeded.skipped.length) logger.info('default groups added', { tenantId: t._id, ...seeded });
    }
    server = createHttpServer(api.app, { requestTimeoutMs: config.requestTimeoutMs });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(config.port, config.host, resolve);
    });
    const address = server.address();
    const base = listeningBaseUrl(config.publicBaseUrl, address);
    logger.info('API listening', { host: config.host, port: address && typeof address === 'object' ? address.port : config.port, baseUrl: base });
    if (role === 'all') {
      // The CLI prints SCIM URLs: in a local run, with the port really bound (PORT=0 included).
      recordLocalApiUrl(base);
      let defaultTenantId = (await findTenantByName(db.models, 'default'))?._id;
      if (!(await repositoriesOf(db.models).tenants.any())) {
        const t = await createTenant(db.models, 'default');
        defaultTenantId = t.tenantId;
        logger.info('created tenant "default"', { tenantId: t.tenantId, scimBaseUrl: `${base}/scim/v2` });
        process.stdout.write(
          `\nTenant "default" created. Point Okta or Entra at:\n  SCIM base URL: ${base}/scim/v2\n  Bearer token:  ${t.scimToken}\n(the token is shown once; create more with npm run cli -- tenants create <name>)\n`,
        );
      }
      // A fresh link on every local start: links sign in once and expire, so an old one is no use.
      if (defaultTenantId) {
        const link = await issueConsoleLink(db.models, defaultTenantId, base);
        process.stdout.write(`\nOperator console of tenant "default":\n  ${link.url}\n(signs in once, within 10 minutes; another: npm run cli -- console-link --tenant ${defaultTenantId})\n\n`);
      }
    }
  }
  // A worker-only process changes memberships but answers no authorize: publish its changes so
  // API replicas drop stale permission caches (in `all` mode the API's engine does this), and
  // complete a job only once they have landed.
  const published = role === 'worker' ? publishAccessChanges(db.models, undefined, (err) => logger.warn('access version bump failed', { err })) : undefined;
  if (role !== 'api') worker = startSyncWorker(config, db, logger, published ? { beforeComplete: () => published.settled() } : {});

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const hardStop = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5000);
    hardStop.unref();
    try {
      if (server) await closeServer(server, config.shutdownTimeoutMs);
      if (worker) await worker.close();
      if (api) await api.close();
      await db.close();
      if (role === 'all') forgetLocalApiUrl();
      if (startedServices) stopLocalServices();
    } catch (err) {
      logger.error('error during shutdown', { err });
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  const message = err instanceof ConfigError ? err.message : `start-up failed: ${(err as Error).stack ?? String(err)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
