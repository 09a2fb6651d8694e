import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { issueConsoleLink } from '../../src/auth/console-sessions';
import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';
import type { Page } from 'playwright-core';
import { openBrowser, prepareChromium, SCREENSHOTS, type BrowserKit } from './browser-kit';

/**
 * Every console page through axe-core (the npm package, WCAG 2.0/2.1 A and AA rules) in Chromium,
 * with data on it (users, a rule, a webhook-free tenant's empty states): no violation of impact
 * "serious" or "critical" on any page. A failure names the page, the rule and the elements.
 */
const PAGES = ['connect', 'rules', 'sync', 'groups', 'people', 'log', 'audit', 'webhooks', 'held'] as const;

describe('console accessibility (axe-core)', () => {
  let s: SyncStack;
  let kit: BrowserKit;
  let page: Page;

  beforeAll(async () => {
    prepareChromium();
    s = await startSyncStack();
    for (let i = 0; i < 5; i++) await s.user(`axe-${i}`, { department: i % 2 ? 'Sales' : 'Support', email: `axe-${i}@example.com` });
    const group = await s.admin.post('/groups', { name: 'Sales team' });
    expect(group.status).toBe(201);
    expect((await s.admin.post('/rules', { name: 'Sales', expression: 'department eq "Sales"', targetGroupId: group.body.id })).status).toBe(201);
    kit = await openBrowser(s.runtime.app);
    // @axe-core/playwright needs a page of an explicit browser context.
    page = await (await kit.browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(20_000);
    const link = await issueConsoleLink(s.runtime.deps.models, s.tenantId, kit.base);
    await page.goto(link.url);
    await page.waitForURL(`${kit.base}/console/`);
  }, 600_000);

  afterAll(async () => {
    await kit?.close();
    await s?.close();
  });

  it.each(PAGES)('the %s page has no serious or critical axe violation', async (hash) => {
    await page.goto(`${kit.base}/console/#/${hash}`);
    await page.locator('main h1').waitFor();
    // Let the page's first requests land (tables filled, or their empty states shown).
    await page.waitForLoadState('networkidle');
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ rule: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
    if (bad.length > 0) writeFileSync(join(SCREENSHOTS, `axe-${hash}.json`), JSON.stringify(bad, null, 2));
    expect(bad).toEqual([]);
  });

  it("the Groups page's Edit form of a custom group has no serious or critical axe violation", async () => {
    await page.goto(`${kit.base}/console/#/groups`);
    await page.getByRole('button', { name: 'Sales team', exact: true }).click();
    await page.getByRole('button', { name: 'Edit Sales team' }).click();
    await page.getByLabel('Description').waitFor();
    await page.waitForLoadState('networkidle');
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ rule: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
    if (bad.length > 0) writeFileSync(join(SCREENSHOTS, 'axe-group-edit.json'), JSON.stringify(bad, null, 2));
    expect(bad).toEqual([]);
  });

  it('the check sees a violation planted on a page (a button without a name is critical)', async () => {
    await page.goto(`${kit.base}/console/#/connect`);
    await page.locator('main h1').waitFor();
    await page.evaluate("document.querySelector('main').append(document.createElement('button'))");
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
    expect(result.violations.map((v) => [v.id, v.impact])).toContainEqual(['button-name', 'critical']);
  });
});
