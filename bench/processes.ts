/**
 * `npm run bench:processes [-- --users N --concurrency C --layouts 1x1,2x2 --json FILE]`: what one
 * API process and one worker process carry, and what adding processes changes (issue 24's capacity
 * table, docs/deployment.md).
 *
 * Per layout `AxW` (A API processes, W worker processes, `node dist/src/main.js --role=api|worker`)
 * on the same local services (scripts/services.sh in .data/bench-processes, embedded MongoDB with
 * its in-memory backend, Redis), a fresh database and queue prefix: one tenant with a rule
 * `department eq "Sales"`; an IdP import of N users (`POST /Users`, C in flight, spread over the
 * APIs round-robin); then until the outbox is empty and the queue idle. Measured: creates/s and
 * p95 of the import, user changes applied per second by the workers (N ÷ time from the first create
 * to convergence), and CPU time per create of the API processes and per change of the worker
 * processes (utime + stime from /proc): 1000 ÷ that is what one core carries. The rule group is
 * checked member by member. Progress on stderr, the result as JSON on stdout.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { signAdminToken } from '../src/auth/admin-jwt';
import { loadConfig } from '../src/config/config';
import { createTenant } from '../src/domain/tenants';
import { projectRoot } from '../src/local-env';
import { connectDatabase } from '../src/persistence/mongo';
import { percentile } from './load';

const started = Date.now();
const progress = (m: string) => process.stderr.write(`[processes +${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const DEPARTMENTS = ['Sales', 'Support', 'Legal', 'Finance'];

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

interface Proc {
  pid: number;
  port?: number;
  stop(): Promise<void>;
}

function start(role: 'api' | 'worker', env: Record<string, string>): Promise<Proc> {
  const main = join(projectRoot, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error('dist/src/main.js is missing: npm run bench:processes builds it');
  const child: ChildProcess = spawn(process.execPath, [main, `--role=${role}`], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start within 60 s`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${role} exited during start-up (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (text) => {
      if (!text.startsWith('{')) return;
      const line = JSON.parse(text) as { msg: string; port?: number };
      if (line.msg !== (role === 'api' ? 'API listening' : 'sync worker started')) return;
      clearTimeout(timer);
      resolve({
        pid: child.pid!,
        ...(line.port ? { port: line.port } : {}),
        async stop() {
          if (child.exitCode !== null) return;
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

/** CPU seconds (user + system) a process has used. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function runLayout(apisN: number, workersN: number, users: number, concurrency: number, services: { mongo: string; redis: string }) {
  const dbName = `processes_${randomBytes(4).toString('hex')}`;
  const mongo = new URL(services.mongo);
  mongo.pathname = `/${dbName}`;
  const env = {
    MONGODB_URI: mongo.toString(),
    REDIS_URL: services.redis,
    ADMIN_JWT_SECRET: 'bench-secret-that-is-long-enough-0123456789',
    QUEUE_PREFIX: `bp${randomBytes(3).toString('hex')}`,
    PORT: '0',
    HOST: '127.0.0.1',
    SCIM_RATE_LIMIT_PER_MINUTE: '10000000',
    LOG_LEVEL: 'info', // production's level: the request log is part of the cost
  };
  const config = loadConfig(env);
  const db = await connectDatabase(config.mongodbUri);
  const tenant = await createTenant(db.models, 'bench');
  const apis = await Promise.all(Array.from({ length: apisN }, () => start('api', env)));
  const workers = await Promise.all(Array.from({ length: workersN }, () => start('worker', env)));
  try {
    return await measure();
  } finally {
    await Promise.all([...apis, ...workers].map((p) => p.stop()));
    await db.connection.dropDatabase().catch(() => undefined);
    await db.close();
  }

  async function measure() {
    const admin = signAdminToken(config.adminJwt, { sub: 'usr_operator', tenant: tenant.tenantId, role: 'admin', kind: 'operator' });
    const call = async (i: number, method: string, path: string, token: string, body: unknown) => {
      const res = await fetch(`http://127.0.0.1:${apis[i % apis.length]!.port}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { id: string };
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const target = (await call(0, 'POST', '/admin/v1/groups', admin, { name: 'Sales team' })).id;
    const rule = (await call(0, 'POST', '/admin/v1/rules', admin, { name: 'Sales', expression: 'department eq "Sales"', targetGroupId: target })).id;
    await sleep(500);

    const cpu0 = { api: apis.reduce((n, p) => n + cpuSeconds(p.pid), 0), worker: workers.reduce((n, p) => n + cpuSeconds(p.pid), 0) };
    const t0 = Date.now();
    const latencies: number[] = [];
    const sales = new Set<string>();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < users; i = next++) {
          const department = DEPARTMENTS[i % DEPARTMENTS.length]!;
          const t = performance.now();
          const created = await call(i, 'POST', '/scim/v2/Users', tenant.scimToken, {
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
            userName: `u${i}@example.com`,
            [ENTERPRISE]: { department },
          });
          latencies.push(performance.now() - t);
          if (department === 'Sales') sales.add(created.id);
        }
      }),
    );
    const importSeconds = (Date.now() - t0) / 1000;
    const cpu1 = { api: apis.reduce((n, p) => n + cpuSeconds(p.pid), 0) };
    const pending = { tenantId: tenant.tenantId, 'sync.pendingSince': { $exists: true } } as never;
    while ((await db.models.User.collection.countDocuments(pending)) > 0) await sleep(100);
    const convergedSeconds = (Date.now() - t0) / 1000;
    const cpu2 = { worker: workers.reduce((n, p) => n + cpuSeconds(p.pid), 0) };
    const holders = await db.models.Membership.collection.countDocuments({ tenantId: tenant.tenantId, groupId: target, sources: `rule:${rule}` });
    if (holders !== sales.size) throw new Error(`rule group holds ${holders}, expected ${sales.size}`);
    latencies.sort((a, b) => a - b);
    return {
      layout: `${apisN} API × ${workersN} worker`,
      users,
      createsPerSecond: Math.round(users / importSeconds),
      createP95Ms: Math.round(percentile(latencies, 95)),
      changesAppliedPerSecond: Math.round(users / convergedSeconds),
      apiCpuMsPerCreate: Number((((cpu1.api - cpu0.api) * 1000) / users).toFixed(2)),
      workerCpuMsPerChange: Number((((cpu2.worker - cpu0.worker) * 1000) / users).toFixed(2)),
    };
  }
}

async function main() {
  const users = Number(option('users', '3000'));
  const concurrency = Number(option('concurrency', '16'));
  const layouts = option('layouts', '1x1,2x2')
    .split(',')
    .map((l) => l.split('x').map(Number) as [number, number]);
  const dataDir = join(projectRoot, '.data', 'bench-processes');
  const script = join(projectRoot, 'scripts', 'services.sh');
  const svcEnv = { ...process.env, SCIM_DATA_DIR: dataDir, SCIM_EMBEDDED_MONGO_BACKEND: 'memory' };
  const out = execFileSync('bash', [script, 'start'], { env: svcEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const services = { mongo: /^MONGODB_URI=(.+)$/m.exec(out)![1]!, redis: /^REDIS_URL=(.+)$/m.exec(out)![1]! };
  const results = [];
  try {
    for (const [a, w] of layouts) {
      progress(`layout ${a} API × ${w} worker, ${users} users, ${concurrency} in flight`);
      const r = await runLayout(a, w, users, concurrency, services);
      progress(JSON.stringify(r));
      results.push(r);
    }
  } finally {
    execFileSync('bash', [script, 'stop'], { env: svcEnv, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const json = JSON.stringify({ date: new Date().toISOString(), cores: (await import('node:os')).cpus().length, results }, null, 2);
  process.stdout.write(json + '\n');
  const file = option('json', '');
  if (file) writeFileSync(file, json);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
