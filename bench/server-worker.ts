import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/observability/logger';
import { closeServer, createApiRuntime } from '../src/runtime';
import { createBaselineApp } from './baseline-app';

/**
 * Hosts the SCIM app and the baseline app in a worker thread, so the load generator (main thread)
 * does not share an event loop with the servers it measures. Both apps share this thread and one
 * database connection pool: they are measured one after the other, never at the same time.
 */
export interface ServerWorkerData {
  env: Record<string, string>;
  tenantId: string;
}

export interface ServerWorkerReady {
  type: 'ready';
  scimPort: number;
  baselinePort: number;
}

function listen(app: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app);
    server.keepAliveTimeout = 60_000;
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

async function main() {
  const port = parentPort;
  if (!port) throw new Error('server-worker runs as a worker thread');
  const data = workerData as ServerWorkerData;
  const config = loadConfig(data.env);
  // Server-side errors go to stderr, so stdout keeps only the results table.
  const logger = createLogger(config.logLevel, { component: 'bench-server' }, (line) => process.stderr.write(line + '\n'));
  const runtime = await createApiRuntime(config, logger);
  const scim = await listen(runtime.app);
  const baseline = await listen(createBaselineApp(runtime.db.models, data.tenantId));
  port.on('message', (msg: unknown) => {
    if (msg !== 'close') return;
    void (async () => {
      await Promise.all([closeServer(scim.server, 2000), closeServer(baseline.server, 2000)]);
      await runtime.close();
      port.postMessage({ type: 'closed' });
      port.close();
    })();
  });
  const ready: ServerWorkerReady = { type: 'ready', scimPort: scim.port, baselinePort: baseline.port };
  port.postMessage(ready);
}

main().catch((err: unknown) => {
  parentPort?.postMessage({ type: 'failed', message: err instanceof Error ? err.stack ?? err.message : String(err) });
});
