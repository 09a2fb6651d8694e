import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openBrowser, prepareChromium, SCREENSHOTS, stepOf, type BrowserKit } from './browser-kit';
import { issueConsoleLink } from '../../src/auth/console-sessions';
import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';
import { fixture } from '../scim/http/helpers';

/**
 * The console's "Held changes" page in a real browser (the harness of console.e2e.test.ts): a
 * breaker with a threshold of 3 trips on 10 Okta deactivations; the banner shows on every page,
 * the page lists 10 held changes, one user is rejected, one deactivated at once, the rest allowed.
 */
describe('Held changes page in Chromium', () => {
  let s: SyncStack;
  let kit: BrowserKit | undefined;
  let base: string;
  let page: Page;
  const ids: string[] = [];

  beforeAll(async () => {
    prepareChromium();
    s = await startSyncStack();
    expect((await s.admin.patch('/deprovisioning/settings', { breaker: { users: 3, percentOfActive: 0 } })).status).toBe(200);
    for (let i = 0; i < 10; i++) ids.push(await s.user(`held-${i}`));
    kit = await openBrowser(s.runtime.app);
    ({ base, page } = kit);
  }, 600_000);

  afterAll(async () => {
    await kit?.close();
    await s?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const step = stepOf(() => kit);

  step('when the breaker has tripped, then every page shows the banner and Held changes lists the 10 users, saying which way it fails', async () => {
    for (const id of ids) expect((await s.scim.patch(`/Users/${id}`, fixture('okta/patch-user-deactivate.json'))).status).toBe(200);
    const link = await issueConsoleLink(s.runtime.deps.models, s.tenantId, base);
    await page.goto(link.url);
    await page.waitForURL(`${base}/console/`);
    await page.getByTestId('held-banner').waitFor();
    expect(await page.getByTestId('held-banner').innerText()).toContain('10 changes from the IdP held');
    await page.getByRole('link', { name: 'Review held changes' }).click();
    await page.getByRole('heading', { name: 'Held changes', level: 1 }).waitFor();
    await page.getByTestId('held-count').filter({ hasText: '10 held, 0 rejected.' }).waitFor();
    expect(await page.locator('tr[data-state="held"]').count()).toBe(10);
    expect(await page.getByTestId('fails-open').innerText()).toContain("keeps the user's access");
    expect(await page.getByTestId('breaker-state').innerText()).toContain('Tripped');
    await shot('held-changes');
  });

  step('when the operator rejects one user, deactivates it at once, then allows the rest, then the page and the users follow, and the banner goes', async () => {
    await page.getByRole('button', { name: 'Reject held-0', exact: true }).click();
    await page.getByTestId('held-count').filter({ hasText: '9 held, 1 rejected.' }).waitFor();
    expect(await page.locator(`tr[data-user-id="${ids[0]}"]`).getAttribute('data-state')).toBe('rejected');
    await page.getByRole('button', { name: 'Deactivate now held-0', exact: true }).click();
    await page.getByTestId('held-count').filter({ hasText: '9 held, 0 rejected.' }).waitFor();
    await page.getByRole('button', { name: 'Allow all (9)' }).click();
    await page.getByTestId('held-count').filter({ hasText: '0 held, 0 rejected.' }).waitFor();
    await page.getByTestId('held-banner').waitFor({ state: 'detached' });
    const stored = await s.runtime.deps.models.User.collection.find({ _id: { $in: ids } } as never).toArray();
    expect(stored.map((u) => [(u as unknown as { attrs: { active: boolean } }).attrs.active, 'hold' in u])).toEqual(ids.map(() => [false, false]));
    await shot('held-changes-decided');
  });

  step(
    'when the IdP removes 5 members of a mapped group, then the 2 removals after the trip are listed as held group changes, and rejecting them per group keeps the memberships and clears the banner',
    async () => {
      const team = await s.internalGroup('Support team');
      await s.createRule({ name: 'Support', expression: 'groups = "Okta Support"', targetGroupId: team });
      const members: string[] = [];
      for (let i = 0; i < 5; i++) members.push(await s.user(`support-${i}`));
      const group = await s.idpGroup('Okta Support', members);
      await s.settle();
      for (const id of members)
        expect((await s.scim.patch(`/Groups/${group}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }] })).status).toBe(
          204,
        );
      await page.reload();
      await page.getByTestId('held-banner').filter({ hasText: '2 changes from the IdP held' }).waitFor();
      await page.getByTestId('group-held-count').filter({ hasText: '2 member removals held, 0 rejected' }).waitFor();
      expect(await page.locator(`tr[data-group-id="${group}"][data-state="held"]`).count()).toBe(2);
      await shot('held-group-changes');
      await page.getByRole('button', { name: 'Reject removals from Okta Support' }).first().click();
      await page.getByTestId('group-held-count').filter({ hasText: '0 member removals held, 2 rejected' }).waitFor();
      await page.getByTestId('held-banner').waitFor({ state: 'detached' });
      await s.settle();
      const mapped = await s.membersOf(team);
      expect(members.filter((id) => mapped.has(id))).toEqual(members.slice(3));
    },
  );

  step('when the operator links an admin-created user, then the page says the IdP will take it over', async () => {
    const created = await s.admin.post('/users', { userName: 'lee@example.com', email: 'lee@example.com' });
    expect(created.status).toBe(201);
    await page.getByLabel('User id').fill(created.body.id);
    await page.getByRole('button', { name: 'Link to the IdP' }).click();
    await page.getByRole('status').filter({ hasText: 'lee@example.com is linked' }).waitFor();
  });
});
