import { randomBytes } from 'node:crypto';
import { newInternalGroupDoc } from '../src/domain/groups/group-record';
import type { GroupDoc, MembershipDoc, Models, ResourceGrantDoc, RoleAssignmentDoc, RoleDoc, UserDoc } from '../src/persistence/models';
import { newId } from '../src/persistence/ids';
import { createTenant } from '../src/domain/tenants';
import { AccessEvents } from '../src/domain/access-events';
import { CATALOG, findTarget } from '../src/domain/permissions/catalog';
import { PermissionEngine } from '../src/domain/permissions/engine';
import { implies, levelRank, type Action, type Level } from '../src/domain/permissions/levels';
import { assertDependencies, normalizePrivileges, type Privilege } from '../src/domain/permissions/privileges';
import { membershipId } from '../src/persistence/memberships-repository';
import { percentile, runLoad } from './load';

/**
 * Benchmark of `authorize` (issue 5): throughput and latency with 10,000 groups in a 5-level
 * hierarchy and 100 roles, beside a floor measured in the same run with the same questions: a
 * precomputed in-memory lookup (user → target/resource → level), i.e. what an answer costs with no
 * database and no cache bookkeeping at all.
 *
 * Scenarios (each row's baseline is that floor):
 * - authorize-cached: the domain `authorize` in-process on a warm cache. Each call still reads the
 *   tenant's access version (one `_id` lookup, coalesced across concurrent callers): that read is
 *   what keeps replicas exact, and it dominates the cost.
 * - authorize-first-ask: each user's first question on a fresh engine whose grant data is loaded:
 *   the user's memberships are read (index-served on MongoDB; a scan on the embedded server,
 *   which builds no secondary index).
 * - grant-data-load: the very first question on a fresh engine, which also loads the tenant's grant
 *   data (all groups, roles, role assignments and resource grants: four tenant-wide reads). One
 *   sample, so its p50 = p99 = that load's duration.
 * - access-version-read: the version read alone, to show how much of authorize-cached it is.
 * - authorize-http (when `http` is given): POST /admin/v1/authorize on a running API server.
 */
export interface AuthorizeBenchOptions {
  models: Models;
  groups?: number;
  depth?: number;
  roles?: number;
  /**
   * Users asking (default 200), each in `groupsPerUser` random groups (default 3). A user's first
   * question reads their memberships: index-served on MongoDB, a scan on the embedded server,
   * which is why the default is modest and the benchmark wants a database of its own.
   */
  users?: number;
  groupsPerUser?: number;
  agents?: number;
  /** Time bound of each measured run. */
  durationSeconds?: number;
  /** Questions in flight at once. */
  concurrency?: number;
  /** Upper bound on questions per run. */
  maxOps?: number;
  progress?: (message: string) => void;
  /** Also measure over HTTP: an API server on the same database, and an admin token for a tenant id. */
  http?: { port: number; token: (tenantId: string) => string };
}

export interface AuthorizeBenchResult {
  scenario: string;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  baselineOpsPerSec: number;
  /** baseline ops/s ÷ scenario ops/s (how many times more work per answer than the floor). */
  ratio: number;
}

interface Question {
  userId: string;
  action: Action;
  target?: string;
  resource?: string;
}

interface Measured {
  ops: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

const CHUNK = 2000;

/** Deterministic pseudo-random numbers, so two runs seed the same shapes. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

async function insertChunks(collection: Models['Group']['collection'], docs: readonly object[]): Promise<void> {
  for (let i = 0; i < docs.length; i += CHUNK) await collection.insertMany(docs.slice(i, i + CHUNK), { ordered: false });
}

interface Seeded {
  tenantId: string;
  userIds: string[];
  agentIds: string[];
  /** The floor: every user's level per target and per resource, computed here independently of the engine. */
  floor: Map<string, Map<string, Level>>;
}

/** Targets without dependencies, so random roles are always valid. */
const FREE_TARGETS = CATALOG.targets.filter((t) => t.dependencies.length === 0 && !CATALOG.targets.some((o) => o.dependencies.some((d) => d.requires.some((r) => r.target === t.name))));

