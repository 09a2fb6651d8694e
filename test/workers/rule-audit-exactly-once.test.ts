import fc from 'fast-check';
import { writeInterruptedMembershipAudits } from '../../src/domain/recovery/pending-membership-audits';
import { evaluateUser } from '../../src/domain/sync/evaluate-user';
import { runRule } from '../../src/domain/sync/rule-run';
import { RuleSetCache } from '../../src/domain/sync/rule-set';
import type { SyncDeps } from '../../src/domain/sync/sync-deps';
import { silentLogger } from '../../src/observability/logger';
import { MembershipsRepository } from '../../src/persistence/memberships-repository';
import type { AuditEventDoc } from '../../src/persistence/models';
import { ENTERPRISE_USER_URN, replaceOp, startSyncStack, type SyncStack } from './sync-fixtures';

/**
 * Issue 17 part 2: every membership change a rule makes is audited exactly once, however the worker
 * dies. A model-based test: random sequences of rule edits, full runs (in chunks), user changes
 * with their evaluation, and sweeps, where a run or an evaluation may die (kill -9) right after its
 * membership writes or right after its event insert; then recovery (the sweeper, the resumed run,
 * every user evaluated). Each step changes a (group, source, user) membership at most once, so the
 * membership states read between steps give the true changes: the `membership.added` / `removed`
 * events of each user must equal them, exactly. Seeded (FC_SEED), bounded (numRuns), the seed and
 * the failing sequence printed by fast-check on failure.
 */
const DEPARTMENTS = ['Sales', 'Legal', 'Support'] as const;
const USERS = 10;
const SEED = Number(process.env.FC_SEED ?? 20261206);

class Killed extends Error {}

type Fault = { kind: 'none' } | { kind: 'afterMembershipWrite' | 'afterEventWrite'; at: number };
type Step =
  | { kind: 'edit'; department: (typeof DEPARTMENTS)[number] }
  | { kind: 'run'; chunk: number; fault: Fault }
  | { kind: 'move'; user: number; department: (typeof DEPARTMENTS)[number]; fault: Fault }
  | { kind: 'sweep' };

const department = fc.constantFrom(...DEPARTMENTS);
const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.constant<Fault>({ kind: 'none' }),
  fc.record({ kind: fc.constantFrom('afterMembershipWrite' as const, 'afterEventWrite' as const), at: fc.integer({ min: 1, max: 4 }) }),
);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('edit' as const), department }),
  fc.record({ kind: fc.constant('run' as const), chunk: fc.integer({ min: 2, max: 5 }), fault }),
  fc.record({ kind: fc.constant('move' as const), user: fc.integer({ min: 0, max: USERS - 1 }), department, fault }),
  fc.record({ kind: fc.constant('sweep' as const) }),
);

