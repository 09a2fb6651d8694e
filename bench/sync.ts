/**
 * Identity-sync benchmarks (issue 4), each beside its floor:
 *  1. rule-eval-1000-rules: the worker's in-memory evaluation of one user against 1,000 compiled
 *     rules (stored document -> SCIM subject -> every predicate -> the memberships it wants);
 *     floor: the same predicates on a subject built beforehand. Target: well under 1 ms per user.
 *  2. rule-change-N-users: a rule created over a tenant of N users, from the API's write to the
 *     end of the worker's full run (stream the compiled query, bulk adds, audit, progress);
 *     floor: the same `find` with the compiled query plus one bulk insert of the memberships.
 *     Target: within 2x the floor.
 *  3. user-changed-jobs: `user.changed` jobs through BullMQ and the worker (100 rules in the
 *     tenant), jobs per second, once where every job creates memberships (-assigning) and once
 *     where the memberships are right already (the common case); floor: BullMQ processing
 *     empty jobs with the same concurrency.
 * Each scenario uses a database and a queue prefix of its own, dropped at the end.
 *
 * Wiring: `runSyncBenchmarks({ mongoUri, redisUrl, quick, progress })` returns rows in the
 * `--json` shape; `formatSyncTable(rows)` prints them.
 */
import { randomBytes } from 'node:crypto';
import { newInternalGroupDoc } from '../src/domain/groups/group-record';
import { performance } from 'node:perf_hooks';
import { Queue, Worker, type Job } from 'bullmq';
import IORedis from 'ioredis';
import { loadConfig, type Config } from '../src/config/config';
import { silentLogger } from '../src/observability/logger';
import { connectDatabase, type Database } from '../src/persistence/mongo';
import type { UserDoc } from '../src/persistence/models';
import { newId } from '../src/persistence/ids';
import { loadSchemaRegistry, type SchemaRegistry } from '../src/attributes/registry';
import { SYNC_QUEUE, jobOptions, queuePrefix, type JobName, type JobPayloads } from '../src/queue/jobs';
import { createJobProducer } from '../src/queue/producer';
import { compileRule, ruleMongoQuery, rulePredicate, type RuleGroups, type RuleSubject } from '../src/domain/rules';
import { subjectOf } from '../src/domain/sync/rule-set';
import { RulesService } from '../src/domain/sync/rules-service';
import { bumpRuleSetVersion } from '../src/domain/sync/rule-set-version';
import type { SyncedRuleDoc } from '../src/domain/sync/rule-records';
import { DEFAULT_CONCURRENCY, startSyncWorker } from '../workers/worker';

export interface SyncBenchOptions {
  /** MongoDB server URI (its database part is replaced: each scenario creates and drops its own). */
  mongoUri: string;
  redisUrl: string;
  /** Small sizes for a smoke run. */
  quick?: boolean;
  /** Rules evaluated per user in scenario 1 (default 1,000). */
  rules?: number;
  /** Users in the tenant of scenario 2 (default 100,000; quick 5,000). */
  ruleChangeUsers?: number;
  /** Jobs measured in scenario 3 (default 5,000; quick 500). */
  jobs?: number;
  /** Worker concurrency in scenario 3, the floor's too (default: the worker's, 32). */
  concurrency?: number;
  /** Which scenarios to run (default all). */
  only?: readonly SyncScenario[];
  progress?: (message: string) => void;
}

export type SyncScenario = 'rule-eval' | 'rule-change' | 'user-jobs';

/** One result row, in the shape `npm run bench -- --json` writes. */
export interface SyncBenchRow {
  scenario: string;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  baselineOpsPerSec: number;
  /** baseline ops/s ÷ ops/s: how many times slower than the floor. */
  ratio: number;
  /** What the target is and whether it was met. */
  target: string;
  /** What "ops" counts and what the floor is. */
  note: string;
}

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CUSTOM = 'urn:scim-sync:params:scim:schemas:extension:custom:2.0:User';
const DEPARTMENTS = ['Sales', 'Support', 'Engineering', 'Finance', 'Legal', 'Marketing'];
const COUNTRIES = ['US', 'CA', 'DE', 'FR', 'GB', 'JP'];

