import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { loadConfig } from '../../src/config/config';
import { createTenant } from '../../src/domain/tenants';
import { silentLogger } from '../../src/observability/logger';
import type { AuditEventDoc, GroupDoc } from '../../src/persistence/models';
import { repositoriesOf } from '../../src/persistence/repositories';
import { startSyncWorker } from '../../workers/worker';
import { scimRequest, startApiProcess, type ApiProcess } from '../helpers/api-process';
import { openAppDatabase, mongoUriFor } from '../helpers/database';
import { testDatabaseFreezer } from '../helpers/database-freeze';
import { TEST_JWT_SECRET } from '../helpers/stack';
import { waitFor } from './sync-fixtures';
import { GROUP_URN, PATCH_OP, USER_URN } from '../scim/http/helpers';

/**
 * Invariant (docs/decisions.md, "Acknowledged means final"): a member change the API acknowledged
 * is never undone by the late finishing of an older change (the sweeper's, or a request's that
 * finishes earlier entries). Model-based: two API processes and a worker sweeping every second
 * (changes older than 1 s) on one database; rounds of concurrent single-member add/remove PATCHes
 * through either API, one change per member and round, while the database is frozen (SIGSTOP) or
 * an API is killed (SIGKILL) at a random moment. After quiescence each member must be as its last
 * acknowledged change says (a member whose later changes went unanswered may be either way), and
 * the group's audit trail must end in that same state for every member.
 *
 * Seeded (fast-check); the seed is printed on failure and MEMBER_ORDER_SEED replays it. The
 * schedule replays exactly; the timing of processes does not, so a replay is likely, not certain,
 * to fail the same way.
 */

const MEMBERS = 24;
const ROUNDS = 6;
const RUNS = 2;

type Kind = 'add' | 'remove';
interface Op {
  kind: Kind;
  api: number;
}
type Fault = { type: 'none' } | { type: 'freeze'; afterMs: number; forMs: number } | { type: 'kill'; api: number; afterMs: number };
interface Round {
  ops: (Op | null)[];
  fault: Fault;
}

const roundArb: fc.Arbitrary<Round> = fc.record({
  ops: fc.array(fc.option(fc.record({ kind: fc.constantFrom<Kind>('add', 'remove'), api: fc.integer({ min: 0, max: 1 }) }), { freq: 4 }), {
    minLength: MEMBERS,
    maxLength: MEMBERS,
  }),
  fault: fc.oneof(
    { weight: 1, arbitrary: fc.constant<Fault>({ type: 'none' }) },
    { weight: 3, arbitrary: fc.record({ type: fc.constant('freeze' as const), afterMs: fc.integer({ min: 0, max: 200 }), forMs: fc.integer({ min: 1100, max: 1600 }) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('kill' as const), api: fc.integer({ min: 0, max: 1 }), afterMs: fc.integer({ min: 5, max: 120 }) }) },
  ),
});

/** What is known about a member from the answers: the last acknowledged change, and whether a later one went unanswered. */
interface Expectation {
  acknowledged?: Kind;
  unsureAfter: boolean;
  history: string[];
}

