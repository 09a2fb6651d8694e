import { once } from 'node:events';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { env, freePort, startApi, stopApi, type Api } from './crash-processes';
import { connectDatabase, type Database } from '../src/persistence/mongo';
import { createTenant } from '../src/domain/tenants';
import { silentLogger } from '../src/observability/logger';
import type { GroupDoc, UserDoc } from '../src/persistence/models';
import { createWorkerJobQueue } from '../workers/job-queue';
import { sweepPending } from '../workers/sweeper';
import { sequenceTenantFully } from '../src/domain/events/sequencer';
import { changeEventView } from '../src/domain/events/feed';
import { EventReplica } from '../src/domain/events/replica';
import type { ChangeEventDoc } from '../src/persistence/models';

/**
 * Crash test (scripts/crash-test.sh runs it on the built app): per trial, a fresh tenant, the API
 * as a process of its own, a burst of SCIM creates, PATCHes, PUTs and deletes from several lanes,
 * `kill -9` of the API at a random moment, a restart, the sweeper's recovery, and checks:
 *  - no membership whose user or group is gone;
 *  - every committed change audited exactly once: each user's and group's version equals its
 *    number of created/patched/replaced events (one per version), and every object created and
 *    gone has exactly one deleted event;
 *  - every group's members as its committed changes say: a lane sends one change at a time to its
 *    group, each changing something, so version v means the lane's first v-1 changes committed
 *    (at least those acknowledged, at most those sent) and the members are their replay;
 *  - nothing left pending (pending_changes, pendingMembers, pendingAudit);
 *  - the change-event feed (docs/events.md): every audit event sequenced, `seq` consecutive from 1,
 *    and the feed replayed from the start (EventReplica) equal to what is stored: every user's
 *    attributes and version, every IdP group's attributes and its `scim` members.
 * Each lane owns its objects and waits for each answer, so only its last request is uncertain.
 */

interface Options {
  trials: number;
  lanes: number;
  usersPerLane: number;
  killMinMs: number;
  killMaxMs: number;
  trialTimeoutMs: number;
  logDir: string;
}

function options(): Options {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  return {
    trials: arg('trials', 5),
    lanes: arg('lanes', 8),
    usersPerLane: arg('users-per-lane', 12),
    killMinMs: arg('kill-min-ms', 300),
    killMaxMs: arg('kill-max-ms', 4000),
    trialTimeoutMs: arg('trial-timeout-ms', 60_000),
    logDir: process.env.CRASH_LOG_DIR ?? process.cwd(),
  };
}

const log = (msg: string) => process.stdout.write(`[crash] ${msg}\n`);
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const sample = <T>(items: readonly T[], n: number): T[] => [...items].sort(() => Math.random() - 0.5).slice(0, Math.max(0, Math.min(n, items.length)));

// ---- the burst -----------------------------------------------------------------------------

type GroupOp = { kind: 'add' | 'remove'; users: string[] } | { kind: 'put'; users: string[]; name: string } | { kind: 'rename'; name: string };

interface LaneGroup {
  name: string;
  id?: string;
  initial: string[];
  ops: GroupOp[];
  acked: number;
  members: Set<string>;
  deleted: boolean;
}

interface Lane {
  index: number;
  users: string[];
  groups: LaneGroup[];
  requests: number;
  uncertain?: string;
}

class Dead extends Error {}

