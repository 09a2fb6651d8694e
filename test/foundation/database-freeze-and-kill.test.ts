import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connectDatabase, type ConnectOptions, type Database } from '../../src/persistence/mongo';
import { closeServer, createApiRuntime, createHttpServer } from '../../src/runtime';
import { createLogger } from '../../src/observability/logger';
import { createTenant } from '../../src/domain/tenants';
import { testConfig, TEST_JWT_SECRET } from '../helpers/stack';
import { startApiProcess } from '../helpers/api-process';

/**
 * The database freezes (SIGSTOP) or dies (SIGKILL) under 200 concurrent SCIM writes: every request
 * answers within the request deadline + 1 s (plus what taking in the burst costs on this machine
 * now, measured with /healthz), and none answers 500 (503 with Retry-After instead).
 * The 200-request bursts go to an API process of its own, as in production: in this process the
 * test's own 200 requests would compete with the server for the CPU. The embedded server is this file's own (scripts/services.sh in a data folder of its own, Redis
 * shared with the other tests), so stopping and killing it touches no other test's database.
 */

const ROOT = join(__dirname, '..', '..');
const DATA_DIR = join(process.env.SCIM_TEST_DATA_DIR ?? join(ROOT, '.data', 'test'), `freeze-${randomBytes(4).toString('hex')}`);
const servicesEnv = { ...process.env, SCIM_DATA_DIR: DATA_DIR, SCIM_EMBEDDED_MONGO_BACKEND: 'memory', MONGODB_URI: '' };
const services = (action: 'start' | 'stop') => execFileSync('bash', [join(ROOT, 'scripts/services.sh'), action], { env: servicesEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
/** The embedded server's JVM, as services.sh recorded it: the only process this file signals. */
const mongoPid = () => Number(readFileSync(join(DATA_DIR, 'run', 'mongo.pid'), 'utf8').trim());

const DEADLINE_MS = 2000;
const CONCURRENCY = 200;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

let mongoUri: string;
const logged: string[] = [];
const logger = createLogger('warn', {}, (line) => logged.push(line));

interface Api {
  db: Database;
  url: string;
  close(): Promise<void>;
}

const uriOf = (dbName: string) => mongoUri.replace(/\/[^/]*$/, `/${dbName}`);

/** The API in this process (its log is read by the test). */
async function startApi(driver: ConnectOptions): Promise<Api> {
  const dbName = `freeze_${randomBytes(4).toString('hex')}`;
  const uri = uriOf(dbName);
  const db = await connectDatabase(uri, driver);
  const runtime = await createApiRuntime(testConfig(dbName, { MONGODB_URI: uri, HTTP_REQUEST_DEADLINE_MS: String(DEADLINE_MS) }), logger, { db });
  const server = createHttpServer(runtime.app, { requestTimeoutMs: 30_000 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    db,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await closeServer(server, 1000);
      await runtime.close();
      await db.close().catch(() => undefined);
    },
  };
}

/** The API in a process of its own; `db` is this process's connection to the same database. */
async function startApiElsewhere(driver: ConnectOptions): Promise<Api> {
  const dbName = `freeze_${randomBytes(4).toString('hex')}`;
  const uri = uriOf(dbName);
  const db = await connectDatabase(uri, driver);
  const env = {
    MONGODB_URI: uri,
    REDIS_URL: process.env.REDIS_URL,
    ADMIN_JWT_SECRET: TEST_JWT_SECRET,
    QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'error',
    HTTP_REQUEST_DEADLINE_MS: String(DEADLINE_MS),
  };
  const api = await startApiProcess(env, driver);
  return {
    db,
    url: api.url,
    async close() {
      await api.close();
      await db.close().catch(() => undefined);
    },
  };
}

interface Outcome {
  status: number;
  ms: number;
  retryAfter: string | null;
}

/**
 * A tenant with 100 users and 10 IdP groups, and 200 writes: each user joins a group, 60 user
 * PATCHes, 40 creates; `every` > 1 keeps every n-th of them.
 */
async function writesFor(api: Api, every = 1) {
  const { scimToken } = await createTenant(api.db.models, `t-${randomBytes(3).toString('hex')}`);
  const call = async (method: string, path: string, body: unknown): Promise<Outcome> => {
    const t0 = performance.now();
    const res = await fetch(`${api.url}/scim/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0, retryAfter: res.headers.get('retry-after') };
  };
  const headers = { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' };
  /**
   * The set-up, as an IdP does it: a 503 (a loaded machine's slow answer passing the short
   * deadline) is retried, and a 409 after it (the late handler created it) is looked up.
   */
  const created = async (path: string, body: Record<string, unknown>, filter: string): Promise<string> => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${api.url}/scim/v2${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (res.status === 201) return ((await res.json()) as { id: string }).id;
      await res.arrayBuffer();
      if (res.status === 409) {
        const found = await fetch(`${api.url}/scim/v2${path}?filter=${encodeURIComponent(filter)}`, { headers });
        if (found.status === 200) return ((await found.json()) as { Resources: { id: string }[] }).Resources[0]!.id;
      }
      if (![409, 503].includes(res.status) || attempt === 20) throw new Error(`POST ${path}: ${res.status}`);
      await sleep(250);
    }
  };
  const users: string[] = [];
  for (let i = 0; i < 100; i += 20) {
    users.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => created('/Users', { schemas: [USER], userName: `u${i + j}@freeze.example` }, `userName eq "u${i + j}@freeze.example"`)))));
  }
  const groups = await Promise.all(Array.from({ length: 10 }, (_, g) => created('/Groups', { schemas: [GROUP], displayName: `Group ${g}` }, `displayName eq "Group ${g}"`)));
  const writes: (() => Promise<Outcome>)[] = [
    ...users.map((userId, i) => () => call('PATCH', `/Groups/${groups[i % 10]}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] })),
    ...Array.from({ length: 60 }, (_, i) => () => call('PATCH', `/Users/${users[i % 20]}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: `Title ${i}` }] })),
    ...Array.from({ length: 40 }, (_, i) => () => call('POST', '/Users', { schemas: [USER], userName: `new${i}@freeze.example` })),
  ];
  expect(writes).toHaveLength(CONCURRENCY);
  const kept = writes.filter((_, i) => i % every === 0);
  /**
   * Opens the burst's connections (an IdP's client keeps them), then times a burst of /healthz on
   * them: what taking in that many requests costs on this machine now (a shared CI machine's two
   * cores may need most of a second), allowed on top of the deadline + 1 s.
   */
  const warm = async () => {
    const healthz = () => Promise.all(kept.map(() => fetch(`${api.url}/healthz`).then((r) => r.arrayBuffer())));
    await healthz();
    const t0 = performance.now();
    await healthz();
    return performance.now() - t0;
  };
  return { groups, warm, run: () => Promise.all(kept.map((w) => w())) };
}

/** What a burst answered, in a form whose failure message says it all. */
function summary(outcomes: Outcome[]) {
  const byStatus: Record<number, number> = {};
  for (const o of outcomes) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
  return {
    byStatus,
    slowest: Math.round(Math.max(...outcomes.map((o) => o.ms))),
    unavailableWithoutRetryAfter: outcomes.filter((o) => o.status === 503 && !o.retryAfter).length,
  };
}

function expectAnsweredInTime(outcomes: Outcome[], intakeMs: number) {
  const s = { ...summary(outcomes), intakeMs: Math.round(intakeMs) };
  expect({ ...s, errors: outcomes.filter((o) => o.status >= 500 && o.status !== 503).length, late: s.slowest > DEADLINE_MS + 1000 + intakeMs }).toEqual({
    ...s,
    errors: 0,
    late: false,
    unavailableWithoutRetryAfter: 0,
  });
  for (const o of outcomes) expect([200, 201, 204, 503]).toContain(o.status);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, check: () => Promise<boolean>, ms = 30_000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await sleep(200);
  }
}

beforeAll(() => {
  const out = services('start');
  mongoUri = /^MONGODB_URI=(.+)$/m.exec(out)![1]!;
}, 120_000);
afterAll(() => {
  try {
    process.kill(mongoPid(), 'SIGCONT');
  } catch {
    // already gone (killed by the last test)
  }
  services('stop');
  rmSync(DATA_DIR, { recursive: true, force: true });
});

it('frozen past the deadline with the driver still waiting: requests answer 503 within the deadline, and the late handlers finish their work once it thaws', async () => {
  // The driver's own timeouts (a monitor check gives up after 10 s): only the deadline answers in time.
  const api = await startApi({});
  try {
    const { groups, warm, run } = await writesFor(api, 10);
    logged.length = 0;
    const intakeMs = await warm();
    const burst = run();
    await sleep(100);
    process.kill(mongoPid(), 'SIGSTOP');
    const stoppedAt = Date.now();
    let outcomes: Outcome[];
    try {
      outcomes = await burst;
    } finally {
      await sleep(Math.max(0, DEADLINE_MS + 1500 - (Date.now() - stoppedAt)));
      process.kill(mongoPid(), 'SIGCONT');
    }
    expectAnsweredInTime(outcomes, intakeMs);
    expect(outcomes.filter((o) => o.status === 503).length).toBeGreaterThan(0);

    // Nothing half-done: once the late handlers finished, each group's committed changes (its
    // version) each have their member and their audit event, and no change is left pending.
    const models = api.db.models;
    await waitUntil('no group change is pending', async () => (await models.Group.countDocuments({ _id: { $in: groups }, 'pendingMembers.0': { $exists: true } })) === 0);
    await waitUntil('no user audit is pending', async () => (await models.User.countDocuments({ 'pendingAudit.0': { $exists: true } })) === 0);
    for (const groupId of groups) {
      const group = (await models.Group.findById(groupId).lean())!;
      const members = await models.Membership.countDocuments({ groupId });
      const events = await models.AuditEvent.countDocuments({ 'object.id': groupId, action: 'group.patched' });
      expect({ groupId, members, events }).toEqual({ groupId, members: group.version - 1, events: group.version - 1 });
    }
    // The late handlers wrote no second response (no "headers already sent" failure).
    expect(logged.filter((line) => /ERR_HTTP_HEADERS_SENT|Cannot set headers/.test(line))).toEqual([]);
  } finally {
    await api.close();
  }
});

it('200 concurrent writes, frozen until the driver gives up (server monitor timeout, bulk writes interrupted), then killed: 0 × 500, each answered within the deadline + 1 s', async () => {
  // Short driver timeouts: the monitor gives up on the frozen server within the deadline and
  // interrupts the operations in flight (bulk writes included), which must answer 503, not 500.
  const api = await startApiElsewhere({ serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000, heartbeatFrequencyMS: 500 });
  try {
    const frozen = await writesFor(api);
    const frozenIntakeMs = await frozen.warm();
    const burst = frozen.run();
    await sleep(100);
    process.kill(mongoPid(), 'SIGSTOP');
    let outcomes: Outcome[];
    try {
      outcomes = await burst;
    } finally {
      process.kill(mongoPid(), 'SIGCONT');
    }
    expectAnsweredInTime(outcomes, frozenIntakeMs);
    expect(outcomes.filter((o) => o.status === 503).length).toBeGreaterThan(0);

    // Both connections (the API's, to be ready; this file's, to set up the next tenant) see it again.
    await waitUntil(
      'the database answers again',
      async () =>
        (await fetch(`${api.url}/readyz`)).status === 200 &&
        (await api.db.ping().then(
          () => true,
          () => false,
        )),
    );
    const killed = await writesFor(api);
    const killedIntakeMs = await killed.warm();
    const second = killed.run();
    await sleep(100);
    process.kill(mongoPid(), 'SIGKILL');
    const after = await second;
    expectAnsweredInTime(after, killedIntakeMs);
    expect(after.filter((o) => o.status === 503).length).toBeGreaterThan(0);

    // And the console's sign-in page: a 503 page with Retry-After, not a 500.
    const signIn = await fetch(`${api.url}/console/sign-in?code=${'a'.repeat(43)}`, { redirect: 'manual' });
    expect(signIn.status).toBe(503);
    expect(signIn.headers.get('retry-after')).toBe('5');
    expect(signIn.headers.get('content-type')).toMatch(/text\/html/);
  } finally {
    await api.close();
  }
});