const round = (n: number, digits = 3) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

function row(scenario: string, ops: number, ms: number, samples: number[], baselineOpsPerSec: number, target: string, note: string): SyncBenchRow {
  const sorted = [...samples].sort((a, b) => a - b);
  const opsPerSec = ops / (ms / 1000);
  return {
    scenario,
    opsPerSec: round(opsPerSec, 2),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    baselineOpsPerSec: round(baselineOpsPerSec, 2),
    ratio: round(baselineOpsPerSec / opsPerSec),
    target,
    note,
  };
}

/** Rules as tenants write them, in both syntaxes, over core, enterprise and custom attributes and IdP groups. */
export function benchRuleTexts(count: number): string[] {
  const templates: ((i: number) => string)[] = [
    (i) => `department = "${DEPARTMENTS[i % 6]}"`,
    (i) => `email.endsWith('@team${i % 50}.company.com')`,
    (i) => `department = "${DEPARTMENTS[i % 6]}" AND (country in "US","CA","${COUNTRIES[i % 6]}" OR title != "Intern ${i}")`,
    (i) => `groups = "IdP Group ${i % 40}"`,
    (i) => `title sw "Support ${i % 3}" and emails[type eq "work" and value ew "@support.example.com"]`,
    (i) => `level >= ${i % 5} AND country != "${COUNTRIES[i % 6]}"`,
    (i) => `userName.startsWith('user${i % 10}') OR tags in "vip","beta${i}"`,
    (i) => `${ENTERPRISE}:costCenter eq "CC-${i % 100}" or name.familyName co "son"`,
    (i) => `hireDate > "2021-0${(i % 9) + 1}-01T00:00:00Z" AND active = true`,
    (i) => `department = "${DEPARTMENTS[(i + 1) % 6]}" AND NOT contractor = true`,
  ];
  return Array.from({ length: count }, (_, i) => (templates[i % templates.length] as (n: number) => string)(i));
}

/**
 * Rules of a tenant as a worker meets them in `user.changed` jobs: selective (department and
 * country, email domain, IdP group), so a user matches a couple of them, not a quarter.
 */
export function selectiveRuleTexts(count: number): string[] {
  const templates: ((i: number) => string)[] = [
    (i) => `department = "${DEPARTMENTS[i % 6]}" AND country = "${COUNTRIES[Math.floor(i / 6) % 6]}"`,
    (i) => `email.endsWith('@team${i % 50}.company.com')`,
    (i) => `groups = "IdP Group ${i % 40}" OR title eq "Director ${i}"`,
  ];
  return Array.from({ length: count }, (_, i) => (templates[i % templates.length] as (n: number) => string)(i));
}

/** A SCIM User body with attributes the rules above read. */
function userBody(i: number): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE, CUSTOM],
    userName: `user${i}@company.com`,
    name: { givenName: 'Ann', familyName: i % 2 === 0 ? 'Johnson' : 'Smith' },
    title: i % 3 === 0 ? `Support ${i % 3} Lead` : 'Engineer',
    active: true,
    emails: [
      { value: `user${i}@${i % 4 === 0 ? 'support.example.com' : `team${i % 50}.company.com`}`, type: 'work', primary: true },
      { value: `user${i}@home.example.org`, type: 'home' },
    ],
    [ENTERPRISE]: { department: DEPARTMENTS[i % 6], costCenter: `CC-${i % 100}` },
    [CUSTOM]: { country: COUNTRIES[i % 6], level: i % 7, tags: i % 5 === 0 ? ['vip'] : ['beta1'], hireDate: '2022-03-04T05:06:07Z', contractor: i % 8 === 0 },
  };
}

function storedUser(registry: SchemaRegistry, tenantId: string, i: number, now: Date, pending = true): UserDoc {
  const valid = registry.validateResource('User', userBody(i), { mode: 'create' });
  return {
    _id: newId('usr'),
    tenantId,
    attrs: valid.attrs,
    lc: registry.shadows('User', valid.attrs) as UserDoc['lc'],
    version: 1,
    sync: pending ? { version: 1, pendingSince: now } : { version: 1 },
    createdAt: now,
    updatedAt: now,
  };
}