async function seed(
  opts: Required<Pick<AuthorizeBenchOptions, 'groups' | 'depth' | 'roles' | 'users' | 'groupsPerUser' | 'agents'>> & { models: Models; progress: (m: string) => void },
): Promise<Seeded> {
  const { models, progress } = opts;
  const random = rng(20260611);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const runId = randomBytes(4).toString('hex');
  const { tenantId } = await createTenant(models, `bench-authorize-${runId}`);
  const now = new Date();

  const roles: RoleDoc[] = [];
  for (let i = 0; i < opts.roles; i++) {
    const chosen = new Map<string, Level>();
    const count = 3 + Math.floor(random() * 4);
    while (chosen.size < count) {
      const t = pick(FREE_TARGETS);
      chosen.set(t.name, pick(t.levels.filter((l) => l !== 'hide')));
    }
    const privileges = normalizePrivileges([...chosen].map(([target, level]) => ({ target, level })));
    assertDependencies(privileges);
    const name = `Bench role ${i}`;
    roles.push({ _id: newId('rol'), tenantId, name, nameLower: name.toLowerCase(), privileges, createdAt: now, updatedAt: now });
  }
  await insertChunks(models.Role.collection, roles);

  // Groups spread evenly over `depth` levels; each group below the top hangs under a random group one level up.
  const levels: string[][] = Array.from({ length: opts.depth }, () => []);
  const parentOf = new Map<string, string>();
  const groups: GroupDoc[] = [];
  for (let i = 0; i < opts.groups; i++) {
    const level = Math.min(opts.depth - 1, Math.floor((i * opts.depth) / opts.groups));
    const id = newId('grp');
    const name = `bench-group-${runId}-${i}`;
    const doc = newInternalGroupDoc(tenantId, name, { description: '' }, id);
    if (level > 0) {
      const parent = pick(levels[level - 1]!);
      doc.parentId = parent;
      parentOf.set(id, parent);
    }
    levels[level]!.push(id);
    groups.push(doc);
  }
  await insertChunks(models.Group.collection, groups);
  progress(`seeded ${opts.roles} roles and ${opts.groups} groups over ${opts.depth} levels`);

  // One role per group; a fifth of the groups also get an agent.
  const roleOfGroup = new Map<string, RoleDoc>();
  const assignments: RoleAssignmentDoc[] = groups.map((g) => {
    const role = pick(roles);
    roleOfGroup.set(g._id, role);
    return { _id: `${g._id}|${role._id}`, tenantId, roleId: role._id, groupId: g._id, createdAt: now };
  });
  await insertChunks(models.RoleAssignment.collection, assignments);
  const agentIds = Array.from({ length: opts.agents }, () => newId('agt'));
  await insertChunks(
    models.Resource.collection,
    agentIds.map((id, i) => ({ _id: id, tenantId, type: 'agent', name: `Bench agent ${i}`, createdAt: now, updatedAt: now })),
  );
  const grantOfGroup = new Map<string, { resourceId: string; level: Level }>();
  const grants: ResourceGrantDoc[] = [];
  for (const g of groups) {
    if (random() >= 0.2) continue;
    const grant = { resourceId: pick(agentIds), level: pick<Level>(['view', 'edit']) };
    grantOfGroup.set(g._id, grant);
    grants.push({ _id: `${g._id}|${grant.resourceId}`, tenantId, groupId: g._id, resourceId: grant.resourceId, resourceType: 'agent', level: grant.level, createdAt: now });
  }
  await insertChunks(models.ResourceGrant.collection, grants);
  progress(`seeded ${assignments.length} role assignments, ${agentIds.length} agents, ${grants.length} agent grants`);

  const userIds: string[] = [];
  const users: UserDoc[] = [];
  const memberships: MembershipDoc[] = [];
  const floor = new Map<string, Map<string, Level>>();
  for (let i = 0; i < opts.users; i++) {
    const id = newId('usr');
    const userName = `bench.authorize.${i}@bench.example.com`;
    users.push({ _id: id, tenantId, attrs: { userName, active: true }, lc: { userName }, version: 1, sync: { version: 1 }, createdAt: now, updatedAt: now });
    userIds.push(id);
    const mine = new Set<string>();
    while (mine.size < opts.groupsPerUser) mine.add(pick(groups)._id);
    const levelsOf = new Map<string, Level>();
    const raise = (key: string, level: Level) => {
      const have = levelsOf.get(key);
      if (!have || levelRank(level) > levelRank(have)) levelsOf.set(key, level);
    };
    for (const g of mine) {
      memberships.push({ _id: membershipId(g, id), tenantId, groupId: g, userId: id, role: 'member', sources: ['manual'], createdAt: now, updatedAt: now });
      for (let cur: string | undefined = g; cur; cur = parentOf.get(cur)) {
        for (const p of roleOfGroup.get(cur)!.privileges as Privilege[]) raise(p.target, p.level);
        const grant = grantOfGroup.get(cur);
        if (grant) raise(`resource:${grant.resourceId}`, grant.level);
      }
    }
    floor.set(id, levelsOf);
  }
  await insertChunks(models.User.collection, users);
  await insertChunks(models.Membership.collection, memberships);
  progress(`seeded ${opts.users} users in ${opts.groupsPerUser} groups each`);
  return { tenantId, userIds, agentIds, floor };
}

