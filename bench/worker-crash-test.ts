import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { loadSchemaRegistry } from '../src/attributes/registry';
import { ENTERPRISE_USER_URN } from '../src/attributes/urns';
import { newInternalGroupDoc } from '../src/domain/groups/group-record';
import { RulesService } from '../src/domain/sync/rules-service';
import { createTenant } from '../src/domain/tenants';
import { silentLogger } from '../src/observability/logger';
import { newId } from '../src/persistence/ids';
import type { AuditEventDoc, ChangeEventDoc, UserDoc } from '../src/persistence/models';
import { changeEventsOf } from '../src/domain/events/catalogue';
import { createEndpoint } from '../src/domain/webhooks/endpoints';
import { repositoriesOf } from '../src/persistence/repositories';
import { connectDatabase, type Database } from '../src/persistence/mongo';
import { SYNC_QUEUE, queuePrefix } from '../src/queue/jobs';
import { createJobProducer } from '../src/queue/producer';
import { env, freePort, startApi, startWorker, stopApi, stopProcess, type Api } from './crash-processes';

/**
 * Worker crash test (scripts/crash-test.sh --only worker; issue 17 part 2): per trial, a tenant of
 * `--users` users, a rule matching 60% of them, the sync worker as a process of its own and SCIM
 * PATCHes of users' departments from a few lanes all along (their jobs race the rule's run):
 *  1. the rule is created; the worker is killed (-9) once its run has written memberships (a chunk
 *     checkpointed, plus a random delay up to `--kill-max-ms`), and restarted; the run finishes;
 *  2. the rule is edited (about a third of its members leave, a third join); the worker is killed
 *     again once the new version's run is under way (plus a random delay) and, on even trials,
 *     Redis loses everything (FLUSHALL) before the restart;
 *  3. the lanes stop; the restarted worker (its sweeper looks every second) settles everything.
 * Checks: each user's `membership.added` / `membership.removed` events of the rule alternate,
 * starting with an add and ending as the membership ends (held: an add; not held: a removal or
 * nothing), so events equal membership changes exactly; the members are what the rule says of
 * the users as they are; nothing is left pending (marks, events on memberships, jobs).
 * Change events and webhooks (docs/events.md): a webhook endpoint on a loopback receiver that is
 * down (503) from the first kill until the restart after the second. After settling: every audit
 * event sequenced, each into exactly the change events its catalogue entry gives (every committed
 * change has exactly one event), `seq` consecutive from 1; the receiver got every event of the feed,
 * first arrivals in feed order (repeats only under the same webhook-id, counted); the rule group's
 * members rebuilt from the feed's member events equal the stored ones, and each user's last
 * `user.*` event carries the stored attributes.
 */

interface Options {
  trials: number;
  users: number;
  lanes: number;
  killMaxMs: number;
  settleTimeoutMs: number;
  logDir: string;
}

function options(): Options {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  return {
    trials: arg('trials', 5),
    users: arg('users', 4000),
    lanes: arg('lanes', 4),
    killMaxMs: arg('kill-max-ms', 400),
    settleTimeoutMs: arg('settle-timeout-ms', 120_000),
    logDir: process.env.CRASH_LOG_DIR ?? process.cwd(),
  };
}