// ---- 1. evaluate 1,000 compiled rules against one user -------------------------------------

function benchRuleEvaluation(opts: SyncBenchOptions): SyncBenchRow {
  const ruleCount = opts.rules ?? 1000;
  const registry = loadSchemaRegistry();
  const view = registry.view('User');
  const groups: RuleGroups = {
    groupIdsByName: new Map(Array.from({ length: 40 }, (_, g) => [`idp group ${g}`, [`grp_idp${g}`]] as [string, string[]])),
  };
  const targets = Array.from({ length: 50 }, (_, g) => `grp_target${g}`);
  const rules = benchRuleTexts(ruleCount).map((text, i) => {
    const compiled = compileRule(view, text);
    return { id: `rul_${i}`, target: targets[i % targets.length] as string, matches: rulePredicate(compiled, { tenantId: 'bench', groups }) };
  });
  const now = new Date();
  const users = Array.from({ length: 100 }, (_, i) => storedUser(registry, 'bench', i, now));
  const idp = users.map((_, i) => new Set([`grp_idp${i % 40}`]));

  // The worker's evaluation: stored document -> subject -> every rule -> the (group, source) pairs wanted.
  const evaluate = (i: number) => {
    const subject = subjectOf(registry, users[i % users.length] as UserDoc, idp[i % users.length] as Set<string>);
    const wanted = new Set<string>();
    for (const rule of rules) if (rule.matches(subject)) wanted.add(`${rule.target}\trule:${rule.id}`);
    return wanted.size;
  };
  const subjects: RuleSubject[] = users.map((u, i) => subjectOf(registry, u, idp[i] as Set<string>));
  const predicatesOnly = (i: number) => {
    const subject = subjects[i % subjects.length] as RuleSubject;
    let n = 0;
    for (const rule of rules) if (rule.matches(subject)) n++;
    return n;
  };

  const measure = (fn: (i: number) => number, count: number) => {
    let matched = 0;
    for (let i = 0; i < 300; i++) matched += fn(i); // warm-up (JIT)
    const samples: number[] = [];
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      matched += fn(i);
      samples.push(performance.now() - t);
    }
    if (matched === 0) throw new Error('the benchmark rules matched nothing: the scenario is broken');
    return { ms: performance.now() - start, samples };
  };
  const count = opts.quick ? 1000 : 5000;
  opts.progress?.(`rule-eval: ${ruleCount} rules, ${count} users`);
  const floor = measure(predicatesOnly, count);
  const full = measure(evaluate, count);
  const result = row(
    `rule-eval-${ruleCount}-rules`,
    count,
    full.ms,
    full.samples,
    count / (floor.ms / 1000),
    '',
    `ops = users evaluated against all ${ruleCount} rules (stored doc -> SCIM subject -> predicates); floor = the predicates alone on ready subjects`,
  );
  result.target = `p50 < 1 ms per user: ${result.p50Ms < 1 ? 'ok' : 'MISSED'}`;
  return result;
}

// ---- shared set-up --------------------------------------------------------------------------

interface Scope {
  db: Database;
  config: Config;
  tenantId: string;
}

async function withScope<T>(opts: SyncBenchOptions, name: string, fn: (scope: Scope) => Promise<T>): Promise<T> {
  const runId = randomBytes(4).toString('hex');
  const url = new URL(opts.mongoUri);
  url.pathname = `/syncbench_${name}_${runId}`;
  const config = loadConfig({
    MONGODB_URI: url.toString(),
    REDIS_URL: opts.redisUrl,
    ADMIN_JWT_SECRET: randomBytes(32).toString('hex'),
    QUEUE_PREFIX: `syncbench${runId}`,
    LOG_LEVEL: 'error',
  });
  const db = await connectDatabase(config.mongodbUri);
  const tenantId = newId('ten');
  const now = new Date();
  await db.models.Tenant.collection.insertOne({ _id: tenantId, name: `bench ${runId}`, nameLower: `bench ${runId}`, createdAt: now, updatedAt: now } as never);
  try {
    return await fn({ db, config, tenantId });
  } finally {
    await obliterate(opts.redisUrl, config.queue.prefix).catch(() => undefined);
    await db.connection.dropDatabase().catch(() => undefined);
    await db.close();
  }
}

