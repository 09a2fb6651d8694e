/**
 * `npm run bench [-- options]`: SCIM endpoint throughput and latency against a bare baseline
 * (express + the same database operation), on the local services or the ones MONGODB_URI /
 * REDIS_URL name. Progress goes to stderr; the results table to stdout; --json FILE writes the
 * figures as a JSON list. See docs/benchmarks.md for what the figures mean and what limits them.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { connectDatabase, type Database } from '../src/persistence/mongo';
import { loadSchemaRegistry } from '../src/attributes/registry';
import { createTenant } from '../src/domain/tenants';
import { stopLocalServices, useLocalServices } from '../src/local-env';
import { SYNC_QUEUE, queuePrefix } from '../src/queue/jobs';
import { parseArgs, resolveOptions, USAGE, UsageError, type Backend, type BenchOptions } from './options';
import { probe, runLoad } from './load';
import { seedGroup, seedMemberships, seedUsers } from './seed';
import { buildScenarios, SCENARIO_ORDER, SMALL_GROUP_SIZE, type BenchData, type Scenario } from './scenarios';
import { formatTable, toResults, type ScenarioRun, type SideResult } from './report';
import { startServers, type Servers } from './servers';
import { formatAuthorizeTable, runAuthorizeBenchmark } from './authorize';
import { formatSyncTable, runSyncBenchmarks } from './sync';
import { formatImportTable, runImportBenchmark } from './import';

const started = Date.now();
const progress = (message: string) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);

/** Index used for the one-off verification request, outside the range the load generator uses. */
const PROBE_INDEX = 999_999_999;

function withDatabase(uri: string, dbName: string): string {
  const url = new URL(uri);
  url.pathname = `/${dbName}`;
  return url.toString();
}

async function describeServer(db: Database): Promise<{ backend: Backend; text: string }> {
  const info = (await db.connection.db!.admin().command({ buildInfo: 1 })) as { version?: string; gitVersion?: string };
  // mongo-java-server answers buildInfo with a version only; every MongoDB build names its commit.
  return info.gitVersion ? { backend: 'mongodb', text: `MongoDB ${info.version}` } : { backend: 'embedded', text: `embedded mongo-java-server (reports MongoDB ${info.version})` };
}

type SeededData = Omit<BenchData, 'token' | 'deleteMemberships'>;

/** Users, the 10-member group, the (still empty) large group and the groups to PATCH. */
async function seedBase(db: Database, opts: BenchOptions, tenantId: string, runId: string): Promise<SeededData> {
  const registry = loadSchemaRegistry();
  const userIds = await seedUsers(db.models, registry, tenantId, opts.users, (m) => progress(`seeding ${m}`));
  const smallGroupId = await seedGroup(db.models, registry, tenantId, `bench-small-${runId}`);
  await seedMemberships(db.models, tenantId, smallGroupId, userIds, SMALL_GROUP_SIZE, () => undefined);
  const largeGroupId = await seedGroup(db.models, registry, tenantId, `bench-large-${runId}`);
  const patchGroupIds: string[] = [];
  for (let i = 0; i <= opts.patchOps; i++) patchGroupIds.push(await seedGroup(db.models, registry, tenantId, `bench-patch-${runId}-${i}`));
  progress(`seeded ${opts.users} users, a group of ${SMALL_GROUP_SIZE} members, ${patchGroupIds.length} empty groups to PATCH`);
  return { userCount: opts.users, userIds, smallGroupId, largeGroupId, patchGroupIds, runId };
}

/** CPU the idle server process uses per second (connection pool heartbeats, timers, GC). */
async function idleCpuRate(servers: Servers, ms = 3000): Promise<number> {
  const before = await servers.cpuMs();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ((await servers.cpuMs()) - before) / (ms / 1000);
}

