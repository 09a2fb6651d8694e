import type { ChildProcess } from 'node:child_process';
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
import type { AuditEventDoc, UserDoc } from '../src/persistence/models';
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
 */

interface Options { trials: number; users: number; lanes: number; killMaxMs: number; settleTimeoutMs: number; logDir: string }

function options(): Options {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  return {
    trials: arg('trials', 5), users: arg('users', 4000), lanes: arg('lanes', 4), killMaxMs: arg('kill-max-ms', 400),
    settleTimeoutMs: arg('settle-timeout-ms', 120_000), logDir: process.env.CRASH_LOG_DIR ?? process.cwd(),
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
      const body = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_USER_URN], userName: `w${i}@crash.test`, active: true, [ENTERPRISE_USER_URN]: { department: DEPARTMENTS[i % DEPARTMENTS.length] } };
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

interface Findings { users: number; added: number; removed: number; badSequences: number; wrongMembers: number; pending: number; details: string[] }

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
  const held = new Set(((await models.Membership.collection.find({ tenantId, groupId, sources: source } as never, { projection: { userId: 1 } }).toArray()) as unknown as { userId: string }[]).map((m) => m.userId));
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
    const seq = (byUser.get(u._id) ?? []).sort(order).map((e) => (e.action === 'membership.added' ? '+' : '-')).join('');
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
      const logFile = join(opts.logDir, `worker-crash-${trial}.log`);
      const api = await startApi(await freePort(), prefix, logFile);
      let worker = startWorker(prefix, logFile, 2);
      const lanes = patchLanes(api, tenant.scimToken, users, opts.lanes);
      const ctx = { tenantId: tenant.tenantId, actor: { type: 'admin' as const, id: 'crash-test' } };

      const count = () => db.models.Membership.collection.countDocuments({ tenantId: tenant.tenantId, groupId: group._id });
      const ruleState = async () =>
        (await db.models.Rule.collection.findOne({ _id: rule.id } as never, { projection: { progress: 1, lastRun: 1 } })) as { progress?: { version: number; matched: number }; lastRun?: { version: number } } | null;
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

      // 3. The lanes stop; the worker settles everything.
      const patches = await lanes.stop();
      const settled = await settle(db, queue, tenant.tenantId, opts.settleTimeoutMs);
      await stopProcess(worker);
      await stopApi(api);
      const f = await inspect(db, tenant.tenantId, group._id, rule.id, SECOND);
      const bad = f.badSequences + f.wrongMembers + f.pending + (settled ? 0 : 1);
      violations += bad;
      log(
        `trial ${trial}: killed at ${firstKill} then ${secondKill} memberships${flush ? ', Redis flushed' : ''}, ${pendingAudits} events waiting on memberships, ${patches} user PATCHes; ` +
          `${settled ? 'settled' : 'NOT settled'}: ${f.added} added / ${f.removed} removed events over ${f.users} users, ${f.badSequences} users whose events and membership changes differ, ${f.wrongMembers} wrong memberships, ${f.pending} pending; ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      for (const d of f.details) log(`  violation: ${d}`);
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
