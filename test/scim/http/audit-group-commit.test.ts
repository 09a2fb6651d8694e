import { startSyncStack, type SyncStack } from '../../workers/sync-fixtures';
import { mapConcurrently } from '../../helpers/concurrency';

/**
 * Concurrent SCIM user writes share the audit trail's round trips (group commit): every user still
 * gets its own event before its response, and nothing stays pending on the documents, with fewer
 * audit inserts than writes.
 */
let s: SyncStack;
const commands: string[] = [];

beforeAll(async () => {
  s = await startSyncStack({ worker: false, monitorCommands: true });
  s.runtime.db.connection.getClient().on('commandStarted', (event) => {
    const collection = (event.command as Record<string, unknown>)[event.commandName];
    commands.push(`${event.commandName} ${String(collection)}`);
  });
});
afterAll(async () => {
  await s?.close();
});

it('32 concurrent creates: each user has its user.created event when its response arrives, none left pending, in fewer audit inserts', async () => {
  commands.length = 0;
  const ids = await mapConcurrently(
    Array.from({ length: 32 }, (_, i) => i),
    32,
    async (i) => {
      const res = await s.scim.post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `commit.${i}@example.com` });
      expect(res.status).toBe(201);
      const id = res.body.id as string;
      // Written before the response, as without batching.
      expect(await s.runtime.deps.models.AuditEvent.collection.countDocuments({ 'object.id': id, action: 'user.created' })).toBe(1);
      return id;
    },
  );
  const users = await s.runtime.deps.models.User.collection.find({ _id: { $in: ids } } as never, { projection: { pendingAudit: 1 } }).toArray();
  expect(users).toHaveLength(32);
  expect(users.filter((u) => (u as { pendingAudit?: unknown[] }).pendingAudit?.length)).toEqual([]);
  const auditInserts = commands.filter((c) => c === 'insert audit_events').length;
  expect(auditInserts).toBeGreaterThan(0);
  expect(auditInserts).toBeLessThan(32);
});
