import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Stops the test database for a while (SIGSTOP, then SIGCONT), as a stalled server or a long pause does. */
export interface DatabaseFreezer {
  freeze(ms: number): Promise<void>;
  /** SIGCONT whatever happened (a safety net for afterAll). */
  thaw(): void;
}

/**
 * The freezer for the embedded database the test run's scripts/services.sh started: its pid is
 * read from the run folder (never looked up by name: other runs use the same programs), and used
 * only while that pid still runs the recorded command and the run's MONGODB_URI points at its port.
 * Undefined when the tests use a database they did not start (MONGODB_URI given from outside).
 */
export function testDatabaseFreezer(): DatabaseFreezer | undefined {
  const runDir = join(process.env.SCIM_TEST_DATA_DIR || join(__dirname, '..', '..', '.data', 'test'), 'run');
  const file = (name: string) => join(runDir, name);
  if (!['mongo.pid', 'mongo.cmd', 'mongo.port'].every((n) => existsSync(file(n)))) return undefined;
  const pid = Number(readFileSync(file('mongo.pid'), 'utf8').trim());
  const identity = readFileSync(file('mongo.cmd'), 'utf8').trim();
  const port = readFileSync(file('mongo.port'), 'utf8').trim();
  const ours = () => existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(identity);
  if (!ours() || new URL(process.env.MONGODB_URI ?? 'mongodb://x').port !== port) return undefined;
  const signal = (name: NodeJS.Signals) => {
    if (ours()) process.kill(pid, name);
  };
  return {
    async freeze(ms) {
      signal('SIGSTOP');
      try {
        await new Promise((resolve) => setTimeout(resolve, ms));
      } finally {
        signal('SIGCONT');
      }
    },
    thaw: () => signal('SIGCONT'),
  };
}
