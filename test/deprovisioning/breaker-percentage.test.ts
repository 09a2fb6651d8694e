import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';
import { fixture } from '../scim/http/helpers';

/** The breaker trips only above BOTH thresholds: the user floor and the percentage of active users. */
let s: SyncStack;
beforeAll(async () => {
  s = await startSyncStack({ worker: false });
});
afterAll(() => s.close());

it('with a floor of 2 users and 50% of 10 active users, then the 5th deactivation applies and the 6th trips the breaker', async () => {
  expect((await s.admin.patch('/deprovisioning/settings', { breaker: { users: 2, percentOfActive: 50 } })).status).toBe(200);
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push(await s.user(`pct-${i}`));
  const held = async () => (await s.admin.get('/deprovisioning/held')).body as { breaker: { tripped: boolean }; held: number };
  for (const id of ids.slice(0, 5)) expect((await s.scim.patch(`/Users/${id}`, fixture('okta/patch-user-deactivate.json'))).status).toBe(200);
  expect(await held()).toMatchObject({ breaker: { tripped: false }, held: 0 });
  expect((await s.scim.patch(`/Users/${ids[5]}`, fixture('okta/patch-user-deactivate.json'))).status).toBe(200);
  // The 6th is above 5 (50% of the 10 active before the window): it and the window's 5 are held.
  expect(await held()).toMatchObject({ breaker: { tripped: true }, held: 6 });
});
