/**
 * `npm run bench:fairness [-- --users N --concurrency C --idle-changes M --importers 1|2 --json FILE]`: fairness between
 * tenants (issue 24, part 2). Tenant B's single changes while tenant A imports N users (default
 * 50,000), compared with the same changes when B has the server to itself.
 *
 * What runs: the local services (scripts/services.sh in .data/bench-fairness: embedded MongoDB with
 * its in-memory backend, Redis), one API process and one worker process (`node dist/src/main.js
 * --role=api|worker`, as a deployment runs them), a fresh database and queue prefix. Each tenant
 * has a rule `department eq "Sales"` into a group of its own.
 *
 *  1. Idle: B makes M changes (default 30), one a second, as an IdP does: `GET /Users?filter=userName
 *     eq …` then `PATCH /Users/{id}` moving a user into or out of Sales. Measured: the latency of
 *     each of B's SCIM requests, and for each change the time from sending the PATCH to the
 *     membership being visible through the admin API (`GET /admin/v1/groups/{id}/members`, polled).
 *  2. Loaded: A imports N users as Okta does (for each: the lookup, then `POST /Users`; C in flight,
 *     default 16; a 429 is waited out for its `Retry-After` and sent again, as Okta does) while B goes
 *     on making one change a second until the import ends. The same figures for B. A's client runs in
 *     a thread of its own (bench/fairness-import.ts), so B's timings do not include the benchmark's
 *     own event loop serving A's responses. With `--importers 2`, tenant C imports N users beside A
 *     (its own thread and rule group): what the shares cost two busy tenants, and B beside both.
 *  3. Nothing starved: until A's changes are all applied (the outbox empty), then A's rule group is
 *     checked member by member.
 *  4. Idle again: B's M changes once more, A done. On a shared machine the two idle figures bracket
 *     what the machine's own noise did; the ratios are against the first.
 *
 * Printed: B's p95 idle and loaded, for SCIM requests and for change-applied, and loaded ÷ idle
 * (the target is at most 2 for both). Progress on stderr, the result as JSON on stdout (and --json FILE).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { signAdminToken } from '../src/auth/admin-jwt';
import { loadConfig } from '../src/config/config';
import { createTenant } from '../src/domain/tenants';
import { projectRoot } from '../src/local-env';
import { connectDatabase } from '../src/persistence/mongo';
import { CORE_USER, ENTERPRISE, PATCH_OP, sleep, TenantClient } from './fairness-client';
import type { ImportMessage, ImportOrder } from './fairness-import';
import { percentile } from './load';

const started = Date.now();
const progress = (m: string) => process.stderr.write(`[fairness +${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`);

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
  if (!existsSync(main)) throw new Error('dist/src/main.js is missing: npm run bench:fairness builds it');
  const child: ChildProcess = spawn(process.execPath, [main, `--role=${role}`], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start within 60 s`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${role} exited during start-up (${code})`)));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (text) => {
      if (!text.startsWith('{')) return;
      const line = JSON.parse(text) as { msg: string; port?: number };
      if (line.msg !== (role === 'api' ? 'API listening' : 'sync worker started')) return;
      clearTimeout(timer);
      resolve({
        pid: child.pid!,
        ...(line.port ? { port: line.port } : {}),
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
          await exited;
          clearTimeout(kill);
        },
      });
    });
  });
}

interface Figures {
  changes: number;
  scimRequests: number;
  scimP50Ms: number;
  scimP95Ms: number;
  appliedP50Ms: number;
  appliedP95Ms: number;
  appliedMaxMs: number;
  /** The same requests as the API timed them (its provisioning log: from authentication, gate wait included, to the answer; whole ms). */
  serverP50Ms: number;
  serverP95Ms: number;
  /** This process's own event-loop delay while B ran (p99): time B's timers spent waiting on the client, not the server. */
  clientLoopDelayP99Ms: number;
}

function figures(scim: number[], applied: number[], server: number[], loop: IntervalHistogram): Figures {
  const s = [...scim].sort((a, b) => a - b);
  const v = [...server].sort((a, b) => a - b);
  const a = [...applied].sort((x, y) => x - y);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    changes: a.length,
    scimRequests: s.length,
    scimP50Ms: r(percentile(s, 50)),
    scimP95Ms: r(percentile(s, 95)),
    appliedP50Ms: r(percentile(a, 50)),
    appliedP95Ms: r(percentile(a, 95)),
    appliedMaxMs: r(a[a.length - 1] ?? NaN),
    serverP50Ms: r(percentile(v, 50)),
    serverP95Ms: r(percentile(v, 95)),
    clientLoopDelayP99Ms: r(loop.percentile(99) / 1e6),
  };
}

