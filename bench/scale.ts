/**
 * `npm run bench:scale [-- options]`: the default install at a real customer's size (issue 23).
 *
 * What runs: the embedded MongoDB with its H2 file (the `npm start` default, in a data folder of its
 * own: .data/bench-scale, emptied first) and Redis, and ONE app process as `npm start` runs it (API
 * and worker together, `node dist/src/main.js`). Nothing is measured in-process: the benchmark talks
 * HTTP to the app like an IdP and the vendor's application would.
 *
 *  1. Okta's first import of --users users (default 100,000): for each, `GET /Users?filter=userName
 *     eq …` then `POST /Users` (16 in flight), with an enterprise `department` among five, into a
 *     tenant with 5 rules `department eq "<D>"` → 5 internal groups and 1 SSO mapping.
 *  2. Convergence: until sync status has nothing pending and no job waiting or active, then every
 *     rule group is checked member by member against the departments the users were created with.
 *  3. Okta's group push of every user into the mapped IdP group, 100 members per PATCH, one PATCH at
 *     a time; last ÷ first PATCH (p50 of five); then convergence again (the mapping's group holds
 *     every user, checked).
 * The app runs with SCIM_RATE_LIMIT_PER_MINUTE=600000 (unless set): the default per-token limit
 * (12,000 requests a minute) caps Okta's lookup + create at 100 users/s, which is not what is measured.
 *  4. A rule change over --rule-change-users users (default 1,000,000, written straight into the
 *     database of a second tenant): from `POST /rules` to converged (the group checked).
 *
 * Peak RSS (VmHWM) of the app, the embedded MongoDB and Redis is read from /proc at the end.
 * Progress goes to stderr, the result as JSON to stdout (and --json FILE).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config';
import { signAdminToken } from '../src/auth/admin-jwt';
import { loadSchemaRegistry, type SchemaRegistry } from '../src/attributes/registry';
import { createTenant } from '../src/domain/tenants';
import { projectRoot } from '../src/local-env';
import { connectDatabase, type Database } from '../src/persistence/mongo';
import type { UserDoc } from '../src/persistence/models';
import { newId } from '../src/persistence/ids';
import { percentile, probe, send, type RequestSpec } from './load';
import { describeWindow, WorkerProfiler } from './worker-profile';

const started = Date.now();
const progress = (message: string) => process.stderr.write(`[scale +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const DEPARTMENTS = ['Engineering', 'Sales', 'Support', 'Finance', 'Marketing'] as const;
const MAPPED_IDP_GROUP = 'All Staff';
const RULE_CHANGE_EXPRESSION = 'department in "Sales","Support","Engineering"';

interface ScaleOptions {
  users: number;
  ruleChangeUsers: number;
  concurrency: number;
  membersPerPatch: number;
  /** Longest wait for one convergence, seconds. */
  convergeTimeoutSeconds: number;
  /** The import tenant's users written straight into the database before its rules (no import measured): the group push at size in minutes. */
  seedImport: boolean;
  jsonFile?: string;
}

const USAGE = `usage: npm run bench:scale -- [options]
  --users N               users of the Okta first import             (default 100000)
  --rule-change-users N   users seeded for the rule change, 0 skips  (default 1000000)
  --concurrency N         requests in flight during the import        (default 16)
  --members-per-patch N   members per group-push PATCH                (default 100)
  --timeout S             longest wait for one convergence, seconds   (default 3600)
  --seed-import           write the import's users straight into the database before the
                          rules are created (their first runs fill the rule groups) instead of
                          the Okta import: no import figures, the group push at size in minutes
  --json FILE             also write the result to FILE
Runs on its own embedded MongoDB (H2 file) and Redis under .data/bench-scale; MONGODB_URI /
REDIS_URL, when set, are used instead (a database scale_<random> is created and dropped).`;

