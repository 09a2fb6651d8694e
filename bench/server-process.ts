import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/observability/logger';
import { closeServer, createApiRuntime } from '../src/runtime';
import { createBaselineApp } from './baseline-app';

/**
 * Hosts the SCIM app and the baseline app in a child process, so the load generator does not share
 * an event loop or a CPU account with the servers it measures: the process's CPU time per request
 * is what our code (with express and the driver) costs, whatever the database's share. Both apps
 * share this process and one connection pool; they are measured one after the other.
 *
 * Protocol (IPC): parent sends {type:'start', data}; child answers {type:'ready', ports} or
 * {type:'failed'}; {type:'cpu'} is answered with {type:'cpu', micros}; {type:'close'} with {type:'closed'}.
 */
export interface ServerProcessData {
  env: Record<string, string>;
  tenantId: string;
}

export type ParentMessage = { type: 'start'; data: ServerProcessData } | { type: 'cpu' } | { type: 'close' };
export type ChildMessage = { type: 'ready'; scimPort: number; baselinePort: number } | { type: 'failed'; message: string } | { type: 'cpu'; micros: number } | { type: 'closed' };

const reply = (msg: ChildMessage) => process.send?.(msg);

function listen(app: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app);
    server.keepAliveTimeout = 60_000;
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

async function start(data: ServerProcessData) {
  const config = loadConfig(data.env);
  // Server-side errors go to stderr, so stdout keeps only the results table.
  const logger = createLogger(config.logLevel, { component: 'bench-server' }, (line) => process.stderr.write(line + '\n'));
  const runtime = await createApiRuntime(config, logger);
  const scim = await listen(runtime.app);
  const baseline = await listen(createBaselineApp(runtime.db.models, data.tenantId));
  process.on('message', (msg: ParentMessage) => {
    if (msg.type === 'cpu') {
      const usage = process.cpuUsage();
      reply({ type: 'cpu', micros: usage.user + usage.system });
    } else if (msg.type === 'close') {
      void (async () => {
        await Promise.all([closeServer(scim.server, 2000), closeServer(baseline.server, 2000)]);
        await runtime.close();
        reply({ type: 'closed' });
        process.disconnect();
      })();
    }
  });
  reply({ type: 'ready', scimPort: scim.port, baselinePort: baseline.port });
}

process.once('message', (msg: ParentMessage) => {
  if (msg.type !== 'start') return;
  start(msg.data).catch((err: unknown) => {
    reply({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.disconnect();
  });
});
// The parent went away (crashed or interrupted): do not linger holding ports and connections.
process.on('disconnect', () => setTimeout(() => process.exit(0), 3000).unref());