/** Tenant B: one change a second (lookup, then PATCH into or out of Sales), each timed until the admin API shows it. */
class ChangeMaker {
  private flips = new Map<string, boolean>();
  constructor(
    private readonly c: TenantClient,
    private readonly users: { id: string; userName: string }[],
    private readonly groupId: string,
    /** B's SCIM requests between two times, as the API logged them (durationMs). */
    private readonly serverTimes: (from: Date, to: Date) => Promise<number[]>,
  ) {
    for (const u of users) this.flips.set(u.id, false);
  }

  async run(until: () => boolean, maxChanges: number): Promise<Figures> {
    const scim: number[] = [];
    const applied: number[] = [];
    let i = 0;
    const from = new Date();
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    while (!until() && applied.length < maxChanges) {
      const tick = performance.now();
      const user = this.users[i++ % this.users.length]!;
      const lookup = await this.c.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${user.userName}"`)}`, 200);
      scim.push(lookup.ms);
      const join = !this.flips.get(user.id);
      const t0 = performance.now();
      const patch = await this.c.scim('PATCH', `/Users/${user.id}`, 200, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${ENTERPRISE}:department`, value: join ? 'Sales' : 'Legal' }] });
      scim.push(patch.ms);
      this.flips.set(user.id, join);
      for (;;) {
        const members = await this.c.admin<{ items: { userId: string }[] }>('GET', `/groups/${this.groupId}/members?limit=100`, 200);
        const present = members.items.some((m) => m.userId === user.id);
        if (present === join) break;
        if (performance.now() - t0 > 600_000) throw new Error(`B's change to ${user.id} not applied within 10 minutes`);
        await sleep(10);
      }
      applied.push(performance.now() - t0);
      const rest = 1000 - (performance.now() - tick);
      if (rest > 0) await sleep(rest);
    }
    loop.disable();
    const to = new Date();
    await sleep(500); // the provisioning log's writer lingers before it writes
    return figures(scim, applied, await this.serverTimes(from, to), loop);
  }
}

/** Starts one tenant's import in a thread of its own; `done` settles with its figures. */
function startImport(label: string, order: ImportOrder) {
  const thread = new Worker(join(__dirname, 'fairness-import.js'), { workerData: order });
  let endedAt = 0;
  const done = new Promise<Extract<ImportMessage, { kind: 'done' }>>((resolve, reject) => {
    thread.on('message', (m: ImportMessage) => {
      if (m.kind === 'progress')
        progress(`${label} import: ${m.done}/${order.users} users (${m.perSecond.toFixed(0)}/s, ~${Math.ceil((order.users - m.done) / m.perSecond)} s left, ${m.throttled} answered 429)`);
      else if (m.kind === 'done') {
        endedAt = performance.now();
        resolve(m);
      } else reject(new Error(`${label}'s import failed: ${m.error}`));
    });
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`${label}'s import thread exited (${code})`)));
  });
  return { thread, done, endedAt: () => endedAt };
}

