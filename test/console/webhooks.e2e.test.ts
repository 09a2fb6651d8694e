import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { issueConsoleLink } from '../../src/auth/console-sessions';
import { startSyncStack, waitFor, type SyncStack } from '../workers/sync-fixtures';
import { closeReceivers, startReceiver, type Receiver } from '../events/webhook-receiver';

/**
 * The console's Webhooks page in a real browser (the harness of console.e2e.test.ts): add an
 * endpoint (secret shown once), send a test event, read the delivery log, redeliver an event,
 * rotate the secret, disable and enable. A real receiver on loopback checks every request with
 * `standardwebhooks` as it arrives.
 */
const ROOT = join(__dirname, '..', '..');
const SCREENSHOTS = join(ROOT, '.data', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('console webhooks page in Chromium', () => {
  let s: SyncStack;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  let receiver: Receiver;
  let secret = '';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM) && !process.env.CHROMIUM_PATH) execFileSync('bash', [join(ROOT, 'scripts', 'services.sh'), 'chromium'], { stdio: 'inherit' });
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'console', 'tsconfig.json')], { stdio: 'inherit' });
    mkdirSync(SCREENSHOTS, { recursive: true });
    s = await startSyncStack({ env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', EVENTS_SEQUENCE_INTERVAL_MS: '100' } });
    receiver = await startReceiver(() => 200);
    receiver.verifier = (body, headers) => new Webhook(secret).verify(body, headers);
    server = createServer(s.runtime.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20_000);
    page.on('dialog', (dialog) => void dialog.accept());
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await closeReceivers();
    await s?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

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
        process.stderr.write(`webhooks console e2e: "${name}" failed at ${page.url()}; page kept in .data/screenshots/${file}.{png,txt}\n${text.slice(0, 2000)}\n`);
        throw err;
      }
    });

  step('adds an endpoint; its signing secret is shown once', async () => {
    const link = await issueConsoleLink(s.runtime.deps.models, s.tenantId, base);
    await page.goto(link.url);
    await page.waitForURL(`${base}/console/`);
    await page.goto(`${base}/console/#/webhooks`);
    await page.getByText('No endpoints yet.').waitFor();
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    secret = await page.getByLabel(`Signing secret of ${receiver.url}`).inputValue();
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('cell', { name: receiver.url, exact: true }).waitFor();
    // Shown once: the API never shows it again, and neither does the page after a reload.
    await page.reload();
    await page.getByRole('cell', { name: receiver.url, exact: true }).waitFor();
    expect(await page.getByText(secret).count()).toBe(0);
    await shot('webhooks');
  });

  step('sends a test event, signed with the secret it showed', async () => {
    await page.getByRole('button', { name: `Send test event to ${receiver.url}` }).click();
    await page.getByText(new RegExp(`Test event to .*: 200 in \\d+ ms`)).waitFor();
    const test = receiver.received.find((r) => JSON.parse(r.body).type === 'webhook.test');
    expect(test).toMatchObject({ verifyError: null });
  });

  step('shows the delivery log and redelivers an event under its webhook-id', async () => {
    await s.user('hooked.user');
    const first = await waitFor(async () => receiver.received.find((r) => JSON.parse(r.body).type === 'user.created'), 'the user.created event');
    const eventId = first.headers['webhook-id']!;
    await page.getByRole('button', { name: `Deliveries to ${receiver.url}` }).click();
    const entry = page.getByRole('row').filter({ hasText: eventId }).first();
    await entry.waitFor();
    const before = receiver.received.length;
    await entry.getByRole('button', { name: `Redeliver event ${eventId}` }).click();
    await page.getByText(`Event ${eventId} redelivered: 200`).waitFor();
    const again = receiver.received.slice(before).find((r) => r.headers['webhook-id'] === eventId);
    expect(again).toMatchObject({ verifyError: null });
    await page.getByRole('row').filter({ hasText: eventId }).filter({ hasText: '(manual)' }).waitFor();
    await shot('webhooks-deliveries');
  });

  step('rotates the secret (the new one shown once, both sign during the overlap), disables and enables', async () => {
    await page.getByRole('button', { name: `Rotate secret of ${receiver.url}` }).click();
    const rotated = await page.getByLabel(`New signing secret of ${receiver.url}`).inputValue();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    const old = secret;
    secret = rotated;
    const before = receiver.received.length;
    await page.getByRole('button', { name: `Send test event to ${receiver.url}` }).click();
    await waitFor(async () => receiver.received.length > before, 'the test event');
    const signed = receiver.received[before]!;
    expect(signed.verifyError).toBeNull();
    expect(() => new Webhook(old).verify(signed.body, signed.headers)).not.toThrow();

    await page.getByRole('button', { name: `Disable ${receiver.url}` }).click();
    await page.getByRole('cell', { name: 'disabled' }).waitFor();
    await page.getByRole('button', { name: `Enable ${receiver.url}` }).click();
    await page.getByRole('cell', { name: 'active', exact: true }).waitFor();
  });
});