async function measure(scenario: Scenario, servers: Servers, idleCpuMsPerSec: number): Promise<ScenarioRun> {
  const agent = new http.Agent({ keepAlive: false });
  try {
    if (scenario.verify) {
      const problem = scenario.verify(await probe(agent, servers.scimPort, scenario.scim(PROBE_INDEX)));
      if (problem) throw new Error(`${scenario.name}: the SCIM response is not the expected one: ${problem}`);
      await probe(agent, servers.baselinePort, scenario.baseline(PROBE_INDEX));
    }
  } finally {
    agent.destroy();
  }
  const plan = { concurrency: scenario.concurrency, maxOps: scenario.maxOps, maxDurationMs: scenario.maxDurationMs, warmupOps: scenario.warmupOps };
  const side = async (label: string, port: number, request: Scenario['scim'], reset: Scenario['scimReset']): Promise<SideResult> => {
    progress(`${scenario.name}: ${label} (${scenario.concurrency} in flight)`);
    let cpuAtStart = NaN;
    let cpuUsed = NaN;
    let wallAtStart = NaN;
    let wallMs = NaN;
    const result = await runLoad({
      ...plan,
      port,
      request,
      reset,
      onMeasured: async (event) => {
        if (event === 'start') {
          cpuAtStart = await servers.cpuMs();
          wallAtStart = performance.now();
        } else {
          cpuUsed = (await servers.cpuMs()) - cpuAtStart;
          wallMs = performance.now() - wallAtStart;
        }
      },
    });
    // Less what the idle process burns meanwhile (timers, GC): it matters when requests take seconds.
    const serverCpuMsPerOp = Math.max(0, cpuUsed - idleCpuMsPerSec * (wallMs / 1000)) / result.ops;
    progress(`${scenario.name}: ${label} ${result.ops} ops, ${result.opsPerSec.toFixed(1)} ops/s, p50 ${result.p50Ms.toFixed(2)} ms, server CPU ${serverCpuMsPerOp.toFixed(2)} ms/op`);
    return { ...result, serverCpuMsPerOp };
  };
  const baseline = await side('baseline', servers.baselinePort, scenario.baseline, scenario.baselineReset);
  const scim = await side('SCIM', servers.scimPort, scenario.scim, scenario.scimReset);
  return { name: scenario.name, description: scenario.description, singleResource: scenario.singleResource, scim, baseline };
}

/**
 * User reads first, on the seeded users; PATCH before create-user grows the users collection its
 * member check reads; the large group's memberships last, before the two group GETs (the embedded
 * server builds no secondary index, so a user's representation reads memberships by scanning).
 */
