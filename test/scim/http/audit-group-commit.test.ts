import { startSyncStack, type SyncStack } from '../../workers/sync-fixtures';
import { mapConcurrently } from '../../helpers/concurrency';

/**
 * Concurrent SCIM user requests share their round trips (group commit): every user still gets its
 * own event before its response, and nothing stays pending on the documents, with fewer audit
 * inserts than writes; concurrent creates insert together and concurrent `userName eq` lookups
 * (Okta's, before every create) read together, each answered on its own.
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

it('concurrent creates insert together and each gets its own outcome: one 201 per userName, 409 uniqueness for the rest, nothing half-written', async () => {
  commands.length = 0;
  // 24 creates of 8 userNames (three each), all at once: the inserts share unordered insertMany
  // commands, and a refused document must not fail the others of its command.
  const names = Array.from({ length: 24 }, (_, i) => `together.${i % 8}@example.com`);
  const answers = await mapConcurrently(names, 24, (userName) => s.scim.post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName }));
  const created = answers.filter((r) => r.status === 201);
  expect(created.map((r) => r.body.userName as string).sort()).toEqual([...new Set(names)].sort());
  for (const r of answers.filter((a) => a.status !== 201)) {
    expect(r.status).toBe(409);
    expect(r.body.scimType).toBe('uniqueness');
  }
  const stored = await s.runtime.deps.models.User.collection.find({ 'lc.userName': { $in: [...new Set(names)] } } as never, { projection: { pendingAudit: 1 } }).toArray();
  expect(stored.map((u) => u._id).sort()).toEqual(created.map((r) => r.body.id as string).sort());
  expect(stored.filter((u) => (u as { pendingAudit?: unknown[] }).pendingAudit?.length)).toEqual([]);
  expect(await s.runtime.deps.models.AuditEvent.collection.countDocuments({ action: 'user.created', 'object.id': { $in: stored.map((u) => u._id) } })).toBe(8);
  expect(commands.filter((c) => c === 'insert users').length).toBeLessThan(24);
});

const lookup = (userName: string) => s.scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`);

it('concurrent userName lookups, present and absent, in any case: each answers its own user or none, in fewer reads', async () => {
  const ids = new Map<string, string>();
  for (let i = 0; i < 6; i++) {
    const userName = `Look.Up.${i}@Example.com`;
    const res = await s.scim.post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName });
    expect(res.status).toBe(201);
    ids.set(userName.toLowerCase(), res.body.id as string);
  }
  commands.length = 0;
  const asked = [...Array.from({ length: 6 }, (_, i) => (i % 2 ? `look.up.${i}@example.com` : `LOOK.UP.${i}@EXAMPLE.COM`)), ...Array.from({ length: 6 }, (_, i) => `absent.${i}@example.com`)];
  const answers = await mapConcurrently(asked, asked.length, lookup);
  answers.forEach((res, i) => {
    expect(res.status).toBe(200);
    const expected = ids.get(asked[i]!.toLowerCase());
    expect(res.body.totalResults).toBe(expected ? 1 : 0);
    expect((res.body.Resources as { id: string }[] | undefined)?.map((r) => r.id) ?? []).toEqual(expected ? [expected] : []);
  });
  expect(commands.filter((c) => c === 'find users').length).toBeLessThan(asked.length);
  expect(commands.filter((c) => c === 'count users' || c === 'aggregate users')).toEqual([]);
});

it('a lookup paged past the first result, or combined with another condition, is answered as a list query', async () => {
  await s.scim.post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'paged@example.com', active: false });
  const second = await s.scim.get(`/Users?filter=${encodeURIComponent('userName eq "paged@example.com"')}&startIndex=2&count=10`);
  expect(second.body).toMatchObject({ totalResults: 1, startIndex: 2, itemsPerPage: 0 });
  const inactive = await s.scim.get(`/Users?filter=${encodeURIComponent('userName eq "paged@example.com" and active eq true')}`);
  expect(inactive.body.totalResults).toBe(0);
  const none = await s.scim.get(`/Users?filter=${encodeURIComponent('userName eq "paged@example.com"')}&count=0`);
  expect(none.body).toMatchObject({ totalResults: 1 });
});
