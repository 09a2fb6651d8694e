import { startSyncStack, type SyncStack } from '../../workers/sync-fixtures';
import { mapConcurrently } from '../../helpers/concurrency';

/**
 * Okta looks every user up by userName before creating it (`filter=userName eq "…"`). Concurrent
 * lookups share their reads; each must still get exactly its own answer.
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