const log = (msg: string) => process.stdout.write(`[worker-crash] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DEPARTMENTS = ['Sales', 'Support', 'Legal', 'Finance', 'Marketing'];
const FIRST = ['Sales', 'Support', 'Legal'];
const SECOND = ['Legal', 'Finance', 'Marketing'];
const expressionOf = (departments: string[]) => `department in ${departments.map((d) => `"${d}"`).join(',')}`;

async function seedUsers(db: Database, tenantId: string, count: number): Promise<string[]> {
  const registry = loadSchemaRegistry();
  const now = new Date();
  const ids: string[] = [];
  for (let start = 0; start < count; start += 1000) {
    const docs: UserDoc[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      const body = {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_USER_URN],
        userName: `w${i}@crash.test`,
        active: true,
        [ENTERPRISE_USER_URN]: { department: DEPARTMENTS[i % DEPARTMENTS.length] },
      };
      const valid = registry.validateResource('User', body, { mode: 'create' });
      docs.push({ _id: newId('usr'), tenantId, attrs: valid.attrs, lc: registry.shadows('User', valid.attrs) as UserDoc['lc'], version: 1, sync: { version: 1 }, createdAt: now, updatedAt: now });
    }
    await db.models.User.collection.insertMany(docs as never[], { ordered: false });
    ids.push(...docs.map((d) => d._id));
  }
  return ids;
}

/** SCIM PATCHes of random users' departments, from several lanes, until stopped. */
function patchLanes(api: Api, token: string, users: string[], lanes: number): { stop(): Promise<number> } {
  let stopped = false;
  let sent = 0;
  const lane = async () => {
    while (!stopped) {
      const id = users[Math.floor(Math.random() * users.length)]!;
      const department = DEPARTMENTS[Math.floor(Math.random() * DEPARTMENTS.length)]!;
      const res = await fetch(`${api.url}/scim/v2/Users/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: `${ENTERPRISE_USER_URN}:department`, value: department }] }),
        signal: AbortSignal.timeout(15_000),
      });
      if (res.status !== 200) throw new Error(`PATCH /Users answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      sent++;
      await sleep(20);
    }
  };
  const running = Promise.all(Array.from({ length: lanes }, lane));
  return {
    async stop() {
      stopped = true;
      await running;
      return sent;
    },
  };
}

async function killWorker(worker: ChildProcess): Promise<void> {
  const exited = once(worker, 'exit');
  worker.kill('SIGKILL'); // by our child's handle, i.e. its PID
  await exited;
}

interface Findings {
  users: number;
  added: number;
  removed: number;
  badSequences: number;
  wrongMembers: number;
  pending: number;
  details: string[];
}

async function inspect(db: Database, tenantId: string, groupId: string, ruleId: string, departments: string[]): Promise<Findings> {
  const { models } = db;
  const f: Findings = { users: 0, added: 0, removed: 0, badSequences: 0, wrongMembers: 0, pending: 0, details: [] };
  const fail = (what: 'badSequences' | 'wrongMembers', msg: string) => {
    f[what]++;
    if (f.details.length < 10) f.details.push(msg);
  };
  const events = (await models.AuditEvent.collection
    .find({ tenantId, 'object.id': groupId, action: { $in: ['membership.added', 'membership.removed'] } } as never)
    .toArray()) as unknown as AuditEventDoc[];
  const source = `rule:${ruleId}`;
  const held = new Set(
    ((await models.Membership.collection.find({ tenantId, groupId, sources: source } as never, { projection: { userId: 1 } }).toArray()) as unknown as { userId: string }[]).map((m) => m.userId),
  );
  const byUser = new Map<string, AuditEventDoc[]>();
  for (const e of events) {
    if (e.actor.type !== 'rule' || e.actor.id !== ruleId) continue;
    const userId = (e.after as { userId: string }).userId;
    (byUser.get(userId) ?? byUser.set(userId, []).get(userId)!).push(e);
    if (e.action === 'membership.added') f.added++;
    else f.removed++;
  }
  // Same millisecond: an add before a removal (a user cannot leave what they have not joined).
  const order = (a: AuditEventDoc, b: AuditEventDoc) => a.at.getTime() - b.at.getTime() || (a.action === 'membership.added' ? -1 : 1) - (b.action === 'membership.added' ? -1 : 1);
  const users = (await models.User.collection.find({ tenantId } as never, { projection: { 'attrs.enterprise.department': 1 } }).toArray()) as unknown as UserDoc[];
  f.users = users.length;
  for (const u of users) {
    const seq = (byUser.get(u._id) ?? [])
      .sort(order)
      .map((e) => (e.action === 'membership.added' ? '+' : '-'))
      .join('');
    const alternates = /^(\+-)*\+?$/.test(seq);
    const endsRight = held.has(u._id) ? seq.endsWith('+') : !seq.endsWith('+');
    if (!alternates || !endsRight) fail('badSequences', `${u._id}: events ${seq || '(none)'}, membership ${held.has(u._id) ? 'held' : 'not held'}`);
    const wants = departments.includes(String((u.attrs.enterprise as { department?: string } | undefined)?.department));
    if (wants !== held.has(u._id)) fail('wrongMembers', `${u._id}: ${(u.attrs.enterprise as { department?: string } | undefined)?.department}, ${held.has(u._id) ? 'a member' : 'not a member'}`);
  }
  f.pending =
    (await models.User.collection.countDocuments({ tenantId, 'sync.pendingSince': { $exists: true } })) +
    (await models.Rule.collection.countDocuments({ tenantId, 'sync.pendingSince': { $exists: true } })) +
    (await models.Membership.collection.countDocuments({ tenantId, 'pendingAudit.0': { $exists: true } }));
  return f;
}

/** A webhook receiver on loopback: 503 while `down`, else 200; first arrivals in order, repeats counted. */
async function startReceiver(): Promise<{ url: string; down: boolean; order: string[]; repeats: number; close(): Promise<void> }> {
  const seen = new Set<string>();
  const r = { url: '', down: false, order: [] as string[], repeats: 0, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (r.down) return void res.writeHead(503).end();
      const id = String(req.headers['webhook-id']);
      if (seen.has(id)) r.repeats++;
      else {
        seen.add(id);
        r.order.push(id);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  r.close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return r;
}

const stable = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(stable).join(',')}]`
    : v && typeof v === 'object'
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${k}:${stable((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(v);

interface FeedFindings {
  events: number;
  violations: number;
  repeats: number;
  details: string[];
}

/** The feed and the webhook deliveries after the trial (see the header). */
async function inspectFeed(db: Database, tenantId: string, endpointStart: number, receiver: { order: string[]; repeats: number }, groupId: string, ruleId: string): Promise<FeedFindings> {
  const { models } = db;
  const f: FeedFindings = { events: 0, violations: 0, repeats: receiver.repeats, details: [] };
  const fail = (msg: string) => {
    f.violations++;
    if (f.details.length < 10) f.details.push(msg);
  };
  const unsequenced = await models.AuditEvent.collection.countDocuments({ tenantId, unsequenced: true });
  if (unsequenced > 0) fail(`${unsequenced} audit events not sequenced`);
  const { committed } = await repositoriesOf(models).changeEvents.state(tenantId);
  const events = (await models.ChangeEvent.collection
    .find({ tenantId, seq: { $lte: committed } } as never)
    .sort({ tenantId: 1, seq: 1 })
    .toArray()) as unknown as ChangeEventDoc[];
  f.events = events.length;
  events.forEach((e, i) => e.seq !== i + 1 && fail(`event ${e._id} at seq ${e.seq}, expected ${i + 1}`));
  const perAudit = new Map<string, number>();
  for (const e of events) perAudit.set(e.auditId, (perAudit.get(e.auditId) ?? 0) + 1);
  const audits = (await models.AuditEvent.collection.find({ tenantId } as never).toArray()) as unknown as AuditEventDoc[];
  const known = new Set(audits.map((a) => a._id));
  for (const a of audits) {
    const want = changeEventsOf(a).length;
    const got = perAudit.get(a._id) ?? 0;
    if (want !== got) fail(`audit event ${a._id} (${a.action}) has ${got} change events, its catalogue entry gives ${want}`);
  }
  for (const id of perAudit.keys()) if (!known.has(id)) fail(`change events of audit event ${id}, which does not exist`);
  // Webhooks: every event after the endpoint's start, first arrivals in feed order.
  const expected = events.filter((e) => e.seq > endpointStart).map((e) => e._id);
  if (stable(receiver.order) !== stable(expected)) {
    const at = expected.findIndex((id, i) => receiver.order[i] !== id);
    fail(
      `webhooks: ${receiver.order.length} distinct events received, ${expected.length} in the feed; first difference at ${at}: got ${receiver.order[at] ?? '(nothing)'}, expected ${expected[at] ?? '(nothing)'}`,
    );
  }
  // Rebuilt from the feed: the rule group's members and each user's attributes.
  const source = `rule:${ruleId}`;
  const rebuilt = new Set<string>();
  const lastUser = new Map<string, Record<string, unknown>>();
  for (const e of events) {
    const d = e.data as { groupId?: string; userId?: string; source?: string; user?: { attrs: Record<string, unknown> } };
    if (e.type === 'group.member_added' && d.groupId === groupId && d.source === source) rebuilt.add(d.userId!);
    if (e.type === 'group.member_removed' && d.groupId === groupId && d.source === source) rebuilt.delete(d.userId!);
    if (e.type.startsWith('user.') && d.user) lastUser.set(e.object.id, d.user.attrs);
  }
  const held = ((await models.Membership.collection.find({ tenantId, groupId, sources: source } as never, { projection: { userId: 1 } }).toArray()) as unknown as { userId: string }[]).map(
    (m) => m.userId,
  );
  if (stable([...rebuilt].sort()) !== stable(held.sort())) fail(`the rule group rebuilt from the feed has ${rebuilt.size} members, stored ${held.length}`);
  const users = (await models.User.collection.find({ tenantId, _id: { $in: [...lastUser.keys()] } } as never, { projection: { attrs: 1 } }).toArray()) as unknown as UserDoc[];
  for (const u of users) if (stable(lastUser.get(u._id)) !== stable(u.attrs)) fail(`user ${u._id}: the feed's last state differs from the stored one`);
  return f;
}

/** Until nothing is pending (marks, events on memberships) and the queue is idle, twice in a row. */
async function settle(db: Database, queue: Queue, tenantId: string, timeoutMs: number): Promise<boolean> {
  const { models } = db;
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (Date.now() < deadline) {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    const pending =
      (await models.User.collection.countDocuments({ tenantId, 'sync.pendingSince': { $exists: true } })) +
      (await models.Rule.collection.countDocuments({ tenantId, 'sync.pendingSince': { $exists: true } })) +
      (await models.Membership.collection.countDocuments({ tenantId, 'pendingAudit.0': { $exists: true } }));
    quiet = pending === 0 && Object.values(counts).every((n) => n === 0) ? quiet + 1 : 0;
    if (quiet >= 3) return true;
    await sleep(300);
  }
  return false;
}

async function main() {
  const opts = options();
  const db = await connectDatabase(env('MONGODB_URI'));
  const redis = new IORedis(env('REDIS_URL'), { maxRetriesPerRequest: null });
  const prefix = `wcrash${randomBytes(3).toString('hex')}`;
  const queue = new Queue(SYNC_QUEUE, { connection: redis, prefix: queuePrefix(prefix) });
  const producer = createJobProducer(env('REDIS_URL'), prefix, silentLogger);
  const rules = new RulesService({ models: db.models, registry: loadSchemaRegistry(), producer, logger: silentLogger });
  let violations = 0;
  try {
    for (let trial = 1; trial <= opts.trials; trial++) {
      const started = Date.now();
      const flush = trial % 2 === 0;
      const tenant = await createTenant(db.models, `worker-crash-${prefix}-${trial}`);
      const users = await seedUsers(db, tenant.tenantId, opts.users);
      const group = newInternalGroupDoc(tenant.tenantId, 'Crash target');
      await db.models.Group.collection.insertOne(group as never);
      const receiver = await startReceiver();
      const endpoint = await createEndpoint(db.models, { tenantId: tenant.tenantId, actor: { type: 'admin', id: 'crash-test' } }, { url: receiver.url }, true);
      const endpointStart = (await repositoriesOf(db.models).webhooks.find(tenant.tenantId, endpoint.id))!.cursor;
      const logFile = join(opts.logDir, `worker-crash-${trial}.log`);
      const api = await startApi(await freePort(), prefix, logFile);
      let worker = startWorker(prefix, logFile, 2);
      const lanes = patchLanes(api, tenant.scimToken, users, opts.lanes);
      const ctx = { tenantId: tenant.tenantId, actor: { type: 'admin' as const, id: 'crash-test' } };

      const count = () => db.models.Membership.collection.countDocuments({ tenantId: tenant.tenantId, groupId: group._id });
      const ruleState = async () =>
        (await db.models.Rule.collection.findOne({ _id: rule.id } as never, { projection: { progress: 1, lastRun: 1 } })) as {
          progress?: { version: number; matched: number };
          lastRun?: { version: number };
        } | null;
      /** Until the run of `version` has written memberships (a chunk checkpointed) or finished. */
      const underWay = async (version: number, timeoutMs = 60_000) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const doc = await ruleState();
          if ((doc?.progress?.version === version && doc.progress.matched > 0) || doc?.lastRun?.version === version || Date.now() > deadline) return;
          await sleep(10);
        }
      };

      // 1. The rule's first run; killed once its memberships appear (a chunk written), then restarted; its run finishes.
      const rule = await rules.create(ctx, { name: 'Crash rule', expression: expressionOf(FIRST), targetGroupId: group._id });
      await underWay(1);
      await sleep(Math.floor(Math.random() * opts.killMaxMs));
      await killWorker(worker);
      // The receiver is down from here until the restart after the second kill.
      receiver.down = true;
      const firstKill = await count();
      worker = startWorker(prefix, logFile, 2);
      const finished = Date.now() + opts.settleTimeoutMs;
      while ((await ruleState())?.lastRun?.version !== 1 && Date.now() < finished) await sleep(50);

      // 2. The rule edited (its members change by about two thirds); killed once the new version's run is under way (and Redis wiped on even trials).
      await rules.update(ctx, rule.id, { expression: expressionOf(SECOND) });
      await underWay(2);
      await sleep(Math.floor(Math.random() * opts.killMaxMs));
      await killWorker(worker);
      const secondKill = await count();
      if (flush) await redis.flushall();
      const pendingAudits = await db.models.Membership.collection.countDocuments({ tenantId: tenant.tenantId, 'pendingAudit.0': { $exists: true } });
      worker = startWorker(prefix, logFile, 2);
      receiver.down = false;

      // 3. The lanes stop; the worker settles everything.
      const patches = await lanes.stop();
      const settled = await settle(db, queue, tenant.tenantId, opts.settleTimeoutMs);
      // The feed sequenced and every event delivered (the worker's event loop), within the same bound.
      const delivered = Date.now() + opts.settleTimeoutMs;
      const caughtUp = async () => {
        const waiting = await db.models.AuditEvent.collection.countDocuments({ tenantId: tenant.tenantId, unsequenced: true });
        const { committed } = await repositoriesOf(db.models).changeEvents.state(tenant.tenantId);
        const ep = await repositoriesOf(db.models).webhooks.find(tenant.tenantId, endpoint.id);
        return waiting === 0 && ep !== null && ep.cursor >= committed;
      };
      while (!(await caughtUp()) && Date.now() < delivered) await sleep(200);
      await stopProcess(worker);
      await stopApi(api);
      const f = await inspect(db, tenant.tenantId, group._id, rule.id, SECOND);
      const feed = await inspectFeed(db, tenant.tenantId, endpointStart, receiver, group._id, rule.id);
      await receiver.close();
      const bad = f.badSequences + f.wrongMembers + f.pending + (settled ? 0 : 1) + feed.violations;
      violations += bad;
      log(
        `trial ${trial}: killed at ${firstKill} then ${secondKill} memberships${flush ? ', Redis flushed' : ''}, ${pendingAudits} events waiting on memberships, ${patches} user PATCHes; ` +
          `${settled ? 'settled' : 'NOT settled'}: ${f.added} added / ${f.removed} removed events over ${f.users} users, ${f.badSequences} users whose events and membership changes differ, ${f.wrongMembers} wrong memberships, ${f.pending} pending; ` +
          `feed: ${feed.events} change events, ${receiver.order.length} delivered (${feed.repeats} repeats under the same webhook-id), ${feed.violations} event violations; ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      for (const d of [...f.details, ...feed.details]) log(`  violation: ${d}`);
    }
  } finally {
    await producer.close();
    await queue.close();
    redis.disconnect();
    await db.close();
  }
  log(violations === 0 ? `PASS: ${opts.trials} trials, no violation` : `FAIL: ${violations} violations`);
  process.exit(violations === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`[worker-crash] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
