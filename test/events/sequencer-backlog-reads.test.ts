import { openAppDatabase } from '../helpers/database';
import { repositoriesOf } from '../../src/persistence/repositories';
import { SEQUENCE_BATCH } from '../../src/domain/events/sequencer';
import type { AuditEventDoc } from '../../src/persistence/models';

/**
 * The change-event sequencer takes a tenant's oldest waiting audit events, SEQUENCE_BATCH at a
 * time (`{unsequenced: true, tenantId}` sorted `unsequenced, tenantId, at, _id`, limited): the
 * index yields that order, so a pass reads its batch, not the tenant's whole backlog. Before, the
 * embedded server did not see that a sort naming the equality-bound keys is the index's order,
 * sorted every waiting event in memory twice per pass, and held the audit collection while it did:
 * after a 30,000-member group push (30,000 `membership.added` events waiting), the worker's jobs
 * waited on it and cleared 7–17 changes a second (docs/benchmarks.md, issue 23).
 */

type Db = Awaited<ReturnType<typeof openAppDatabase>>;
let db: Db;
beforeAll(async () => {
  db = await openAppDatabase();
});
afterAll(async () => {
  await db.drop();
});

const WAITING = 3 * SEQUENCE_BATCH;

function waitingEvents(tenantId: string): AuditEventDoc[] {
  // Inserted newest first, so insertion order is not the answer's order.
  return Array.from({ length: WAITING }, (_, i) => {
    const n = WAITING - 1 - i;
    return {
      _id: `evt_${String(n).padStart(6, '0')}`,
      tenantId,
      at: new Date(Date.UTC(2026, 11, 6, 12, 0, 0, n)),
      actor: { type: 'rule', id: 'rul_1' },
      object: { type: 'Group', id: 'grp_1' },
      action: 'membership.added',
      after: { userId: `usr_${n}` },
    } as unknown as AuditEventDoc;
  });
}

describe('the sequencer reading a backlog of waiting audit events', () => {
  it('gets the oldest batch in order, from an index that yields the order (no in-memory sort of the backlog)', async () => {
    const repos = repositoriesOf(db.models);
    await repos.auditEvents.insertMany(waitingEvents('ten_a'));
    await repos.auditEvents.insertMany(waitingEvents('ten_b').slice(0, 10));

    const batch = await repos.auditEvents.unsequenced('ten_a', SEQUENCE_BATCH);
    expect(batch.map((e) => e._id)).toEqual(Array.from({ length: SEQUENCE_BATCH }, (_, n) => `evt_${String(n).padStart(6, '0')}`));
    expect(new Set(batch.map((e) => e.tenantId))).toEqual(new Set(['ten_a']));

    // The same read's plan, on whichever server the tests run: no SORT stage (MongoDB and the embedded server alike).
    const plan = (await db.connection.db!.command({
      explain: { find: 'audit_events', filter: { unsequenced: true, tenantId: 'ten_a' }, sort: { unsequenced: 1, tenantId: 1, at: 1, _id: 1 }, limit: SEQUENCE_BATCH },
      verbosity: 'queryPlanner',
    })) as { queryPlanner: { winningPlan: unknown } };
    expect(JSON.stringify(plan.queryPlanner.winningPlan)).not.toMatch(/"stage":"SORT"/);
  });

  it('reads only its batch of documents (the embedded server read counters, or MongoDB executionStats)', async () => {
    const stats = async () => (await db.connection.db!.command({ readStats: 1 }).catch(() => null)) as { namespaces: Record<string, { documentsRead: number }> } | null;
    const before = await stats();
    if (before === null) {
      const explained = (await db.connection.db!.command({
        explain: { find: 'audit_events', filter: { unsequenced: true, tenantId: 'ten_a' }, sort: { unsequenced: 1, tenantId: 1, at: 1, _id: 1 }, limit: SEQUENCE_BATCH },
        verbosity: 'executionStats',
      })) as { executionStats: { totalDocsExamined: number } };
      expect(explained.executionStats.totalDocsExamined).toBe(SEQUENCE_BATCH);
      return;
    }
    const namespace = `${db.dbName}.audit_events`;
    await repositoriesOf(db.models).auditEvents.unsequenced('ten_a', SEQUENCE_BATCH);
    const after = (await stats())!;
    expect(after.namespaces[namespace]!.documentsRead - (before.namespaces[namespace]?.documentsRead ?? 0)).toBe(SEQUENCE_BATCH);
  });
});