/** Closed loop: `concurrency` workers ask one question each, await the answer, ask the next. */
async function measure(concurrency: number, maxOps: number, maxDurationMs: number, op: (i: number) => unknown): Promise<Measured> {
  const latencies: number[] = [];
  let issued = 0;
  const started = performance.now();
  const worker = async () => {
    while (issued < maxOps && performance.now() - started < maxDurationMs) {
      const i = issued++;
      const t0 = performance.now();
      await op(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length, opsPerSec: latencies.length / (elapsed / 1000), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

function floorAnswer(floor: Seeded['floor'], q: Question): boolean {
  const levels = floor.get(q.userId);
  const key = q.target ?? `resource:${q.resource}`;
  const level = levels?.get(key);
  if (level && implies(level, q.action)) return true;
  if (q.resource) {
    const typeWide = levels?.get('agent');
    return !!typeWide && implies(typeWide, q.action);
  }
  return false;
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

function row(scenario: string, m: Measured, floor: Measured): AuthorizeBenchResult {
  return {
    scenario,
    opsPerSec: round(m.opsPerSec, 1),
    p50Ms: round(m.p50Ms, 4),
    p99Ms: round(m.p99Ms, 4),
    baselineOpsPerSec: round(floor.opsPerSec, 1),
    ratio: round(floor.opsPerSec / m.opsPerSec, 2),
  };
}

export async function runAuthorizeBenchmark(options: AuthorizeBenchOptions): Promise<AuthorizeBenchResult[]> {
  const progress = options.progress ?? (() => undefined);
  const concurrency = options.concurrency ?? 8;
  const maxOps = options.maxOps ?? 200_000;
  const maxDurationMs = (options.durationSeconds ?? 5) * 1000;
  const data = await seed({
    models: options.models,
    progress,
    groups: options.groups ?? 10_000,
    depth: options.depth ?? 5,
    roles: options.roles ?? 100,
    users: options.users ?? 200,
    groupsPerUser: options.groupsPerUser ?? 3,
    agents: options.agents ?? 200,
  });
  const { tenantId, userIds, agentIds, floor } = data;

  const random = rng(7);
  const actions: Action[] = ['view', 'edit', 'create', 'delete'];
  const targetNames = FREE_TARGETS.map((t) => t.name);
  const questions: Question[] = Array.from({ length: 10_000 }, () => {
    const userId = userIds[Math.floor(random() * userIds.length)]!;
    const action = actions[Math.floor(random() * actions.length)]!;
    return random() < 0.2 ? { userId, action, resource: agentIds[Math.floor(random() * agentIds.length)]! } : { userId, action, target: targetNames[Math.floor(random() * targetNames.length)]! };
  });
  const question = (i: number) => questions[i % questions.length]!;

  // A private event bus: this engine stands alone, as one API process would.
  const engine = new PermissionEngine(options.models, new AccessEvents());
  try {
    // The engine and the independently computed floor must agree before anything is timed.
    let allowed = 0;
    for (const q of questions.slice(0, 500)) {
      const decision = await engine.authorize(tenantId, q);
      const expected = floorAnswer(floor, q) && findTarget(q.target ?? 'agent')!.levels.includes(q.action);
      if (decision.allowed !== expected) throw new Error(`authorize disagrees with the floor on ${JSON.stringify(q)}: ${JSON.stringify(decision.reason)}`);
      if (decision.allowed) allowed++;
    }
    progress(`verified 500 answers against the floor (${allowed} allowed)`);

    const floorRun = await measure(concurrency, maxOps * 10, maxDurationMs, (i) => floorAnswer(floor, question(i)));
    progress(`floor (precomputed in-memory lookup): ${Math.round(floorRun.opsPerSec)} ops/s`);

    // Warm every user (untimed): this scenario is the steady state of a warm cache.
    await measure(concurrency, userIds.length, 30 * 60_000, (i) => engine.effectiveFor(tenantId, userIds[i]!));
    const cached = await measure(concurrency, maxOps, maxDurationMs, (i) => engine.authorize(tenantId, question(i)));
    progress(`authorize-cached: ${Math.round(cached.opsPerSec)} ops/s, p99 ${cached.p99Ms.toFixed(3)} ms`);

    // A fresh engine: the first question loads the tenant's grant data (timed on its own), then
    // every other user's first question reads only that user's memberships.
    const cold = new PermissionEngine(options.models, new AccessEvents());
    let grantLoad: Measured;
    let firstAsk: Measured;
    try {
      grantLoad = await measure(1, 1, 30 * 60_000, () => cold.authorize(tenantId, { userId: userIds[0]!, action: 'view', target: 'Ticket' }));
      progress(`grant-data-load (first question on a fresh engine): ${grantLoad.p50Ms.toFixed(1)} ms`);
      firstAsk = await measure(concurrency, userIds.length - 1, maxDurationMs, (i) => cold.authorize(tenantId, { userId: userIds[i + 1]!, action: 'view', target: 'Ticket' }));
    } finally {
      cold.close();
    }
    progress(`authorize-first-ask: ${Math.round(firstAsk.opsPerSec)} ops/s, p99 ${firstAsk.p99Ms.toFixed(3)} ms`);

    const versionOnly = await measure(concurrency, maxOps, maxDurationMs, () => options.models.Tenant.collection.findOne({ _id: tenantId } as never, { projection: { accessVersion: 1 } }));
    progress(`access-version-read: ${Math.round(versionOnly.opsPerSec)} ops/s`);

    const results = [
      row('authorize-cached', cached, floorRun),
      row('authorize-first-ask', firstAsk, floorRun),
      row('grant-data-load', grantLoad, floorRun),
      row('access-version-read', versionOnly, floorRun),
    ];

    if (options.http) {
      const token = options.http.token(tenantId);
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const ask = (q: Question) => ({ method: 'POST' as const, path: '/admin/v1/authorize', headers, body: JSON.stringify(q), expectStatus: 200 });
      // Warm the server's cache with every user first (untimed), as authorize-cached is measured warm.
      await runLoad({ port: options.http.port, concurrency, maxOps: userIds.length, maxDurationMs: 30 * 60_000, warmupOps: 0, request: (i) => ask({ ...question(i), userId: userIds[i]! }) });
      const load = await runLoad({ port: options.http.port, concurrency, maxOps, maxDurationMs, warmupOps: 200, request: (i) => ask(question(i)) });
      progress(`authorize-http: ${Math.round(load.opsPerSec)} ops/s, p99 ${load.p99Ms.toFixed(3)} ms`);
      results.push(row('authorize-http', load, floorRun));
    }
    return results;
  } finally {
    engine.close();
  }
}

/** The results as a text table for the benchmark's report (stdout). */
export function formatAuthorizeTable(results: readonly AuthorizeBenchResult[]): string {
  const header = ['scenario', 'ops/s', 'p50 ms', 'p99 ms', 'floor ops/s', 'floor ÷ ops/s'];
  const rows = results.map((r) => [r.scenario, r.opsPerSec.toFixed(1), r.p50Ms.toFixed(3), r.p99Ms.toFixed(3), r.baselineOpsPerSec.toFixed(0), r.ratio.toFixed(1)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