async function main() {
  const users = Number(option('users', '50000'));
  const concurrency = Number(option('concurrency', '16'));
  const idleChanges = Number(option('idle-changes', '100'));
  const importerCount = Number(option('importers', '1'));
  if (importerCount !== 1 && importerCount !== 2) throw new Error('--importers is 1 (tenant A) or 2 (A and C)');
  const dataDir = join(projectRoot, '.data', 'bench-fairness');
  const script = join(projectRoot, 'scripts', 'services.sh');
  const svcEnv = { ...process.env, SCIM_DATA_DIR: dataDir, SCIM_EMBEDDED_MONGO_BACKEND: 'memory' };
  const out = execFileSync('bash', [script, 'start'], { env: svcEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const services = { mongo: /^MONGODB_URI=(.+)$/m.exec(out)![1]!, redis: /^REDIS_URL=(.+)$/m.exec(out)![1]! };
  const mongo = new URL(services.mongo);
  mongo.pathname = `/fairness_${randomBytes(4).toString('hex')}`;
  const env = {
    MONGODB_URI: mongo.toString(),
    REDIS_URL: services.redis,
    ADMIN_JWT_SECRET: 'bench-secret-that-is-long-enough-0123456789',
    QUEUE_PREFIX: `bf${randomBytes(3).toString('hex')}`,
    PORT: '0',
    HOST: '127.0.0.1',
    // The per-token rate limit would cap A's import well below what is measured here.
    SCIM_RATE_LIMIT_PER_MINUTE: '10000000',
    LOG_LEVEL: 'info',
  };
  const config = loadConfig(env);
  const db = await connectDatabase(config.mongodbUri);
  const procs: Proc[] = [];
  try {
    const tenantA = await createTenant(db.models, 'fairness-a');
    const tenantB = await createTenant(db.models, 'fairness-b');
    const api = await start('api', env);
    procs.push(api);
    procs.push(await start('worker', env));
    progress(`API pid ${api.pid} on 127.0.0.1:${api.port}, worker pid ${procs[1]!.pid}; ${cpus().length} cores`);
    const adminToken = (tenantId: string) => signAdminToken(config.adminJwt, { sub: 'usr_operator', tenant: tenantId, role: 'admin', kind: 'operator' }, 86_400);
    const a = new TenantClient(api.port!, tenantA.scimToken, adminToken(tenantA.tenantId), 2);
    const b = new TenantClient(api.port!, tenantB.scimToken, adminToken(tenantB.tenantId), 2);
    const ruleGroup = async (c: TenantClient) => {
      const group = await c.admin<{ id: string }>('POST', '/groups', 201, { name: 'Sales team' });
      const rule = await c.admin<{ id: string }>('POST', '/rules', 201, { name: 'Sales', expression: 'department eq "Sales"', targetGroupId: group.id });
      return { groupId: group.id, ruleId: rule.id };
    };
    const groupA = await ruleGroup(a);
    const groupB = await ruleGroup(b);
    const importers = [{ label: 'A', tenant: tenantA, group: groupA }];
    if (importerCount > 1) {
      // A second busy tenant importing beside A: what the shares cost when two tenants import at once.
      const tenantC = await createTenant(db.models, 'fairness-c');
      importers.push({ label: 'C', tenant: tenantC, group: await ruleGroup(new TenantClient(api.port!, tenantC.scimToken, adminToken(tenantC.tenantId), 2)) });
    }
    const bUsers: { id: string; userName: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const userName = `b${i}@b.example.com`;
      const created = await b.scim('POST', '/Users', 201, { schemas: [CORE_USER, ENTERPRISE], userName, active: true, [ENTERPRISE]: { department: 'Legal' } });
      bUsers.push({ id: (created.body as { id: string }).id, userName });
    }
    await sleep(2000);
    const logged = async (from: Date, to: Date) => {
      const entries = await db.models.ProvisioningLog.collection.find({ tenantId: tenantB.tenantId, at: { $gte: from, $lte: to } } as never, { projection: { durationMs: 1 } }).toArray();
      return entries.map((e) => Number((e as { durationMs?: number }).durationMs ?? NaN)).filter((n) => !Number.isNaN(n));
    };
    const maker = new ChangeMaker(b, bUsers, groupB.groupId, logged);
    // Warm-up (JIT, connections, caches), not counted: with 3 changes the first idle p95 was about
    // twice the "idle again" one on a quiet machine, which flattered the ratios.
    await maker.run(() => false, 20);

    progress(`idle: B makes ${idleChanges} changes, one a second`);
    const idle = await maker.run(() => false, idleChanges);
    progress(`idle: ${JSON.stringify(idle)}`);

    progress(`loaded: ${importers.map((t) => t.label).join(' and ')} import ${users} users each (${concurrency} in flight each) while B goes on`);
    // Each importer is its own IdP: a thread with its own event loop (bench/fairness-import.ts says why).
    const imports = importers.map((t) =>
      startImport(t.label, { port: api.port!, scimToken: t.tenant.scimToken, adminToken: adminToken(t.tenant.tenantId), users, concurrency, namePrefix: t.label.toLowerCase() }),
    );
    let importing = true;
    const allImported = Promise.all(imports.map((i) => i.done)).finally(() => {
      importing = false;
    });
    allImported.catch(() => undefined); // handled where it is awaited; B's loop ends on it either way
    // B starts once A's import is under way (its backlog building).
    await sleep(3000);
    const loaded = await maker.run(() => !importing, Number.MAX_SAFE_INTEGER);
    const importResults = await allImported;
    await Promise.all(imports.map((i) => i.thread.terminate()));
    progress(`loaded: ${JSON.stringify(loaded)}; ${importers.map((t, k) => `${t.label}'s import done in ${importResults[k]!.importSeconds.toFixed(1)} s`).join(', ')}`);

    const importFigures: Record<string, unknown> = {};
    for (const [k, t] of importers.entries()) {
      const done = importResults[k]!;
      progress(`waiting for ${t.label} to converge (nothing starved)`);
      const pending = { tenantId: t.tenant.tenantId, 'sync.pendingSince': { $exists: true } } as never;
      let lastReport = performance.now();
      for (;;) {
        const n = await db.models.User.collection.countDocuments(pending);
        if (n === 0) break;
        if (performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          progress(`${t.label}: ${n} changes still pending`);
        }
        await sleep(500);
      }
      const convergedAfterImportSeconds = (performance.now() - imports[k]!.endedAt()) / 1000;
      const holders = await db.models.Membership.collection.countDocuments({ tenantId: t.tenant.tenantId, groupId: t.group.groupId, sources: `rule:${t.group.ruleId}` });
      if (holders !== done.salesIds.length) throw new Error(`${t.label}'s rule group holds ${holders}, expected ${done.salesIds.length}`);
      progress(`${t.label} converged ${convergedAfterImportSeconds.toFixed(1)} s after its import; its rule group exact (${holders})`);
      importFigures[t.label.toLowerCase()] = {
        users,
        importSeconds: Math.round(done.importSeconds * 10) / 10,
        createsPerSecond: Math.round(users / done.importSeconds),
        createP95Ms: Math.round(done.createP95Ms),
        answered429: done.throttled,
        convergedAfterImportSeconds: Math.round(convergedAfterImportSeconds * 10) / 10,
        ruleGroupExact: true,
      };
    }
    progress(`idle again: B makes ${idleChanges} changes, the imports done`);
    const idleAfter = await maker.run(() => false, idleChanges);
    progress(`idle again: ${JSON.stringify(idleAfter)}`);
    const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;
    const result = {
      date: new Date().toISOString(),
      cores: cpus().length,
      layout: '1 API process + 1 worker process, embedded MongoDB (memory), Redis',
      options: { users, concurrency, idleChanges, importers: importers.length },
      b: { idle, loaded, idleAfter },
      ratios: { scimP95: ratio(loaded.scimP95Ms, idle.scimP95Ms), appliedP95: ratio(loaded.appliedP95Ms, idle.appliedP95Ms) },
      ratiosAgainstIdleAgain: { scimP95: ratio(loaded.scimP95Ms, idleAfter.scimP95Ms), appliedP95: ratio(loaded.appliedP95Ms, idleAfter.appliedP95Ms) },
      targetsMet: { scimP95Within2x: loaded.scimP95Ms <= 2 * idle.scimP95Ms, appliedP95Within2x: loaded.appliedP95Ms <= 2 * idle.appliedP95Ms },
      ...importFigures,
    };
    process.stderr.write(
      `B SCIM p95: idle ${idle.scimP95Ms} ms, during A's import ${loaded.scimP95Ms} ms (×${result.ratios.scimP95})\n` +
        `B change-applied p95: idle ${idle.appliedP95Ms} ms, during A's import ${loaded.appliedP95Ms} ms (×${result.ratios.appliedP95})\n` +
        `B idle again after A's import: SCIM p95 ${idleAfter.scimP95Ms} ms, change-applied p95 ${idleAfter.appliedP95Ms} ms (loaded ÷ idle again: ×${result.ratiosAgainstIdleAgain.scimP95}, ×${result.ratiosAgainstIdleAgain.appliedP95})\n`,
    );
    const json = JSON.stringify(result, null, 2);
    process.stdout.write(`${json}\n`);
    const file = option('json', '');
    if (file) writeFileSync(file, `${json}\n`);
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await db.connection.dropDatabase().catch(() => undefined);
    await db.close();
    execFileSync('bash', [script, 'stop'], { env: svcEnv, stdio: ['ignore', 'ignore', 'inherit'] });
  }
}

main().catch((err) => {
  process.stderr.write(`bench:fairness failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