function parseOptions(argv: string[]): ScaleOptions {
  const o: ScaleOptions = { users: 100_000, ruleChangeUsers: 1_000_000, concurrency: 16, membersPerPatch: 100, convergeTimeoutSeconds: 3600, seedImport: false };
  const numeric: Record<string, keyof ScaleOptions> = {
    '--users': 'users',
    '--rule-change-users': 'ruleChangeUsers',
    '--concurrency': 'concurrency',
    '--members-per-patch': 'membersPerPatch',
    '--timeout': 'convergeTimeoutSeconds',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (arg === '--json') {
      o.jsonFile = argv[++i];
      continue;
    }
    if (arg === '--seed-import') {
      o.seedImport = true;
      continue;
    }
    const key = numeric[arg];
    const value = Number(argv[++i]);
    if (!key || !Number.isInteger(value) || value < 0) {
      process.stderr.write(`${USAGE}\n\nnot understood: ${arg} ${argv[i] ?? ''}\n`);
      process.exit(2);
    }
    (o as unknown as Record<string, number>)[key] = value;
  }
  if (o.users < 1 || o.concurrency < 1 || o.membersPerPatch < 1) throw new Error('--users, --concurrency and --members-per-patch must be at least 1');
  return o;
}

// ---- services and the app process ------------------------------------------------------------

interface Services {
  mongoUri: string;
  redisUrl: string;
  /** PIDs of what this run started (for peak RSS), undefined when MONGODB_URI / REDIS_URL were given. */
  pids?: { mongo: number; redis: number };
  stop(): void;
}

