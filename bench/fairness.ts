/**
 * `npm run bench:fairness [-- --users N --concurrency C --idle-changes M --json FILE]`: fairness between
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
 *     on making one change a second until the import ends. The same figures for B.
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
import http from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { signAdminToken } from '../src/auth/admin-jwt';
import { loadConfig } from '../src/config/config';
import { createTenant } from '../src/domain/tenants';
import { projectRoot } from '../src/local-env';
import { connectDatabase } from '../src/persistence/mongo';
import { percentile, send, type RequestSpec } from './load';

const started = Date.now();
const progress = (m: string) => process.stderr.write(`[fairness +${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

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

/** One tenant's HTTP client: SCIM as its IdP, the admin API as its operator. */
class TenantClient {
  readonly agent: http.Agent;
  constructor(
    readonly port: number,
    private readonly scimToken: string,
    private readonly adminToken: string,
    maxSockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }
  private spec(kind: 'scim' | 'admin', method: RequestSpec['method'], path: string, body?: unknown): RequestSpec {
    const scim = kind === 'scim';
    return {
      method,
      path: `${scim ? '/scim/v2' : '/admin/v1'}${path}`,
      headers: { authorization: `Bearer ${scim ? this.scimToken : this.adminToken}`, 'content-type': scim ? 'application/scim+json' : 'application/json' },
      expectStatus: 0,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    };
  }
  /**
   * A SCIM request as an IdP sends it: a 429 is waited out for its Retry-After and sent again (the
   * time waited is the client's, reported apart). Returns the body and the server's latency.
   */
  async scim(method: RequestSpec['method'], path: string, expect: number, body?: unknown): Promise<{ body: unknown; ms: number; throttled: number }> {
    let throttled = 0;
    for (;;) {
      const t = performance.now();
      const res = await send(this.agent, this.port, this.spec('scim', method, path, body));
      const ms = performance.now() - t;
      if (res.status === 429) {
        throttled++;
        await sleep(Number(res.headers['retry-after'] ?? 1) * 1000);
        continue;
      }
      if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
      return { body: res.body.length ? JSON.parse(res.body.toString('utf8')) : undefined, ms, throttled };
    }
  }
  async admin<T>(method: RequestSpec['method'], path: string, expect: number, body?: unknown): Promise<T> {
    const res = await send(this.agent, this.port, this.spec('admin', method, path, body));
    if (res.status !== expect) throw new Error(`${method} /admin/v1${path}: expected ${expect}, got ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    return JSON.parse(res.body.toString('utf8')) as T;
  }
}

interface Figures {
  changes: number;
  scimRequests: number;
  scimP50Ms: number;
  scimP95Ms: number;
  appliedP50Ms: number;
  appliedP95Ms: number;
  appliedMaxMs: number;
}

function figures(scim: number[], applied: number[]): Figures {
  const s = [...scim].sort((a, b) => a - b);
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
  };
}

/** Tenant B: one change a second (lookup, then PATCH into or out of Sales), each timed until the admin API shows it. */
class ChangeMaker {
  private flips = new Map<string, boolean>();
  constructor(
    private readonly c: TenantClient,
    private readonly users: { id: string; userName: string }[],
    private readonly groupId: string,
  ) {
    for (const u of users) this.flips.set(u.id, false);
  }

  async run(until: () => boolean, maxChanges: number): Promise<Figures> {
    const scim: number[] = [];
    const applied: number[] = [];
    let i = 0;
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
    return figures(scim, applied);
  }
}

async function main() {
  const users = Number(option('users', '50000'));
  const concurrency = Number(option('concurrency', '16'));
  const idleChanges = Number(option('idle-changes', '30'));
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
    const a = new TenantClient(api.port!, tenantA.scimToken, adminToken(tenantA.tenantId), concurrency);
    const b = new TenantClient(api.port!, tenantB.scimToken, adminToken(tenantB.tenantId), 2);
    const ruleGroup = async (c: TenantClient) => {
      const group = await c.admin<{ id: string }>('POST', '/groups', 201, { name: 'Sales team' });
      const rule = await c.admin<{ id: string }>('POST', '/rules', 201, { name: 'Sales', expression: 'department eq "Sales"', targetGroupId: group.id });
      return { groupId: group.id, ruleId: rule.id };
    };
    const groupA = await ruleGroup(a);
    const groupB = await ruleGroup(b);
    const bUsers: { id: string; userName: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const userName = `b${i}@b.example.com`;
      const created = await b.scim('POST', '/Users', 201, { schemas: [CORE_USER, ENTERPRISE], userName, active: true, [ENTERPRISE]: { department: 'Legal' } });
      bUsers.push({ id: (created.body as { id: string }).id, userName });
    }
    await sleep(2000);
    const maker = new ChangeMaker(b, bUsers, groupB.groupId);
    // Warm-up (JIT, connections, caches), not counted: with 3 changes the first idle p95 was about
    // twice the "idle again" one on a quiet machine, which flattered the ratios.
    await maker.run(() => false, 20);

    progress(`idle: B makes ${idleChanges} changes, one a second`);
    const idle = await maker.run(() => false, idleChanges);
    progress(`idle: ${JSON.stringify(idle)}`);

    progress(`loaded: A imports ${users} users (${concurrency} in flight) while B goes on`);
    let next = 0;
    let done = 0;
    let importing = true;
    let throttled = 0;
    const aCreates: number[] = [];
    const sales = new Set<string>();
    const t0 = performance.now();
    let lastReport = t0;
    const importLoop = async () => {
      for (let i = next++; i < users; i = next++) {
        const userName = `a${i}@a.example.com`;
        const department = i % 4 === 0 ? 'Sales' : 'Support';
        const lookup = await a.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, 200);
        const created = await a.scim('POST', '/Users', 201, { schemas: [CORE_USER, ENTERPRISE], userName, active: true, [ENTERPRISE]: { department } });
        throttled += lookup.throttled + created.throttled;
        aCreates.push(created.ms);
        if (department === 'Sales') sales.add((created.body as { id: string }).id);
        done++;
        if (performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          const rate = done / ((performance.now() - t0) / 1000);
          progress(`import: ${done}/${users} users (${rate.toFixed(0)}/s, ~${Math.ceil((users - done) / rate)} s left, ${throttled} answered 429)`);
        }
      }
    };
    const importing$ = Promise.all(Array.from({ length: concurrency }, importLoop)).finally(() => {
      importing = false;
    });
    // B starts once A's import is under way (its backlog building).
    await sleep(3000);
    const loaded = await maker.run(() => !importing, Number.MAX_SAFE_INTEGER);
    await importing$;
    const importSeconds = (performance.now() - t0) / 1000;
    progress(`loaded: ${JSON.stringify(loaded)}; import done in ${importSeconds.toFixed(1)} s`);

    progress('waiting for A to converge (nothing starved)');
    const pending = { tenantId: tenantA.tenantId, 'sync.pendingSince': { $exists: true } } as never;
    let lastPending = -1;
    for (;;) {
      const n = await db.models.User.collection.countDocuments(pending);
      if (n === 0) break;
      if (n !== lastPending && performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        progress(`A: ${n} changes still pending`);
      }
      lastPending = n;
      await sleep(500);
    }
    const convergedAfterImportSeconds = (performance.now() - t0) / 1000 - importSeconds;
    const holders = await db.models.Membership.collection.countDocuments({ tenantId: tenantA.tenantId, groupId: groupA.groupId, sources: `rule:${groupA.ruleId}` });
    if (holders !== sales.size) throw new Error(`A's rule group holds ${holders}, expected ${sales.size}`);
    progress(`A converged ${convergedAfterImportSeconds.toFixed(1)} s after its import; its rule group exact (${holders})`);
    progress(`idle again: B makes ${idleChanges} changes, A done`);
    const idleAfter = await maker.run(() => false, idleChanges);
    progress(`idle again: ${JSON.stringify(idleAfter)}`);
    aCreates.sort((x, y) => x - y);
    const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;
    const result = {
      date: new Date().toISOString(),
      cores: cpus().length,
      layout: '1 API process + 1 worker process, embedded MongoDB (memory), Redis',
      options: { users, concurrency, idleChanges },
      b: { idle, loaded, idleAfter },
      ratios: { scimP95: ratio(loaded.scimP95Ms, idle.scimP95Ms), appliedP95: ratio(loaded.appliedP95Ms, idle.appliedP95Ms) },
      ratiosAgainstIdleAgain: { scimP95: ratio(loaded.scimP95Ms, idleAfter.scimP95Ms), appliedP95: ratio(loaded.appliedP95Ms, idleAfter.appliedP95Ms) },
      targetsMet: { scimP95Within2x: loaded.scimP95Ms <= 2 * idle.scimP95Ms, appliedP95Within2x: loaded.appliedP95Ms <= 2 * idle.appliedP95Ms },
      a: {
        users,
        importSeconds: Math.round(importSeconds * 10) / 10,
        createsPerSecond: Math.round(users / importSeconds),
        createP95Ms: Math.round(percentile(aCreates, 95)),
        answered429: throttled,
        convergedAfterImportSeconds: Math.round(convergedAfterImportSeconds * 10) / 10,
        ruleGroupExact: true,
      },
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
