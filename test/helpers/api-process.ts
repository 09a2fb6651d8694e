import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { ConnectOptions } from '../../src/persistence/mongo';

export interface ApiProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
  /** SIGKILL, as a crash: requests in flight get no answer; resolves once the process is gone. */
  kill(): Promise<void>;
}

/**
 * The API in a separate operating-system process (its own connection pool and event loop), for
 * tests about what holds across processes. `env` is the configuration, as for loadConfig;
 * `connect`, the database connection's options where a test needs other driver timeouts.
 */
export function startApiProcess(env: Record<string, string | undefined>, connect?: ConnectOptions): Promise<ApiProcess> {
  const child = fork(join(__dirname, 'api-process-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('message', (msg: { type: 'ready'; port: number } | { type: 'failed'; message: string }) => {
      if (msg.type === 'failed') return reject(new Error(`API process failed to start: ${msg.message}`));
      resolve({
        url: `http://127.0.0.1:${msg.port}`,
        async close() {
          if (child.exitCode === null && child.connected) child.send({ type: 'close' });
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        },
        async kill() {
          if (child.exitCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`API process exited during start-up (code ${code})`)));
    child.send({ env, connect });
  });
}

/** A SCIM request to a child API process with a tenant's bearer token (fetch, as an IdP sends it). */
export function scimRequest(api: ApiProcess, token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${api.url}/scim/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