const USER_PHASE = ['get-user-by-userName-filter', 'list-100-users', 'patch-group-add-members', 'create-user'];
const GROUP_PHASE = ['get-group-10-members', 'get-group-large-excluded-members'];

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (!args) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const cleanups: (() => Promise<void> | void)[] = [];
  // Once, in reverse order of set-up, whether the run ends, fails or is interrupted.
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      while (cleanups.length) {
        const step = cleanups.pop()!;
        await Promise.resolve()
          .then(step)
          .catch((err: unknown) => progress(`clean-up step failed: ${String(err)}`));
      }
    })());
  process.once('SIGINT', () => {
    progress('interrupted; cleaning up');
    void cleanUp().then(() => process.exit(130));
  });

  try {
    // Stop on the way out only what this run started.
    if (useLocalServices('start')) cleanups.push(() => stopLocalServices());
    const mongoUri = process.env.MONGODB_URI!;
    const redisUrl = process.env.REDIS_URL!;

    if (args.suite === 'sync') return await runSyncSuite(args, mongoUri, redisUrl);

    const runId = randomBytes(4).toString('hex');
    const dbName = `bench_${runId}`;
    const queuePrefixName = `bench${runId}`;
    const benchUri = withDatabase(mongoUri, dbName);

    const db = await connectDatabase(benchUri);
    cleanups.push(() => db.close());
    cleanups.push(async () => {
      progress(`dropping database ${dbName}`);
      await db.connection.dropDatabase();
    });
    const server = await describeServer(db);
    let opts: BenchOptions;
    try {
      opts = resolveOptions(args);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    progress(`database ${dbName} on ${server.text} at ${new URL(mongoUri).host}`);
    progress(`sizes ${JSON.stringify({ ...opts, jsonFile: undefined })}`);
    cleanups.push(async () => {
      // The API enqueued sync jobs under a prefix of this run's own; no worker consumes them.
      const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
      const queue = new Queue(SYNC_QUEUE, { connection, prefix: queuePrefix(queuePrefixName) });
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    });
    const tenant = await createTenant(db.models, `bench-${runId}`);
    const data: BenchData = {
      ...(await seedBase(db, opts, tenant.tenantId, runId)),
      token: tenant.scimToken,
      deleteMemberships: async (groupId) => {
        await db.models.Membership.collection.deleteMany({ groupId });
      },
    };

    const serverEnv = {
      MONGODB_URI: benchUri,
      REDIS_URL: redisUrl,
      ADMIN_JWT_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'error',
      QUEUE_PREFIX: queuePrefixName,
      SCIM_RATE_LIMIT_PER_MINUTE: '10000000',
      SCIM_MAX_BODY_BYTES: String(64 * 1024 * 1024),
    };
    const servers = await startServers({ tenantId: tenant.tenantId, env: serverEnv });
    cleanups.push(() => servers.close());
    progress(`servers listening: SCIM on 127.0.0.1:${servers.scimPort}, baseline on 127.0.0.1:${servers.baselinePort}`);
    const idleCpu = await idleCpuRate(servers);
    progress(`idle server process: ${idleCpu.toFixed(1)} ms CPU per second (subtracted from CPU ms/op)`);

    const scenarios = new Map(buildScenarios(opts, data).map((s) => [s.name, s]));
    const runs = new Map<string, ScenarioRun>();
    for (const name of USER_PHASE) runs.set(name, await measure(scenarios.get(name)!, servers, idleCpu));
    await seedMemberships(db.models, tenant.tenantId, data.largeGroupId, data.userIds, opts.groupSize, (m) => progress(`seeding large group ${m}`));
    for (const name of GROUP_PHASE) runs.set(name, await measure(scenarios.get(name)!, servers, idleCpu));
    const ordered = SCENARIO_ORDER.map((name) => runs.get(name)!);
    const results = toResults(ordered);

    const cpus = os.cpus();
    const load = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    process.stdout.write(
      [
        '',
        `SCIM benchmark, ${new Date().toISOString()}${opts.quick ? ' (--quick)' : ''}`,
        `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()} ${os.release()}; load average at the end ${load} (other processes share these cores)`,
        `database: ${server.text}; ${opts.users} users, large group ${opts.groupSize} members, PATCH adds ${opts.patchMembers}; ${opts.connections} in flight, runs ≤ ${opts.durationSeconds} s`,
        '',
        formatTable(ordered, results),
        '',
      ].join('\n'),
    );
    await servers.close();

    // An IdP's first import into a new tenant, on a database of its own (as a vendor's first trial
    // runs: the scenarios above leave 100,000 memberships the embedded server would scan).
    const importUri = withDatabase(mongoUri, `${dbName}_import`);
    const importDb = await connectDatabase(importUri);
    cleanups.push(() => importDb.close());
    cleanups.push(() => importDb.connection.dropDatabase());
    const importTenant = await createTenant(importDb.models, `bench-import-${runId}`);
    const importServers = await startServers({ tenantId: importTenant.tenantId, env: { ...serverEnv, MONGODB_URI: importUri } });
    cleanups.push(() => importServers.close());
    const imported = await runImportBenchmark({
      users: opts.importUsers,
      concurrency: 16,
      membersPerPatch: 100,
      durationSeconds: opts.durationSeconds,
      scimPort: importServers.scimPort,
      baselinePort: importServers.baselinePort,
      token: importTenant.scimToken,
      runId,
      progress: (m) => progress(m),
    });
    await importServers.close();
    process.stdout.write(`\n${formatImportTable(imported)}\n`);

    // Access control: authorize with 10,000 groups, 5 levels, 100 roles, on a database of its own
    // (the SCIM scenarios' large membership collection is scanned on the embedded server).
    const authzDb = await connectDatabase(withDatabase(mongoUri, `${dbName}_authz`));
    cleanups.push(() => authzDb.close());
    cleanups.push(() => authzDb.connection.dropDatabase());
    const authz = await runAuthorizeBenchmark({
      models: authzDb.models,
      durationSeconds: opts.durationSeconds,
      concurrency: opts.connections,
      ...(opts.quick ? { groups: 1000, users: 50, roles: 20 } : {}),
      progress: (m) => progress(`authorize: ${m}`),
    });
    process.stdout.write(`\nauthorize (${opts.quick ? '1,000 groups, 20 roles' : '10,000 groups, 5 levels, 100 roles'}; baseline = precomputed in-memory lookup)\n${formatAuthorizeTable(authz)}\n`);

    // Identity sync: rule evaluation, rule change over many users, user.changed jobs end to end.
    const sync = await runSyncBenchmarks(syncOptions(opts, mongoUri, redisUrl));
    process.stdout.write(`\nidentity sync (baseline = the raw floor of each scenario)\n${formatSyncTable(sync)}\n`);

    if (opts.jsonFile) {
      writeFileSync(opts.jsonFile, JSON.stringify([...results, { scenario: 'idp-first-import', ...imported }, ...authz, ...sync], null, 2) + '\n');
      progress(`wrote ${opts.jsonFile}`);
    }
    return 0;
  } finally {
    await cleanUp();
    progress(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

function syncOptions(opts: BenchOptions, mongoUri: string, redisUrl: string) {
  return {
    mongoUri,
    redisUrl,
    quick: opts.quick,
    progress: (m: string) => progress(`sync: ${m}`),
    ...(opts.ruleChangeUsers ? { ruleChangeUsers: opts.ruleChangeUsers } : {}),
    ...(opts.syncJobs ? { jobs: opts.syncJobs } : {}),
  };
}

/** `--suite sync`: the identity-sync scenarios alone (each on a database of its own). */
async function runSyncSuite(args: NonNullable<ReturnType<typeof parseArgs>>, mongoUri: string, redisUrl: string): Promise<number> {
  const opts = resolveOptions(args);
  const sync = await runSyncBenchmarks(syncOptions(opts, mongoUri, redisUrl));
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  process.stdout.write(`\nidentity sync, ${new Date().toISOString()}${opts.quick ? ' (--quick)' : ''}; load average at the end ${load}\n${formatSyncTable(sync)}\n`);
  if (opts.jsonFile) {
    writeFileSync(opts.jsonFile, JSON.stringify(sync, null, 2) + '\n');
    progress(`wrote ${opts.jsonFile}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