describe('acknowledged member changes are final (two API processes, a 1 s sweeper, freezes and kills)', () => {
  let db: Awaited<ReturnType<typeof openAppDatabase>>;
  let env: Record<string, string | undefined>;
  let apis: ApiProcess[] = [];
  let token: string;
  let tenantId: string;
  const users: string[] = [];
  const freezer = testDatabaseFreezer();

  const scim = (api: ApiProcess, method: string, path: string, body?: unknown) => scimRequest(api, token, method, path, body);

  beforeAll(async () => {
    db = await openAppDatabase();
    const tenant = await createTenant(db.models, `tenant-${randomBytes(3).toString('hex')}`);
    token = tenant.scimToken;
    tenantId = tenant.tenantId;
    env = {
      MONGODB_URI: mongoUriFor(db.dbName),
      REDIS_URL: process.env.REDIS_URL,
      ADMIN_JWT_SECRET: TEST_JWT_SECRET,
      QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'error',
    };
    apis = await Promise.all([startApiProcess(env), startApiProcess(env)]);
    for (let i = 0; i < MEMBERS; i++) {
      const res = await scim(apis[i % 2]!, 'POST', '/Users', { schemas: [USER_URN], userName: `ordered.${i}@example.com`, active: true });
      expect(res.status).toBe(201);
      users.push(((await res.json()) as { id: string }).id);
    }
  }, 60_000);

  afterAll(async () => {
    freezer?.thaw();
    await Promise.all(apis.map((a) => a.close()));
    await db?.drop();
  });

  /** One PATCH; true when acknowledged (204), false for any other answer or none (the process died). */
  async function change(groupId: string, userId: string, op: Op): Promise<boolean> {
    const operation = op.kind === 'add' ? { op: 'add', path: 'members', value: [{ value: userId }] } : { op: 'remove', path: `members[value eq "${userId}"]` };
    try {
      const res = await scim(apis[op.api]!, 'PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [operation] });
      await res.arrayBuffer();
      return res.status === 204;
    } catch {
      return false;
    }
  }

  async function runRound(groupId: string, round: Round, expected: Expectation[]): Promise<void> {
    const sent = round.ops.map((op, member) => (op ? change(groupId, users[member]!, op).then((ok) => ({ member, op, ok })) : null));
    const fault = round.fault;
    let faulted = Promise.resolve();
    if (fault.type === 'freeze' && freezer) faulted = new Promise((r) => setTimeout(r, fault.afterMs)).then(() => freezer.freeze(fault.forMs));
    if (fault.type === 'kill') {
      // The replacement starts at once (its requests of this round were sent already), while the other API answers.
      faulted = new Promise((r) => setTimeout(r, fault.afterMs))
        .then(() => apis[fault.api]!.kill())
        .then(() => startApiProcess(env))
        .then((api) => void (apis[fault.api] = api));
    }
    const answers = await Promise.all(sent.filter((p) => p !== null));
    await faulted;
    for (const { member, op, ok } of answers) {
      const e = expected[member]!;
      e.history.push(`${op.kind}${ok ? '' : '?'}`);
      if (ok) Object.assign(e, { acknowledged: op.kind, unsureAfter: false });
      else e.unsureAfter = true;
    }
  }

  async function check(groupId: string, expected: Expectation[]): Promise<void> {
    const repos = repositoriesOf(db.models);
    const members = new Set(await repos.memberships.userIdsOf(tenantId, groupId));
    const events = (await db.models.AuditEvent.find({ tenantId, 'object.id': groupId }).lean()) as unknown as AuditEventDoc[];
    events.sort((a, b) => a.at.getTime() - b.at.getTime() || (a._id < b._id ? -1 : 1));
    const lastAudited = new Map<string, Kind>();
    for (const event of events) {
      const after = (event.after ?? {}) as { membersAdded?: string[]; membersRemoved?: string[] };
      for (const u of after.membersAdded ?? []) lastAudited.set(u, 'add');
      for (const u of after.membersRemoved ?? []) lastAudited.set(u, 'remove');
    }
    const wrong: string[] = [];
    users.forEach((userId, i) => {
      const e = expected[i]!;
      const isMember = members.has(userId);
      const audited = lastAudited.get(userId) === 'add';
      const allowed = e.unsureAfter ? [true, false] : [e.acknowledged === 'add'];
      if (!allowed.includes(isMember)) wrong.push(`member ${i} (${userId}): ${isMember ? 'member' : 'not a member'}, acknowledged changes say otherwise [${e.history.join(' ')}]`);
      if (audited !== isMember) wrong.push(`member ${i} (${userId}): ${isMember ? 'member' : 'not a member'}, audit trail ends ${lastAudited.get(userId) ?? 'without it'} [${e.history.join(' ')}]`);
    });
    if (wrong.length) throw new Error(`group ${groupId}:\n${wrong.join('\n')}`);
  }

  it('after quiescence every member is as its last acknowledged change says, and so is the audit trail', async () => {
    const seed = process.env.MEMBER_ORDER_SEED ? Number(process.env.MEMBER_ORDER_SEED) : Date.now() % 2 ** 31;
    const config = loadConfig(env);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(roundArb, { minLength: ROUNDS, maxLength: ROUNDS }), async (rounds) => {
        run++;
        const created = await scim(apis[0]!, 'POST', '/Groups', { schemas: [GROUP_URN], displayName: `Ordered ${seed} ${run}` });
        expect(created.status).toBe(201);
        const groupId = ((await created.json()) as { id: string }).id;
        const expected: Expectation[] = users.map(() => ({ unsureAfter: false, history: [] }));
        const worker = startSyncWorker(config, db, silentLogger, { sweepAfterSeconds: 1, sweepIntervalSeconds: 1 });
        try {
          for (const round of rounds) await runRound(groupId, round, expected);
          // Quiescence: nothing pending on the group, then the worker stopped (a sweep under way ends first).
          await waitFor(
            async () => (((await db.models.Group.findById(groupId).lean()) as GroupDoc | null)?.pendingMembers ?? []).length === 0,
            'the pending member changes to be finished',
            30_000,
            200,
          );
        } finally {
          await worker.close();
        }
        await check(groupId, expected);
      }),
      { seed, numRuns: RUNS, endOnFailure: true },
    );
  }, 240_000);
});