function startServices(): Services {
  if (process.env.MONGODB_URI && process.env.REDIS_URL) {
    const uri = new URL(process.env.MONGODB_URI);
    uri.pathname = `/scale_${randomBytes(4).toString('hex')}`;
    return { mongoUri: uri.toString(), redisUrl: process.env.REDIS_URL, stop: () => undefined };
  }
  const dataDir = join(projectRoot, '.data', 'bench-scale');
  const env = { ...process.env, SCIM_DATA_DIR: dataDir, SCIM_EMBEDDED_MONGO_BACKEND: 'h2' };
  const script = join(projectRoot, 'scripts', 'services.sh');
  execFileSync('bash', [script, 'stop'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(dataDir, { recursive: true, force: true });
  progress(`starting the embedded MongoDB (H2 file) and Redis in ${dataDir}`);
  const out = execFileSync('bash', [script, 'start'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const value = (name: string) => {
    const m = new RegExp(`^${name}=(.+)$`, 'm').exec(out);
    if (!m?.[1]) throw new Error(`services.sh start printed no ${name}`);
    return m[1].trim();
  };
  const pid = (name: string) => Number(readFileSync(join(dataDir, 'run', `${name}.pid`), 'utf8').trim());
  return {
    mongoUri: value('MONGODB_URI'),
    redisUrl: value('REDIS_URL'),
    pids: { mongo: pid('mongo'), redis: pid('redis') },
    stop: () => execFileSync('bash', [script, 'stop'], { env, stdio: ['ignore', 'ignore', 'inherit'] }),
  };
}

interface App {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The app as `npm start` runs it: API and worker in one process, on the given services. */
async function startApp(env: NodeJS.ProcessEnv): Promise<App> {
  const main = join(projectRoot, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error('dist/src/main.js is missing: run `npm run build` (npm run bench:scale does)');
  const port = await freePort();
  const appLog = process.env.BENCH_APP_LOG;
  // BENCH_APP_NODE_ARGS: the app's node flags, e.g. `--cpu-prof --cpu-prof-dir=DIR` (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = (process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, main], {
    // The per-token rate limit (12,000/min by default) would cap Okta's lookup + create at 100 users/s:
    // this measures the server, so it is raised (a vendor raises it for a large first import too).
    // BENCH_APP_LOG=FILE keeps the app's log (JSON lines, BENCH_APP_LOG_LEVEL, default info) there:
    // the worker's and the sweeper's lines say what the worker did.
    env: { SCIM_RATE_LIMIT_PER_MINUTE: '600000', ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: appLog ? (process.env.BENCH_APP_LOG_LEVEL ?? 'info') : 'warn' },
    stdio: ['ignore', appLog ? openSync(appLog, 'a') : 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the app exited during start-up (code ${child.exitCode})`);
    const res = await new Promise<number>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/readyz' }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
    });
    if (res === 200) break;
    await sleep(100);
  }
  return {
    port,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Peak resident set (VmHWM) of a process, in MiB; undefined when it cannot be read. */
function peakRssMiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

// ---- HTTP helpers ----------------------------------------------------------------------------

class Client {
  readonly agent: http.Agent;
  constructor(
    readonly port: number,
    private readonly scimToken: string,
    private readonly adminToken: string,
    maxSockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }
  scim(method: RequestSpec['method'], path: string, expectStatus: number, body?: unknown): RequestSpec {
    return {
      method,
      path: `/scim/v2${path}`,
      headers: { authorization: `Bearer ${this.scimToken}`, 'content-type': 'application/scim+json', accept: 'application/scim+json' },
      expectStatus,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    };
  }
  admin<T>(method: RequestSpec['method'], path: string, expectStatus: number, body?: unknown): Promise<T> {
    const spec: RequestSpec = {
      method,
      path: `/admin/v1${path}`,
      headers: { authorization: `Bearer ${this.adminToken}`, 'content-type': 'application/json' },
      expectStatus,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    };
    return probe(this.agent, this.port, spec) as Promise<T>;
  }
}

interface SyncStatusView {
  pending: { total: number };
  /** Counted among the first 5,000 jobs of each list: lower bounds when `exact` is false. */
  jobs: { waiting?: number; active?: number; delayed?: number; failed?: number; exact?: boolean; error?: string };
  rules: { id: string; pending: boolean }[];
}

/**
 * Waits until the tenant's sync status shows nothing pending and no job waiting, active or delayed,
 * twice in a row (a job may enqueue another), then runs `check`. Returns the seconds it took.
 */
/** The worker's jobs and the server's reads while a convergence is awaited (set by main). */
let profiler: WorkerProfiler | undefined;

async function converge(c: Client, label: string, timeoutSeconds: number, since = performance.now()): Promise<number> {
  let quietPolls = 0;
  let lastReport = 0;
  for (;;) {
    const s = await c.admin<SyncStatusView>('GET', '/sync/status', 200);
    const jobs = s.jobs.error ? Number.NaN : (s.jobs.waiting ?? 0) + (s.jobs.active ?? 0) + (s.jobs.delayed ?? 0);
    const rulesPending = s.rules.filter((r) => r.pending).length;
    const quiet = s.pending.total === 0 && jobs === 0 && rulesPending === 0;
    quietPolls = quiet ? quietPolls + 1 : 0;
    const elapsed = (performance.now() - since) / 1000;
    if (quietPolls >= 2) return elapsed;
    if (elapsed > timeoutSeconds) throw new Error(`${label}: not converged after ${timeoutSeconds} s (pending ${s.pending.total}, jobs ${jobs}, rules pending ${rulesPending})`);
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      progress(
        `${label}: pending ${s.pending.total}, jobs ${s.jobs.exact === false ? '≥' : ''}${jobs}${s.jobs.failed ? ` (failed ${s.jobs.failed})` : ''}, rules pending ${rulesPending} (${elapsed.toFixed(0)} s)`,
      );
      const window = await profiler?.sample(label);
      if (window) progress(`${label}: ${describeWindow(window)}`);
    }
    await sleep(500);
  }
}

// ---- checks against the database (what the answer should be, computed independently) ---------

/** The users of `groupId` that hold the membership through `source` (e.g. `rule:<id>`). */
async function membersBySource(db: Database, tenantId: string, groupId: string, source: string): Promise<Set<string>> {
  const docs = await db.models.Membership.collection.find({ tenantId, groupId, sources: source } as never, { projection: { userId: 1 } }).toArray();
  return new Set(docs.map((d) => String((d as unknown as { userId: string }).userId)));
}

function assertSameSet(label: string, actual: Set<string>, expected: Set<string>): void {
  const missing = [...expected].filter((id) => !actual.has(id));
  const extra = [...actual].filter((id) => !expected.has(id));
  if (missing.length || extra.length) {
    throw new Error(`${label}: ${missing.length} members missing (e.g. ${missing.slice(0, 3).join(', ')}), ${extra.length} extra (e.g. ${extra.slice(0, 3).join(', ')})`);
  }
}

// ---- the scenarios ---------------------------------------------------------------------------

interface Tenant {
  tenantId: string;
  scimToken: string;
  adminToken: string;
}

async function newTenant(db: Database, env: NodeJS.ProcessEnv, name: string): Promise<Tenant> {
  const t = await createTenant(db.models, name);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const config = loadConfig();
  process.env = saved;
  const adminToken = signAdminToken(config.adminJwt, { sub: 'bench-operator', tenant: t.tenantId, role: 'admin', kind: 'operator' }, 86_400);
  return { tenantId: t.tenantId, scimToken: t.scimToken, adminToken };
}

function importBody(i: number, runId: string): Record<string, unknown> {
  const userName = `scale.${runId}.${i}@okta.example.com`;
  return {
    schemas: [CORE_USER, ENTERPRISE],
    userName,
    active: true,
    displayName: `Scale User ${i}`,
    name: { givenName: 'Scale', familyName: `User ${i}` },
    emails: [{ primary: true, type: 'work', value: userName }],
    [ENTERPRISE]: { department: DEPARTMENTS[i % DEPARTMENTS.length], employeeNumber: String(i) },
  };
}

interface ImportFigures {
  users: number;
  importSeconds: number;
  usersPerSec: number;
  lookupP50Ms: number;
  createP50Ms: number;
  convergedAfterLastCreateSeconds: number;
  endToEndSeconds: number;
  push: { patches: number; firstFiveP50Ms: number; lastFiveP50Ms: number; lastOverFirst: number; seconds: number; convergedAfterLastPatchSeconds: number };
}

async function importScenario(db: Database, c: Client, t: Tenant, o: ScaleOptions, runId: string, registry: SchemaRegistry): Promise<ImportFigures> {
  // --seed-import: the users first (the i-th user's department is DEPARTMENTS[i % 5], as the import's).
  const seeded = o.seedImport ? [...(await seedUsersDirectly(db, registry, t.tenantId, o.users, runId)).keys()] : undefined;
  // Five rule groups and the mapping's group, set up as the vendor's admin would.
  const ruleGroups: { department: string; groupId: string; ruleId: string }[] = [];
  for (const department of DEPARTMENTS) {
    const group = await c.admin<{ id: string }>('POST', '/groups', 201, { name: `${department} (rule)` });
    const rule = await c.admin<{ id: string }>('POST', '/rules', 201, { name: `${department} by department`, expression: `department eq "${department}"`, targetGroupId: group.id });
    ruleGroups.push({ department, groupId: group.id, ruleId: rule.id });
  }
  const mappedGroup = await c.admin<{ id: string }>('POST', '/groups', 201, { name: 'All staff (mapping)' });
  const mapping = await c.admin<{ id: string }>('POST', '/mappings', 201, { idpGroup: MAPPED_IDP_GROUP, targetGroupId: mappedGroup.id });
  await converge(c, 'rules on an empty tenant', o.convergeTimeoutSeconds);

  // 1. The import.
  const ids = seeded ?? new Array<string>(o.users);
  const lookups: number[] = [];
  const creates: number[] = [];
  let next = seeded ? o.users : 0;
  const t0 = performance.now();
  let lastReport = t0;
  const loop = async () => {
    while (next < o.users) {
      const i = next++;
      const body = importBody(i, runId);
      let s = performance.now();
      const found = (await probe(c.agent, c.port, c.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${String(body.userName)}"`)}`, 200))) as { totalResults: number };
      lookups.push(performance.now() - s);
      if (found.totalResults !== 0) throw new Error(`import: ${String(body.userName)} exists before its create`);
      s = performance.now();
      ids[i] = ((await probe(c.agent, c.port, c.scim('POST', '/Users', 201, body))) as { id: string }).id;
      creates.push(performance.now() - s);
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        const done = creates.length;
        const rate = done / ((performance.now() - t0) / 1000);
        progress(`import: ${done}/${o.users} users (${rate.toFixed(0)}/s, ~${Math.ceil((o.users - done) / rate)} s left)`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, loop));
  const importSeconds = (performance.now() - t0) / 1000;
  if (!seeded) progress(`import: ${o.users} users in ${importSeconds.toFixed(1)} s; waiting for the worker`);

  // 2. Convergence, then each rule group checked member by member.
  const lastCreate = performance.now();
  const convergedAfterLastCreateSeconds = await converge(c, 'import convergence', o.convergeTimeoutSeconds, lastCreate);
  const endToEndSeconds = (performance.now() - t0) / 1000;
  for (const g of ruleGroups) {
    const expected = new Set(ids.filter((_, i) => DEPARTMENTS[i % DEPARTMENTS.length] === g.department));
    assertSameSet(`rule group ${g.department}`, await membersBySource(db, t.tenantId, g.groupId, `rule:${g.ruleId}`), expected);
  }
  progress(`import converged ${convergedAfterLastCreateSeconds.toFixed(1)} s after the last create (${endToEndSeconds.toFixed(1)} s end to end); 5 rule groups exact`);

  // 3. The group push, 100 members per PATCH, one at a time.
  const group = (await probe(c.agent, c.port, c.scim('POST', '/Groups', 201, { schemas: [CORE_GROUP], displayName: MAPPED_IDP_GROUP }))) as { id: string };
  const patchMs: number[] = [];
  const pushStart = performance.now();
  lastReport = pushStart;
  for (let start = 0; start < ids.length; start += o.membersPerPatch) {
    const value = ids.slice(start, start + o.membersPerPatch).map((id) => ({ value: id }));
    const spec = c.scim('PATCH', `/Groups/${group.id}`, 204, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value }] });
    const s = performance.now();
    const res = await send(c.agent, c.port, spec);
    patchMs.push(performance.now() - s);
    if (res.status !== 204) throw new Error(`group push: expected 204, got ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      progress(
        `group push: ${start + value.length}/${ids.length} members (PATCH p50 so far ${percentile(
          [...patchMs].sort((a, b) => a - b),
          50,
        ).toFixed(1)} ms)`,
      );
    }
  }
  const pushSeconds = (performance.now() - pushStart) / 1000;
  const lastPatch = performance.now();
  const convergedAfterLastPatchSeconds = await converge(c, 'group push convergence', o.convergeTimeoutSeconds, lastPatch);
  assertSameSet('mapping group', await membersBySource(db, t.tenantId, mappedGroup.id, `rule:${mapping.id}`), new Set(ids));
  progress(`group push: ${patchMs.length} PATCHes in ${pushSeconds.toFixed(1)} s, converged ${convergedAfterLastPatchSeconds.toFixed(1)} s after the last; mapping group exact`);
  const p50 = (xs: number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    );
  const firstFiveP50Ms = p50(patchMs.slice(0, 5));
  const lastFiveP50Ms = p50(patchMs.slice(-5));
  lookups.sort((a, b) => a - b);
  creates.sort((a, b) => a - b);
  return {
    users: o.users,
    importSeconds,
    usersPerSec: o.users / importSeconds,
    lookupP50Ms: percentile(lookups, 50),
    createP50Ms: percentile(creates, 50),
    convergedAfterLastCreateSeconds,
    endToEndSeconds,
    push: { patches: patchMs.length, firstFiveP50Ms, lastFiveP50Ms, lastOverFirst: lastFiveP50Ms / firstFiveP50Ms, seconds: pushSeconds, convergedAfterLastPatchSeconds },
  };
}

/** Users written straight into the collection, in the shape the SCIM create stores (validated once, then copied). */
async function seedUsersDirectly(db: Database, registry: SchemaRegistry, tenantId: string, count: number, runId: string): Promise<Map<string, string>> {
  const template = registry.validateResource('User', importBody(0, runId), { mode: 'create' });
  const departmentOf = new Map<string, string>();
  const chunk = 5000;
  const now = new Date();
  const t0 = performance.now();
  for (let start = 0; start < count; start += chunk) {
    const docs: UserDoc[] = [];
    for (let i = start; i < Math.min(count, start + chunk); i++) {
      const userName = `seed.${runId}.${i}@okta.example.com`;
      const department = DEPARTMENTS[i % DEPARTMENTS.length]!;
      const attrs = structuredClone(template.attrs) as Record<string, unknown> & { enterprise: Record<string, unknown>; emails: { value: string }[] };
      attrs.userName = userName;
      attrs.displayName = `Seed User ${i}`;
      attrs.emails[0]!.value = userName;
      attrs.enterprise.department = department;
      attrs.enterprise.employeeNumber = String(i);
      const id = newId('usr');
      departmentOf.set(id, department);
      docs.push({ _id: id, tenantId, attrs, lc: registry.shadows('User', attrs) as UserDoc['lc'], version: 1, sync: { version: 1 }, createdAt: now, updatedAt: now });
    }
    await db.models.User.collection.insertMany(docs as never[], { ordered: false });
    const done = Math.min(count, start + chunk);
    if (done % 50_000 === 0 || done === count) {
      const rate = done / ((performance.now() - t0) / 1000);
      progress(`rule change: seeded ${done}/${count} users (${rate.toFixed(0)}/s)`);
    }
  }
  return departmentOf;
}

interface RuleChangeFigures {
  users: number;
  matched: number;
  seedSeconds: number;
  convergedSeconds: number;
  usersPerSec: number;
}

async function ruleChangeScenario(db: Database, c: Client, t: Tenant, registry: SchemaRegistry, users: number, runId: string, timeoutSeconds: number): Promise<RuleChangeFigures> {
  const s0 = performance.now();
  const departmentOf = await seedUsersDirectly(db, registry, t.tenantId, users, runId);
  const seedSeconds = (performance.now() - s0) / 1000;
  const group = await c.admin<{ id: string }>('POST', '/groups', 201, { name: 'Rule change target' });
  await converge(c, 'rule change set-up', timeoutSeconds);
  const t0 = performance.now();
  const rule = await c.admin<{ id: string }>('POST', '/rules', 201, { name: 'Sales, Support and Engineering', expression: RULE_CHANGE_EXPRESSION, targetGroupId: group.id });
  const convergedSeconds = await converge(c, 'rule change', timeoutSeconds, t0);
  const wanted = new Set(['Sales', 'Support', 'Engineering']);
  const expected = new Set([...departmentOf].filter(([, d]) => wanted.has(d)).map(([id]) => id));
  assertSameSet('rule change group', await membersBySource(db, t.tenantId, group.id, `rule:${rule.id}`), expected);
  progress(`rule change over ${users} users converged in ${convergedSeconds.toFixed(1)} s (${expected.size} members, exact)`);
  return { users, matched: expected.size, seedSeconds, convergedSeconds, usersPerSec: users / convergedSeconds };
}

// ---- main ------------------------------------------------------------------------------------

/** Stopped by a signal (Ctrl-C): the app and the services this run started are stopped too. */
let stopOnSignal: (() => Promise<void>) | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping the app and the services this run started`);
    void (stopOnSignal?.() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const services = startServices();
  let app: App | undefined;
  let db: Database | undefined;
  stopOnSignal = async () => {
    await app?.stop().catch(() => undefined);
    services.stop();
  };
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MONGODB_URI: services.mongoUri,
      REDIS_URL: services.redisUrl,
      ADMIN_JWT_SECRET: randomBytes(48).toString('base64url'),
      QUEUE_PREFIX: `scale${randomBytes(3).toString('hex')}`,
    };
    db = await connectDatabase(services.mongoUri);
    const registry = loadSchemaRegistry();
    const runId = randomBytes(3).toString('hex');
    const importTenant = await newTenant(db, env, `scale-import-${runId}`);
    app = await startApp(env);
    progress(`app (API + worker, as npm start runs them) on 127.0.0.1:${app.port}, pid ${app.pid}`);
    profiler = new WorkerProfiler(app.port, db);
    const importFigures = await importScenario(db, new Client(app.port, importTenant.scimToken, importTenant.adminToken, o.concurrency), importTenant, o, runId, registry);
    let ruleChange: RuleChangeFigures | undefined;
    if (o.ruleChangeUsers > 0) {
      const t = await newTenant(db, env, `scale-rule-${runId}`);
      ruleChange = await ruleChangeScenario(db, new Client(app.port, t.scimToken, t.adminToken, 4), t, registry, o.ruleChangeUsers, runId, o.convergeTimeoutSeconds);
    }
    const peakRss = { app: peakRssMiB(app.pid), mongo: peakRssMiB(services.pids?.mongo), redis: peakRssMiB(services.pids?.redis) };
    const result = {
      scenario: 'scale',
      backend: services.pids ? 'embedded (H2 file)' : 'MONGODB_URI',
      options: { users: o.users, seedImport: o.seedImport, ruleChangeUsers: o.ruleChangeUsers, concurrency: o.concurrency, membersPerPatch: o.membersPerPatch },
      import: importFigures,
      ruleChange,
      peakRssMiB: peakRss,
      workerProfile: profiler?.windows,
      targets: {
        importAndConvergeUnder10Minutes: importFigures.endToEndSeconds < 600,
        lastOverFirstPatchAtMost1_5: importFigures.push.lastOverFirst <= 1.5,
        ruleChangeUnder120Seconds: ruleChange ? ruleChange.convergedSeconds < 120 : undefined,
      },
    };
    const json = JSON.stringify(result, null, 2);
    process.stdout.write(`${json}\n`);
    if (o.jsonFile) writeFileSync(o.jsonFile, `${json}\n`);
  } finally {
    await app?.stop();
    if (db && !services.pids) await db.connection.dropDatabase().catch(() => undefined);
    await db?.close();
    services.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:scale failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
