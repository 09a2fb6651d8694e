import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** One JSON log line of a process (src/observability/logger.ts). */
export type LogLine = Record<string, unknown> & { msg: string; level: string };

export interface AppProcess {
  role: 'api' | 'worker';
  pid: number;
  /** http://127.0.0.1:<port> for an API process. */
  url?: string;
  /** Every JSON line the process wrote to stdout so far. */
  lines: LogLine[];
  /** SIGTERM (graceful: requests and jobs finish), SIGKILL after 15 s; resolves on exit. */
  stop(): Promise<void>;
}

const root = join(__dirname, '..', '..');

/**
 * The real entry point (src/main.ts, as `npm run start:api` / `start:worker` runs its build) in a
 * process of its own, the TypeScript compiled on load by test/helpers/ts-register.js. `env` is the
 * whole configuration (PORT=0 picks a free port, read back from the "API listening" line).
 */
export function startAppProcess(role: 'api' | 'worker', env: Record<string, string>): Promise<AppProcess> {
  const child: ChildProcess = spawn(process.execPath, ['-r', join(root, 'test/helpers/ts-register.js'), join(root, 'src/main.ts'), `--role=${role}`], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = role === 'api' ? 'API listening' : 'sync worker started';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${role} process did not start within 40 s: ${stderr}`));
    }, 40_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${role} process exited during start-up (code ${code}): ${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (text) => {
      if (!text.startsWith('{')) return;
      const line = JSON.parse(text) as LogLine;
      lines.push(line);
      if (line.msg !== ready) return;
      clearTimeout(timer);
      resolve({
        role,
        pid: child.pid!,
        ...(role === 'api' ? { url: `http://127.0.0.1:${String(line.port)}` } : {}),
        lines,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const hard = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(hard);
        },
      });
    });
  });
}