async function obliterate(redisUrl: string, prefix: string): Promise<void> {
  const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(SYNC_QUEUE, { connection, prefix: queuePrefix(prefix) });
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
}

/** Users as the SCIM API stores them; `pending` leaves their outbox marks set (as right after a push). */
async function seedUsers(scope: Scope, count: number, pending: boolean, progress?: (m: string) => void): Promise<string[]> {
  const registry = loadSchemaRegistry();
  const ids: string[] = [];
  const now = new Date();
  for (let start = 0; start < count; start += 1000) {
    const docs: UserDoc[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) docs.push(storedUser(registry, scope.tenantId, i, now, pending));
    await scope.db.models.User.collection.insertMany(docs as never[], { ordered: false });
    ids.push(...docs.map((d) => d._id));
    if (ids.length % 20_000 === 0 || ids.length === count) progress?.(`seeded ${ids.length}/${count} users`);
  }
  return ids;
}

async function internalGroup(scope: Scope, name: string): Promise<string> {
  const doc = newInternalGroupDoc(scope.tenantId, name);
  await scope.db.models.Group.collection.insertOne(doc as never);
  return doc._id;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- 2. a rule change over N users ---------------------------------------------------------

async function benchRuleChange(opts: SyncBenchOptions): Promise<SyncBenchRow> {
  const users = opts.ruleChangeUsers ?? (opts.quick ? 5_000 : 100_000);
  return withScope(opts, 'rulechange', async (scope) => {
    const { models } = scope.db;
    opts.progress?.(`rule-change: seeding ${users} users`);
    // Without pending marks: only the rule's run is measured.
    await seedUsers(scope, users, false, (m) => opts.progress?.(`rule-change: ${m}`));
    const expression = 'department in "Sales","Support","Engineering"';
    const registry = loadSchemaRegistry();

    // Floor: the same find with the compiled query, then one bulk write of the result.
    const floorGroup = await internalGroup(scope, 'floor');
    opts.progress?.('rule-change: floor (find + one bulk write)');
    const floorStart = performance.now();
    const compiled = compileRule(registry.view('User'), expression);
    const { query } = ruleMongoQuery(compiled, { tenantId: scope.tenantId });
    const matched = await models.User.collection.find({ $and: [query, { 'attrs.active': { $ne: false } }] } as never, { projection: { _id: 1 } }).toArray();
    const now = new Date();
    await models.Membership.collection.insertMany(
      matched.map((u) => ({
        _id: `${floorGroup}|${String(u._id)}`,
        tenantId: scope.tenantId,
        groupId: floorGroup,
        userId: String(u._id),
        role: 'member',
        sources: ['rule:floor'],
        createdAt: now,
        updatedAt: now,
      })) as never[],
      { ordered: false },
    );
    const floorMs = performance.now() - floorStart;
    await models.Membership.collection.deleteMany({ groupId: floorGroup });
    opts.progress?.(`rule-change: floor ${matched.length} matches in ${floorMs.toFixed(0)} ms`);

    // The product: create the rule through the rules service; the worker runs it.
    const target = await internalGroup(scope, 'target');
    const worker = startSyncWorker(scope.config, scope.db, silentLogger, { concurrency: 2, sweepIntervalSeconds: 3600 });
    const producer = createJobProducer(scope.config.redisUrl, scope.config.queue.prefix, silentLogger);
    try {
      const service = new RulesService({ models, registry, producer, logger: silentLogger });
      opts.progress?.('rule-change: rule created; waiting for the full run');
      const start = performance.now();
      const rule = await service.create({ tenantId: scope.tenantId, actor: { type: 'admin', id: 'bench' } }, { name: 'bench', expression, targetGroupId: target });
      let doc: SyncedRuleDoc | null = null;
      for (;;) {
        doc = (await models.Rule.collection.findOne({ _id: rule.id } as never)) as SyncedRuleDoc | null;
        if (doc?.lastRun?.version === 1) break;
        await sleep(50);
      }
      const convergeMs = performance.now() - start;
      if (doc.lastRun?.added !== matched.length) throw new Error(`the run added ${doc.lastRun?.added}, the floor found ${matched.length}`);
      opts.progress?.(`rule-change: converged in ${convergeMs.toFixed(0)} ms (${doc.lastRun.added} added; the run itself ${doc.lastRun.durationMs} ms)`);
      const result = row(
        `rule-change-${users}-users`,
        users,
        convergeMs,
        [convergeMs],
        users / (floorMs / 1000),
        '',
        `ops = users covered per second, from the API write to the end of the run (${matched.length} added, audited, progress saved per 1,000); p50/p99 = the one run's time; floor = the same find + one bulk insert`,
      );
      result.target = `within 2x the floor: ${result.ratio <= 2 ? 'ok' : 'MISSED'}`;
      return result;
    } finally {
      await producer.close();
      await worker.close();
    }
  });
}

// ---- 3. user.changed jobs per second -------------------------------------------------------

type AnyJob = Job<JobPayloads[JobName], unknown, JobName>;

/** Adds the jobs, waits until `total` more have completed, and returns the wall time and per-job processing times. */
async function runJobs(queue: Queue, jobs: { name: JobName; data: JobPayloads[JobName] }[]): Promise<{ ms: number; samples: number[] }> {
  const total = jobs.length;
  const before = (await queue.getJobCounts('completed')).completed ?? 0;
  const start = performance.now();
  for (let i = 0; i < jobs.length; i += 500) {
    await queue.addBulk(jobs.slice(i, i + 500).map((j) => ({ name: j.name, data: j.data, opts: jobOptions(j.name, j.data) })));
  }
  for (;;) {
    const counts = await queue.getJobCounts('completed', 'failed');
    if ((counts.failed ?? 0) > 0) throw new Error(`${counts.failed} jobs failed`);
    if ((counts.completed ?? 0) - before >= total) break;
    await sleep(20);
  }
  const ms = performance.now() - start;
  const done = (await queue.getCompleted(0, total - 1)) as AnyJob[];
  const samples = done.map((j) => (j.finishedOn ?? 0) - (j.processedOn ?? 0)).filter((d) => d >= 0);
  return { ms, samples };
}

async function benchUserJobs(opts: SyncBenchOptions): Promise<SyncBenchRow[]> {
  const total = opts.jobs ?? (opts.quick ? 500 : 5_000);
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  return withScope(opts, 'userjobs', async (scope) => {
    const { models } = scope.db;
    const ruleCount = 100;
    opts.progress?.(`user-jobs: seeding ${total} users and ${ruleCount} rules`);
    const userIds = await seedUsers(scope, total, true);
    const targets = await Promise.all(Array.from({ length: 10 }, (_, g) => internalGroup(scope, `target ${g}`)));
    // Rules inserted as already applied (no pending run): the jobs alone are measured.
    const now = new Date();
    const rules: SyncedRuleDoc[] = selectiveRuleTexts(ruleCount).map((expression, i) => ({
      _id: newId('rul'),
      tenantId: scope.tenantId,
      kind: 'rule',
      name: `rule ${i}`,
      expression,
      targetGroupId: targets[i % targets.length] as string,
      enabled: true,
      priority: i,
      version: 1,
      sync: { version: 1 },
      createdAt: now,
      updatedAt: now,
    }));
    await models.Rule.collection.insertMany(rules as never[]);
    await bumpRuleSetVersion(models, scope.tenantId);

    const connection = new IORedis(scope.config.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(SYNC_QUEUE, { connection, prefix: queuePrefix(scope.config.queue.prefix) });
    const floorPrefix = `${scope.config.queue.prefix}floor`;
    const floorQueue = new Queue(SYNC_QUEUE, { connection, prefix: queuePrefix(floorPrefix) });
    const jobs = userIds.map((userId) => ({ name: 'user.changed' as const, data: { tenantId: scope.tenantId, userId, version: 1, reason: 'patched' as const } }));
    try {
      opts.progress?.(`user-jobs: floor (BullMQ, empty processor, concurrency ${concurrency})`);
      const floorConnection = new IORedis(scope.config.redisUrl, { maxRetriesPerRequest: null });
      const floorWorker = new Worker(SYNC_QUEUE, async () => undefined, { connection: floorConnection, prefix: queuePrefix(floorPrefix), concurrency });
      const floor = await runJobs(floorQueue, jobs);
      await floorWorker.close();
      floorConnection.disconnect();
      await floorQueue.obliterate({ force: true });
      const floorOpsPerSec = total / (floor.ms / 1000);

      const worker = startSyncWorker(scope.config, scope.db, silentLogger, { concurrency, sweepIntervalSeconds: 3600 });
      let assigning: { ms: number; samples: number[] };
      let steady: { ms: number; samples: number[] };
      try {
        opts.progress?.(`user-jobs: ${total} user.changed jobs, first evaluation (memberships are created)`);
        assigning = await runJobs(queue, jobs);
        const memberships = await models.Membership.collection.countDocuments({ tenantId: scope.tenantId });
        if (memberships === 0) throw new Error('the jobs added no membership: the scenario is broken');
        opts.progress?.(`user-jobs: ${memberships} memberships; again, as after a change no rule reads (nothing to write but the acknowledgement)`);
        await models.User.collection.updateMany({ tenantId: scope.tenantId }, { $set: { 'sync.pendingSince': new Date() } });
        steady = await runJobs(queue, jobs);
      } finally {
        await worker.close();
      }
      const note = (what: string) =>
        `ops = user.changed jobs/s end to end (enqueue -> ${what}), ${ruleCount} rules, concurrency ${concurrency}; p50/p99 = processing time per job; floor = BullMQ with an empty processor`;
      return [
        row('user-changed-jobs', total, steady.ms, steady.samples, floorOpsPerSec, 'reported beside the floor', note('evaluate every rule, diff, acknowledge; memberships already right')),
        row(
          'user-changed-jobs-assigning',
          total,
          assigning.ms,
          assigning.samples,
          floorOpsPerSec,
          'reported beside the floor',
          note('evaluate, add the memberships matched rules give, audit, acknowledge'),
        ),
      ];
    } finally {
      await queue.close();
      await floorQueue.close();
      connection.disconnect();
    }
  });
}

// ---- entry points ---------------------------------------------------------------------------

/** Runs the sync scenarios in order; each cleans up after itself. */
export async function runSyncBenchmarks(opts: SyncBenchOptions): Promise<SyncBenchRow[]> {
  const only = new Set<SyncScenario>(opts.only ?? ['rule-eval', 'rule-change', 'user-jobs']);
  const rows: SyncBenchRow[] = [];
  if (only.has('rule-eval')) rows.push(benchRuleEvaluation(opts));
  if (only.has('rule-change')) rows.push(await benchRuleChange(opts));
  if (only.has('user-jobs')) rows.push(...(await benchUserJobs(opts)));
  return rows;
}

export function formatSyncTable(rows: readonly SyncBenchRow[]): string {
  const header = ['scenario', 'ops/s', 'p50 ms', 'p99 ms', 'floor ops/s', 'ratio', 'target'];
  const cells = rows.map((r) => [r.scenario, String(r.opsPerSec), String(r.p50Ms), String(r.p99Ms), String(r.baselineOpsPerSec), r.ratio.toFixed(2), r.target]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((r) => (r[c] ?? '').length)));
  const line = (cols: string[]) => cols.map((v, c) => (c === 0 || c === cols.length - 1 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  return [
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map(line),
    '',
    "ratio = floor ops/s ÷ ops/s (2.00 = half the floor's speed).",
    ...rows.map((r) => `  ${r.scenario}: ${r.note}`),
  ].join('\n');
}