describe('rule memberships: audited exactly once across worker kills', () => {
  let s: SyncStack;
  let users: string[];
  beforeAll(async () => {
    s = await startSyncStack({ worker: false });
    users = [];
    for (let i = 0; i < USERS; i++) users.push(await s.user(`once${i}`, { department: DEPARTMENTS[i % DEPARTMENTS.length]! }));
  });
  afterAll(() => s.close());

  /** Engine dependencies of a worker that dies (throws Killed) at its `at`-th audited write, after the membership writes or after the event insert. */
  function dyingDeps(f: Fault): SyncDeps {
    const { models, registry } = s.runtime.deps;
    const real = new MembershipsRepository(models);
    const dying = Object.create(real) as MembershipsRepository;
    let calls = 0;
    dying.applyAudited = async (...args: Parameters<MembershipsRepository['applyAudited']>) => {
      const outcomes = await real.applyAudited(...args);
      if (f.kind === 'afterMembershipWrite' && ++calls === f.at) throw new Killed();
      return outcomes;
    };
    dying.settleAudited = async (...args: Parameters<MembershipsRepository['settleAudited']>) => {
      if (f.kind === 'afterEventWrite' && ++calls === f.at) throw new Killed();
      return real.settleAudited(...args);
    };
    return { models, memberships: dying, registry, logger: silentLogger, ruleSets: new RuleSetCache(models, registry, silentLogger) };
  }

  const survive = async (work: Promise<unknown>) => {
    try {
      await work;
    } catch (err) {
      if (!(err instanceof Killed)) throw err;
    }
  };
  const sweep = async () => {
    await new Promise((r) => setTimeout(r, 2)); // events of this millisecond are younger than the cutoff
    await writeInterruptedMembershipAudits(s.runtime.deps.models, 0);
  };

  it('for any sequence of rule edits, runs, user changes and kills, then the events of each membership equal its changes', async () => {
    let trial = 0;
    await fc.assert(
      fc.asyncProperty(department, fc.array(step, { minLength: 1, maxLength: 7 }), async (initial, steps) => {
        trial++;
        const group = await s.internalGroup(`Once ${trial}`);
        const rule = await s.createRule({ name: `Once ${trial}`, expression: `department eq "${initial}"`, targetGroupId: group });
        const source = `rule:${rule.id}`;
        const added = new Map<string, number>();
        const removed = new Map<string, number>();
        let held = new Set<string>();
        const observe = async () => {
          const now = new Set(await s.holders(group, source));
          for (const u of now) if (!held.has(u)) added.set(u, (added.get(u) ?? 0) + 1);
          for (const u of held) if (!now.has(u)) removed.set(u, (removed.get(u) ?? 0) + 1);
          held = now;
        };
        const runToEnd = async (deps: SyncDeps, chunkSize: number) => {
          for (;;) {
            const result = await runRule(deps, s.tenantId, rule.id, { chunkSize });
            if (result.outcome !== 'superseded') return;
          }
        };

        for (const st of steps) {
          if (st.kind === 'edit') {
            expect((await s.admin.patch(`/rules/${rule.id}`, { expression: `department eq "${st.department}"` })).status).toBe(200);
          } else if (st.kind === 'run') {
            await survive(runToEnd(dyingDeps(st.fault), st.chunk));
          } else if (st.kind === 'move') {
            await s.patchUser(users[st.user]!, replaceOp(`${ENTERPRISE_USER_URN}:department`, st.department));
            await survive(evaluateUser(dyingDeps(st.fault), s.tenantId, users[st.user]!));
          } else {
            await sweep();
          }
          await observe();
        }
        // Recovery: the sweeper, the run resumed to its end, every user evaluated, the sweeper again.
        await sweep();
        await observe();
        await runToEnd(dyingDeps({ kind: 'none' }), 3);
        await observe();
        for (const u of users) {
          await evaluateUser(dyingDeps({ kind: 'none' }), s.tenantId, u);
          await observe();
        }
        await sweep();

        const events = (await s.runtime.deps.models.AuditEvent.collection.find({ tenantId: s.tenantId, 'object.id': group, 'actor.id': rule.id } as never).toArray()) as unknown as AuditEventDoc[];
        const count = (action: string) => {
          const n = new Map<string, number>();
          for (const e of events) if (e.action === action) n.set((e.after as { userId: string }).userId, (n.get((e.after as { userId: string }).userId) ?? 0) + 1);
          return n;
        };
        const sorted = (m: Map<string, number>) => [...m].sort();
        expect({ added: sorted(count('membership.added')), removed: sorted(count('membership.removed')) }).toEqual({ added: sorted(added), removed: sorted(removed) });
        // Nothing left waiting on a membership, and the rule's members are what it says.
        expect(await s.runtime.deps.models.Membership.collection.countDocuments({ tenantId: s.tenantId, 'pendingAudit.0': { $exists: true } })).toBe(0);
        const expression = ((await s.admin.get(`/rules/${rule.id}`)).body as { expression: string }).expression;
        const wanted = /"(\w+)"/.exec(expression)![1];
        const stored = (await s.runtime.deps.models.User.collection.find({ _id: { $in: users } } as never).toArray()) as unknown as { _id: string; attrs: { enterprise?: { department?: string } } }[];
        expect([...held].sort()).toEqual(
          stored
            .filter((u) => u.attrs.enterprise?.department === wanted)
            .map((u) => u._id)
            .sort(),
        );
        // The next trial's rule is alone in judging its group.
        expect((await s.admin.delete(`/rules/${rule.id}`)).status).toBe(204);
      }),
      { seed: SEED, numRuns: 20, endOnFailure: true },
    );
  }, 120_000);
});
