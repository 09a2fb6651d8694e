import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { issueConsoleLink } from '../../src/auth/console-sessions';
import { ruleWithFailingJob, startSyncStack, waitFor, type SyncStack } from '../workers/sync-fixtures';

/**
 * The operator console in a real browser: Debian's chromium driven by playwright-core, against the
 * real app (API and sync worker) on the test run's local services. Every wait is for a condition
 * on the page (Playwright's auto-waiting locators), never a fixed sleep. A screenshot of each page
 * is saved under .data/screenshots (git-ignored).
 */
const ROOT = join(__dirname, '..', '..');
const SCREENSHOTS = join(ROOT, '.data', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('operator console in Chromium', () => {
  let s: SyncStack;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  let sales: string;

  beforeAll(async () => {
    // A fresh machine: `npm test` installs Debian's chromium the way the services script installs redis-server.
    if (!existsSync(CHROMIUM) && !process.env.CHROMIUM_PATH) execFileSync('bash', [join(ROOT, 'scripts', 'services.sh'), 'chromium'], { stdio: 'inherit' });
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    // The console's scripts are what `npm run build` emits; compile them so the test serves this tree's code.
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'console', 'tsconfig.json')], { stdio: 'inherit' });
    mkdirSync(SCREENSHOTS, { recursive: true });
    s = await startSyncStack();
    sales = await s.internalGroup('Sales team');
    await s.user('ann@example.com', { department: 'Sales' });
    await s.user('bob@example.com', { department: 'Sales' });
    await s.user('cy@example.com', { department: 'Legal' });
    server = createServer(s.runtime.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Below jest's 60 s per test, so a wait that never ends fails with Playwright's message (which locator, what it saw).
    page.setDefaultTimeout(20_000);
    page.on('dialog', (dialog) => void dialog.accept());
  }, 600_000); // an apt-get install of chromium on a fresh machine takes minutes

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await s?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  /**
   * A browser step: when it fails, the page as it was (screenshot, address and visible text) is kept
   * under .data/screenshots and printed, so a failure seen once can be read afterwards.
   */
  const step = (name: string, body: () => Promise<void>) =>
    it(name, async () => {
      try {
        await body();
      } catch (err) {
        const file = `failed-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`;
        await shot(file).catch(() => undefined);
        const text = await page
          .locator('body')
          .innerText()
          .catch(() => '(no page text)');
        writeFileSync(join(SCREENSHOTS, `${file}.txt`), `${page.url()}\n\n${text}`);
        // The text too, so a CI log (where the files are gone with the clone) shows what the page said.
        process.stderr.write(`console e2e: "${name}" failed at ${page.url()}; page kept in .data/screenshots/${file}.{png,txt}\n${text.slice(0, 2000)}\n`);
        throw err;
      }
    });

  step('signs in with a one-time link; the address bar keeps no secret; the link does not work twice', async () => {
    const link = await issueConsoleLink(s.runtime.deps.models, s.tenantId, base);
    await page.goto(link.url);
    await page.waitForURL(`${base}/console/`);
    await page.getByText(`· ${s.tenantId}`).waitFor();
    expect(page.url()).not.toContain('code=');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'scim_console_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // No inline script ran or was blocked: the CSP holds and the page still works.
    const other = await browser.newPage();
    await other.goto(link.url);
    await other.getByText('This sign-in link cannot be used').waitFor();
    await other.close();
  });

  step('connects an IdP: base URL, last request, create and rotate a token (shown once)', async () => {
    // The fixtures' SCIM writes were the IdP's last requests (a success right after a success may
    // not be written for a few seconds: src/auth/scim-token-activity.ts); a failure is written at once.
    await s.scim.get('/Users/no-such-user').set('User-Agent', 'Okta SCIM Client');
    // The log entry is written after the answer (the log's writer waits up to 50 ms for more): the
    // page reads the last request once, so it opens when the API has the entry.
    await waitFor(async () => (await s.admin.get('/provisioning-log?outcome=failed')).body.items.length > 0, 'the failed request in the provisioning log', 10_000, 25);
    await page.goto(`${base}/console/#/connect`);
    await expect(page.getByLabel('SCIM base URL').inputValue()).resolves.toBe(`${base}/scim/v2`);
    await page.getByTestId('last-request').getByText('Failed: GET /Users/no-such-user → 404').waitFor();
    await page.getByTestId('last-request').getByText('Okta SCIM Client').waitFor();
    await page.getByText('Step-by-step setup').waitFor();

    await page.getByLabel('Label of a new token').fill('Entra production');
    await page.getByRole('button', { name: 'Create token' }).click();
    const created = await page.getByLabel('New SCIM token').inputValue();
    expect(created).toMatch(/^scim_/);
    const scimWith = (token: string) => fetch(`${base}/scim/v2/Users`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await scimWith(created)).toBe(200);

    await page.getByRole('button', { name: 'Rotate token Entra production' }).click();
    await page.getByText('Token Entra production rotated').waitFor();
    const rotated = await page.getByLabel('New SCIM token').inputValue();
    expect(rotated).not.toBe(created);
    expect(await scimWith(rotated)).toBe(200);
    expect(await scimWith(created)).toBe(401);
    await page.getByRole('cell', { name: 'revoked' }).first().waitFor();
    await shot('connect');
  });

  step('creates a rule: validated as typed (position, did-you-mean), dry run, then save applies it', async () => {
    await page.goto(`${base}/console/#/rules`);
    await page.getByRole('button', { name: 'New rule or mapping' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Sales department');
    await page.getByLabel('Target group').selectOption({ label: 'Sales team (user)' });
    await page.getByLabel('Expression').fill('departmnt eq "Sales"');
    await page.getByText('Hint: did you mean "department"?').waitFor();
    await page.getByText(/at 1:1/).waitFor();
    await expect(page.getByRole('button', { name: 'Save' }).isDisabled()).resolves.toBe(true);

    await page.getByLabel('Expression').fill('department eq "Sales"');
    await page.getByText(/^Valid\. Uses .*department/).waitFor();
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByTestId('preview-summary').getByText('2 users match. Would add 2, remove 0').waitFor();
    await shot('rules-dry-run');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Sales department saved').waitFor();
    await page.getByRole('cell', { name: 'department eq "Sales"' }).waitFor();
    await s.settle();
    expect((await s.membersOf(sales)).size).toBe(2);
    await shot('rules');
  });

  step('monitors sync: a failed job shows up by itself and Retry runs it again', async () => {
    await page.goto(`${base}/console/#/sync`);
    await page.getByTestId('pending-total').waitFor();
    const { ruleId } = await ruleWithFailingJob(s, sales);
    const failed = page.getByRole('row').filter({ hasText: ruleId });
    await failed.getByText('unknown attribute "costCentre"').waitFor(); // the page refreshed by itself
    await shot('sync');
    await s.runtime.deps.models.Rule.collection.updateOne({ _id: ruleId } as never, { $set: { expression: 'department eq "Sales"' } });
    await failed.getByRole('button', { name: /^Retry job/ }).click();
    await page.getByText(/queued again as/).waitFor();
    await failed.waitFor({ state: 'detached' });
  });

  step('explains why a user is in a group, their permissions, and filters the audit log', async () => {
    await page.goto(`${base}/console/#/groups`);
    await page.getByLabel('Search groups').fill('sales');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Sales team' }).click();
    const ann = page.getByRole('row').filter({ hasText: 'ann@example.com' });
    // "Why is this user here": the rule by name, with its expression.
    await ann.getByRole('listitem').filter({ hasText: 'rule “Sales department”: department eq "Sales"' }).waitFor();
    await ann.getByRole('button', { name: 'ann@example.com' }).click();
    await page.getByRole('heading', { name: 'Effective permissions' }).waitFor();
    await page.getByRole('listitem').filter({ hasText: 'Sales team (member)' }).waitFor();
    await shot('groups');

    await page.goto(`${base}/console/#/audit`);
    await page.getByLabel('Action (exact, or a prefix ending in . or *)').fill('scim_token.');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('cell', { name: 'scim_token.revoked' }).waitFor();
    // The unfiltered table (which has both) stays until the filtered answer replaces it.
    await page.getByRole('cell', { name: 'rule.created' }).first().waitFor({ state: 'detached' });
    expect(await page.getByRole('cell', { name: 'rule.created' }).count()).toBe(0);
    await shot('audit');
  });

  step('signs out: the session ends and the API refuses the cookie', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You signed out.').waitFor();
    const status = await page.evaluate(() => fetch('/admin/v1/session').then((r) => r.status));
    expect(status).toBe(401);
  });
});
