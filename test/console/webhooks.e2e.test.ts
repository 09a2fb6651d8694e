import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { openBrowser, prepareChromium, SCREENSHOTS, stepOf, type BrowserKit } from './browser-kit';
import { issueConsoleLink } from '../../src/auth/console-sessions';
import { startSyncStack, waitFor, type SyncStack } from '../workers/sync-fixtures';
import { closeReceivers, startReceiver, type Receiver } from '../events/webhook-receiver';

/**
 * The console's Webhooks page in a real browser (the harness of console.e2e.test.ts): add an
 * endpoint (secret shown once), send a test event, read the delivery log, redeliver an event,
 * rotate the secret, disable and enable. A real receiver on loopback checks every request with
 * `standardwebhooks` as it arrives.
 */
describe('console webhooks page in Chromium', () => {
  let s: SyncStack;
  let kit: BrowserKit | undefined;
  let base: string;
  let page: Page;
  let receiver: Receiver;
  let secret = '';

  beforeAll(async () => {
    prepareChromium();
    s = await startSyncStack({ env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', EVENTS_SEQUENCE_INTERVAL_MS: '100' } });
    receiver = await startReceiver(() => 200);
    receiver.verifier = (body, headers) => new Webhook(secret).verify(body, headers);
    kit = await openBrowser(s.runtime.app);
    ({ base, page } = kit);
  }, 600_000);

  afterAll(async () => {
    await kit?.close();
    await closeReceivers();
    await s?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  const step = stepOf(() => kit);

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
