import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * The processes the crash tests start (bench/crash-test.ts: the API; bench/worker-crash-test.ts:
 * the API and the sync worker), each its own `node dist/src/main.js --role=…`, and every one of
 * them stopped by its own PID whatever way the test ends.
 */

export const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (scripts/crash-test.sh sets it)`);
  return v;
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Processes started here and still running: killed (by PID) when this process ends. */
const running = new Set<ChildProcess>();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(2);
  });
}
process.on('exit', () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function startApp(role: 'api' | 'worker', prefix: string, logFile: string, extraEnv: Record<string, string>): ChildProcess {
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [join(__dirname, '../src/main.js'), `--role=${role}`], {
    env: {
      PATH: process.env.PATH,
      MONGODB_URI: env('MONGODB_URI'),
      REDIS_URL: env('REDIS_URL'),
      HOST: '127.0.0.1',
      ADMIN_JWT_SECRET: randomBytes(32).toString('hex'),
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      SCIM_RATE_LIMIT_PER_MINUTE: '1000000',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  return child;
}

export interface Api {
  child: ChildProcess;
  url: string;
}

export async function startApi(port: number, prefix: string, logFile: string): Promise<Api> {
  const child = startApp('api', prefix, logFile, { PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the API exited during start-up (code ${child.exitCode}); see ${logFile}`);
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) return { child, url };
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the API did not answer /healthz within 30 s; see ${logFile}`);
}

/** A sync worker process; its sweeper looks every second at changes pending longer than `sweepAfterSeconds`. */
export function startWorker(prefix: string, logFile: string, sweepAfterSeconds: number): ChildProcess {
  return startApp('worker', prefix, logFile, {
    SYNC_SWEEP_AFTER_SECONDS: String(sweepAfterSeconds),
    SYNC_SWEEP_INTERVAL_SECONDS: '1',
    // Webhooks to the crash test's loopback receiver, retried quickly.
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOKS_BACKOFF_BASE_MS: '50',
    WEBHOOKS_BACKOFF_MAX_MS: '1000',
    EVENTS_SEQUENCE_INTERVAL_MS: '100',
  });
}

/** Stops a process we started, by its own handle (PID): TERM, then KILL after 10 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export const stopApi = (api: Api) => stopProcess(api.child);