async function burst(api: Api, token: string, opts: Options, stopAt: { dead: boolean; killed: Promise<void> }, lanes: Lane[]): Promise<Lane[]> {
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    if (stopAt.dead) throw new Dead();
    // A request in flight when the API is killed has no answer, whatever the client library does
    // with the dead connection (undici was seen waiting on one past its abort timeout).
    const answer = (async () => {
      const res = await fetch(`${api.url}/scim/v2${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
      return { res, text: await res.text() };
    })();
    let res: Response;
    let text: string;
    try {
      ({ res, text } = await Promise.race([answer, stopAt.killed.then(() => Promise.reject(new Dead()))]));
    } catch {
      answer.catch(() => undefined);
      throw new Dead(); // no answer: the request may or may not have committed
    }
    if (res.status >= 500) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const expect2xx = (r: { status: number; json: Record<string, unknown> }, what: string) => {
    if (r.status < 200 || r.status > 299) throw new Error(`${what} answered ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`);
    return r;
  };
  const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
  const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';

  const runLane = async (lane: Lane) => {
    const alive = new Set<string>();
    let seq = 0;
    const createGroup = async () => {
      const g: LaneGroup = { name: `lane${lane.index}-g${lane.groups.length}`, initial: sample([...alive], 5), ops: [], acked: 0, members: new Set(), deleted: false };
      lane.groups.push(g);
      lane.uncertain = `POST /Groups ${g.name}`;
      lane.requests++;
      const r = expect2xx(await call('POST', '/Groups', { schemas: [GROUP_URN], displayName: g.name, members: g.initial.map((value) => ({ value })) }), 'POST /Groups');
      g.id = String(r.json.id);
      g.members = new Set(g.initial);
      return g;
    };
    try {
      for (let i = 0; i < opts.usersPerLane; i++) {
        lane.uncertain = `POST /Users #${i}`;
        lane.requests++;
        const r = expect2xx(await call('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `lane${lane.index}.u${i}@crash.test`, active: true }), 'POST /Users');
        lane.users.push(String(r.json.id));
        alive.add(String(r.json.id));
      }
      let group = await createGroup();
      for (;;) {
        const roll = Math.random();
        const members = [...group.members];
        const outside = [...alive].filter((u) => !group.members.has(u));
        if (roll < 0.1 && alive.size > 4) {
          const victim = pick([...alive]);
          lane.uncertain = `DELETE /Users/${victim}`;
          lane.requests++;
          expect2xx(await call('DELETE', `/Users/${victim}`), 'DELETE /Users');
          alive.delete(victim);
          for (const g of lane.groups) g.members.delete(victim);
        } else if (roll < 0.2) {
          const victim = pick([...alive]);
          lane.uncertain = `PATCH /Users/${victim}`;
          lane.requests++;
          expect2xx(await call('PATCH', `/Users/${victim}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: `t${seq++}` }] }), 'PATCH /Users');
        } else if (roll < 0.25) {
          lane.uncertain = `DELETE /Groups/${group.id}`;
          lane.requests++;
          expect2xx(await call('DELETE', `/Groups/${group.id}`), 'DELETE /Groups');
          group.deleted = true;
          group = await createGroup();
        } else {
          let op: GroupOp;
          if (roll < 0.55 && outside.length > 0) op = { kind: 'add', users: sample(outside, 1 + Math.floor(Math.random() * 6)) };
          else if (roll < 0.8 && members.length > 0) op = { kind: 'remove', users: sample(members, 1 + Math.floor(Math.random() * 3)) };
          else if (roll < 0.9) op = { kind: 'put', users: sample([...alive], 1 + Math.floor(Math.random() * 6)), name: `${group.name}-p${seq++}` };
          else op = { kind: 'rename', name: `${group.name}-r${seq++}` };
          group.ops.push(op);
          lane.uncertain = `${op.kind} /Groups/${group.id}`;
          lane.requests++;
          const path = `/Groups/${group.id}`;
          if (op.kind === 'put') expect2xx(await call('PUT', path, { schemas: [GROUP_URN], displayName: op.name, members: op.users.map((value) => ({ value })) }), 'PUT /Groups');
          else if (op.kind === 'rename') expect2xx(await call('PATCH', path, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: op.name }] }), 'PATCH /Groups rename');
          else expect2xx(await call('PATCH', path, { schemas: [PATCH_OP], Operations: [{ op: op.kind, path: 'members', value: op.users.map((value) => ({ value })) }] }), `PATCH /Groups ${op.kind}`);
          group.acked++;
          applyOp(group.members, op);
        }
        lane.uncertain = undefined;
      }
    } catch (err) {
      if (!(err instanceof Dead)) throw err;
    }
  };
  lanes.push(...Array.from({ length: opts.lanes }, (_, index): Lane => ({ index, users: [], groups: [], requests: 0 })));
  await Promise.all(lanes.map(runLane));
  return lanes;
}

function applyOp(members: Set<string>, op: GroupOp): void {
  if (op.kind === 'add') op.users.forEach((u) => members.add(u));
  else if (op.kind === 'remove') op.users.forEach((u) => members.delete(u));
  else if (op.kind === 'put') {
    members.clear();
    op.users.forEach((u) => members.add(u));
  }
}

// ---- the checks ----------------------------------------------------------------------------

interface Findings {
  orphanMemberships: number;
  unauditedOrGhost: number;
  missingDeleteEvents: number;
  pending: number;
  groupMismatches: number;
  details: string[];
}

async function inspect(db: Database, tenantId: string, lanes: Lane[] | undefined): Promise<Findings> {
  const { models } = db;
  const f: Findings = { orphanMemberships: 0, unauditedOrGhost: 0, missingDeleteEvents: 0, pending: 0, groupMismatches: 0, details: [] };
  const users = (await models.User.collection.find({ tenantId } as never).toArray()) as unknown as UserDoc[];
  const groups = (await models.Group.collection.find({ tenantId, origin: 'scim' } as never).toArray()) as unknown as GroupDoc[];
  const allGroupIds = new Set(((await models.Group.collection.find({ tenantId } as never, { projection: { _id: 1 } }).toArray()) as unknown as { _id: string }[]).map((g) => g._id));
  const userIds = new Set(users.map((u) => u._id));
  const memberships = await models.Membership.find({ tenantId }).lean();
  for (const m of memberships) {
    if (!userIds.has(m.userId) || !allGroupIds.has(m.groupId)) {
      f.orphanMemberships++;
      if (f.details.length < 10) f.details.push(`orphan membership ${m._id}`);
    }
  }
  const events = await models.AuditEvent.find({ tenantId, 'object.type': { $in: ['User', 'Group'] } }).lean();
  const changes = new Map<string, number>();
  const deletions = new Map<string, number>();
  const created = new Set<string>();
  for (const e of events) {
    const verb = e.action.split('.')[1];
    if (verb === 'created') created.add(e.object.id);
    if (verb === 'created' || verb === 'patched' || verb === 'replaced') changes.set(e.object.id, (changes.get(e.object.id) ?? 0) + 1);
    else if (verb === 'deleted') deletions.set(e.object.id, (deletions.get(e.object.id) ?? 0) + 1);
  }
  for (const d of [...users, ...groups]) {
    const n = changes.get(d._id) ?? 0;
    if (n !== d.version) {
      f.unauditedOrGhost++;
      if (f.details.length < 10) f.details.push(`${d._id}: version ${d.version}, ${n} change events`);
    }
    if ((deletions.get(d._id) ?? 0) > 0) {
      f.unauditedOrGhost++;
      f.details.push(`${d._id} exists but has a deleted event`);
    }
  }
  for (const id of created) {
    if (userIds.has(id) || allGroupIds.has(id)) continue;
    if ((deletions.get(id) ?? 0) !== 1) {
      f.missingDeleteEvents++;
      if (f.details.length < 10) f.details.push(`${id} is gone with ${deletions.get(id) ?? 0} deleted events`);
    }
  }
  f.pending =
    (await models.PendingChange.countDocuments({ tenantId })) + groups.filter((g) => (g.pendingMembers ?? []).length > 0).length + users.filter((u) => (u.pendingAudit ?? []).length > 0).length;
  if (lanes) f.groupMismatches = checkGroups(lanes, groups, memberships, userIds, f.details);
  return f;
}

/** Each lane group's version and members against the lane's own record of what it sent. */
function checkGroups(lanes: Lane[], groups: GroupDoc[], memberships: { groupId: string; userId: string; sources: string[] }[], userIds: Set<string>, details: string[]): number {
  let mismatches = 0;
  const byName = new Map<string, GroupDoc>();
  const byId = new Map(groups.map((g) => [g._id, g]));
  for (const g of groups) byName.set(String(g.attrs.displayName), g);
  const membersOf = (id: string) => new Set(memberships.filter((m) => m.groupId === id && m.sources.includes('scim')).map((m) => m.userId));
  const fail = (msg: string) => {
    mismatches++;
    if (details.length < 20) details.push(msg);
  };
  for (const lane of lanes) {
    for (const g of lane.groups) {
      const doc = g.id ? byId.get(g.id) : byName.get(g.name);
      if (!doc) {
        if (!g.deleted && g.id && !lane.uncertain?.startsWith('DELETE /Groups')) fail(`${g.name} (${g.id}) is gone, never deleted`);
        continue;
      }
      if (g.deleted) fail(`${g.name} was deleted (acknowledged) and still exists`);
      const committed = doc.version - 1;
      if (committed < g.acked || committed > g.ops.length) {
        fail(`${g.name}: version ${doc.version} with ${g.acked} changes acknowledged, ${g.ops.length} sent`);
        continue;
      }
      const expected = new Set(g.initial);
      g.ops.slice(0, committed).forEach((op) => applyOp(expected, op));
      const want = [...expected].filter((u) => userIds.has(u)).sort();
      const have = [...membersOf(doc._id)].sort();
      if (JSON.stringify(want) !== JSON.stringify(have)) fail(`${g.name}: version ${doc.version}, members ${JSON.stringify(have)}, its committed changes say ${JSON.stringify(want)}`);
    }
  }
  return mismatches;
}

/** Sorted keys, so that two equal documents print equal whatever order their keys were written in. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));

/** The feed after recovery: everything sequenced, no gap, and its replay equal to the stored state. */
async function checkFeed(db: Database, tenantId: string, details: string[]): Promise<number> {
  const { models } = db;
  let bad = 0;
  const fail = (msg: string) => {
    bad++;
    if (details.length < 30) details.push(msg);
  };
  await sequenceTenantFully(models, tenantId, 1000);
  const waiting = await models.AuditEvent.countDocuments({ tenantId, unsequenced: true });
  if (waiting > 0) fail(`${waiting} audit events not sequenced`);
  const events = (await models.ChangeEvent.collection
    .find({ tenantId } as never)
    .sort({ tenantId: 1, seq: 1 })
    .toArray()) as unknown as ChangeEventDoc[];
  events.forEach((e, i) => e.seq !== i + 1 && fail(`event ${e._id} at seq ${e.seq}, expected ${i + 1}`));
  const replica = new EventReplica();
  for (const e of events) replica.apply(changeEventView(e));
  const users = (await models.User.collection.find({ tenantId } as never).toArray()) as unknown as UserDoc[];
  if (users.length !== replica.users.size) fail(`${users.length} users stored, ${replica.users.size} replayed`);
  for (const u of users) {
    const r = replica.users.get(u._id);
    if (!r) fail(`user ${u._id} not in the replay`);
    else if (canonical(r.attrs) !== canonical(u.attrs) || r.version !== u.version) fail(`user ${u._id}: replayed v${r.version} ${canonical(r.attrs)}, stored v${u.version} ${canonical(u.attrs)}`);
  }
  const groups = (await models.Group.collection.find({ tenantId, origin: 'scim' } as never).toArray()) as unknown as GroupDoc[];
  const memberships = await models.Membership.find({ tenantId, sources: 'scim' }).lean();
  for (const g of groups) {
    const r = replica.groups.get(g._id) as { attrs?: unknown } | undefined;
    if (!r) {
      fail(`group ${g._id} not in the replay`);
      continue;
    }
    if (canonical(r.attrs) !== canonical(g.attrs)) fail(`group ${g._id}: replayed ${canonical(r.attrs)}, stored ${canonical(g.attrs)}`);
    const stored = memberships
      .filter((m) => m.groupId === g._id)
      .map((m) => m.userId)
      .sort();
    const replayed = replica.holders(g._id, 'scim');
    if (canonical(stored) !== canonical(replayed)) fail(`group ${g._id}: replayed members ${canonical(replayed)}, stored ${canonical(stored)}`);
  }
  const replayedScimGroups = [...replica.groups].filter(([, g]) => 'attrs' in g).length;
  if (replayedScimGroups !== groups.length) fail(`${groups.length} IdP groups stored, ${replayedScimGroups} replayed`);
  log(`feed: ${events.length} events replayed against ${users.length} users, ${groups.length} IdP groups, ${memberships.length} IdP memberships`);
  return bad;
}

// ---- the trials ----------------------------------------------------------------------------

async function main() {
  const opts = options();
  const db = await connectDatabase(env('MONGODB_URI'));
  const prefix = `crash${randomBytes(3).toString('hex')}`;
  const queue = createWorkerJobQueue(env('REDIS_URL'), prefix, silentLogger);
  let violations = 0;
  const rows: string[] = [];
  try {
    for (let trial = 1; trial <= opts.trials; trial++) {
      const started = Date.now();
      const tenant = await createTenant(db.models, `crash-${prefix}-${trial}`);
      const port = await freePort();
      const logFile = join(opts.logDir, `crash-api-${trial}.log`);
      let api = await startApi(port, prefix, logFile);
      const killAfter = opts.killMinMs + Math.floor(Math.random() * (opts.killMaxMs - opts.killMinMs));
      let announceKill = () => {};
      const state = { dead: false, killed: new Promise<void>((resolve) => (announceKill = resolve)) };
      const killer = setTimeout(() => {
        state.dead = true;
        api.child.kill('SIGKILL'); // by our child's handle, i.e. its PID
        announceKill();
      }, killAfter);
      const lanes: Lane[] = [];
      const trialTimer = setTimeout(() => {
        log(`trial ${trial} exceeded ${opts.trialTimeoutMs} ms; API exit ${api.child.exitCode}/${api.child.signalCode}; lanes: ${lanes.map((l) => `${l.requests} ${l.uncertain ?? '-'}`).join(' | ')}`);
        api.child.kill('SIGKILL');
        process.exit(3);
      }, opts.trialTimeoutMs);
      log(`trial ${trial}: burst from ${opts.lanes} lanes, kill -9 of the API (pid ${api.child.pid}) after ${killAfter} ms`);
      await burst(api, tenant.scimToken, opts, state, lanes);
      clearTimeout(killer);
      await once(api.child, 'exit').catch(() => undefined);
      const requests = lanes.reduce((n, l) => n + l.requests, 0);
      const inFlight = lanes.filter((l) => l.uncertain).length;
      const left = await inspect(db, tenant.tenantId, undefined);
      log(
        `trial ${trial}: killed after ${killAfter} ms, ${requests} requests sent, ${inFlight} in flight; left behind: ${left.orphanMemberships} orphan memberships, ${left.unauditedOrGhost} objects whose version and audit trail disagree, ${left.missingDeleteEvents} unaudited deletions, ${left.pending} pending intents`,
      );

      log(`trial ${trial}: restarting the API, then recovery (sweeper)`);
      api = await startApi(port, prefix, logFile);
      const first = await sweepPending(db.models, queue, 0, silentLogger);
      const second = await sweepPending(db.models, queue, 0, silentLogger);
      log(`trial ${trial}: checking`);
      const after = await inspect(db, tenant.tenantId, lanes);
      const feedViolations = await checkFeed(db, tenant.tenantId, after.details);
      // The restarted API serves what was recovered.
      const someGroup = lanes.flatMap((l) => l.groups).find((g) => g.id && !g.deleted);
      if (someGroup) {
        const res = await fetch(`${api.url}/scim/v2/Groups/${someGroup.id}`, { headers: { authorization: `Bearer ${tenant.scimToken}` } });
        if (res.status !== 200 && res.status !== 404) after.details.push(`GET /Groups after restart answered ${res.status}`);
      }
      await stopApi(api);
      clearTimeout(trialTimer);
      const bad = after.orphanMemberships + after.unauditedOrGhost + after.missingDeleteEvents + after.pending + after.groupMismatches + (second.changes + second.audits) + feedViolations;
      violations += bad;
      const row = `trial ${trial}: recovered ${first.changes} changes, ${first.audits} audit events; after recovery: ${after.orphanMemberships} orphan memberships, ${after.unauditedOrGhost + after.missingDeleteEvents} audit violations, ${after.groupMismatches} group mismatches, ${after.pending} pending, ${feedViolations} event-feed violations; second sweep ${second.changes + second.audits}; ${((Date.now() - started) / 1000).toFixed(1)} s`;
      rows.push(row);
      log(row);
      for (const d of after.details) log(`  violation: ${d}`);
    }
  } finally {
    await queue.close();
    await db.close();
  }
  log(violations === 0 ? `PASS: ${opts.trials} trials, no violation` : `FAIL: ${violations} violations`);
  process.exit(violations === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`[crash] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
