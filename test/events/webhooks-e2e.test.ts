import { Webhook } from 'standardwebhooks';
import { startSyncStack, waitFor, type SyncStack } from '../workers/sync-fixtures';
import { closeReceivers, startReceiver, type Receiver } from './webhook-receiver';

/**
 * Issue 19's acceptance: a receiver down for a window while more than 10,000 changes happen (an
 * Okta-style import, an IdP group push, a rule change, deprovisions), all through the real API and
 * the real worker (its event loop sequences and delivers; backoff shortened by configuration).
 * When the receiver returns, every event of the feed since the endpoint was added arrives once, in
 * feed order, each signature verifies with `standardwebhooks`, and every retry reused its event's
 * webhook-id. Takes 3-7 minutes on the shared 2-core machine (196 s alone, 416 s within the full
 * suite; most of it the 2,000 SCIM creates and the worker's sync of them).
 */

const USERS = 2000;
const DEPROVISIONED = 300;
const PUSHED = 1000;
const CONCURRENCY = 8;

interface FeedEvent {
  id: string;
  seq: number;
  type: string;
  cursor: string;
}

async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

describe('webhooks end to end (issue 19 acceptance)', () => {
  let s: SyncStack;
  let receiver: Receiver | undefined;
  beforeAll(async () => {
    s = await startSyncStack({
      worker: { concurrency: 8 },
      env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOKS_BACKOFF_BASE_MS: '20', WEBHOOKS_BACKOFF_MAX_MS: '500', EVENTS_SEQUENCE_INTERVAL_MS: '100', SCIM_RATE_LIMIT_PER_MINUTE: '1000000' },
    });
  });
  afterAll(async () => {
    await closeReceivers();
    await s?.close();
  });

  async function feedAfter(cursor: string): Promise<FeedEvent[]> {
    const items: FeedEvent[] = [];
    for (let after = cursor; ;) {
      const page = (await s.admin.get(`/events?after=${after}&limit=1000`).expect(200)).body as { items: FeedEvent[]; nextCursor: string; hasMore: boolean };
      items.push(...page.items);
      after = page.nextCursor;
      if (!page.hasMore) return items;
    }
  }

  it('delivers every one of 10,000+ events once, in order, signed, after the receiver was down while they happened', async () => {
    const startedAt = Date.now();
    let down = true;
    receiver = await startReceiver(() => (down ? 503 : 200));
    const team = await s.internalGroup('Sales team');
    const rule = await s.createRule({ name: 'Sales', expression: 'department eq "Sales"', targetGroupId: team });
    const created = (await s.admin.post('/webhooks', { url: receiver.url }).expect(201)).body as { id: string; secret: string; deliveredThrough: string };
    // Verified as a receiver does, on arrival (the library refuses timestamps older than 5 minutes).
    const wh = new Webhook(created.secret);
    receiver.verifier = (body, headers) => wh.verify(body, headers);

    // An Okta-style import: half Sales, half Support.
    const ids: string[] = new Array(USERS);
    await inPool([...Array(USERS).keys()], CONCURRENCY, async (i) => {
      ids[i] = await s.user(`e2e-${i}`, { department: i % 2 === 0 ? 'Sales' : 'Support' });
    });
    // An IdP group push, 100 members per PATCH.
    const pushed = await s.idpGroup('Everyone pushed');
    for (let i = 0; i < PUSHED; i += 100) {
      await s.patchGroup(pushed, { op: 'add', path: 'members', value: ids.slice(i, i + 100).map((value) => ({ value })) });
    }
    await s.settle(180_000);
    // A rule change: Sales leave the rule's group, Support join it.
    await s.admin.patch(`/rules/${rule.id}`, { expression: 'department eq "Support"' }).expect(200);
    await s.settle(180_000);
    // Deprovisions.
    await inPool(ids.slice(0, DEPROVISIONED), CONCURRENCY, (id) => s.patchUser(id, { op: 'replace', path: 'active', value: false }));
    await s.settle(180_000);

    const feed = await feedAfter(created.deliveredThrough);
    expect(feed.length).toBeGreaterThanOrEqual(10_000);
    const changesSeconds = (Date.now() - startedAt) / 1000;
    // While it was down, the worker kept trying the first event only, under its id.
    expect(receiver.received.length).toBeGreaterThan(1);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([feed[0]!.id]));

    down = false;
    const upAt = Date.now();
    await waitFor(async () => receiver!.received.filter((r) => r.answered === 200).length >= feed.length, 'every event delivered', 600_000, 500);
    const deliverySeconds = (Date.now() - upAt) / 1000;
    // Nothing more arrives: no event twice.
    await new Promise((r) => setTimeout(r, 500));

    const delivered = receiver.received.filter((r) => r.answered === 200);
    expect(delivered.map((r) => r.headers['webhook-id'])).toEqual(feed.map((e) => e.id));
    expect(delivered.map((r) => (JSON.parse(r.body) as { data: { seq: number } }).data.seq)).toEqual(feed.map((e) => e.seq));
    expect(receiver.received.filter((r) => r.verifyError !== null).map((r) => r.verifyError)).toEqual([]);
    // Every failed attempt was followed by an attempt of the same event (same webhook-id) before any other.
    receiver.received.forEach((r, i) => {
      if (r.answered !== 200) expect(receiver!.received[i + 1]?.headers['webhook-id']).toBe(r.headers['webhook-id']);
    });
    const types = new Set(feed.map((e) => e.type));
    for (const t of ['user.created', 'user.deactivated', 'group.created', 'group.member_added', 'group.member_removed']) expect(types).toContain(t);
    const endpoint = (await s.admin.get(`/webhooks/${created.id}`).expect(200)).body;
    expect(endpoint).toMatchObject({ state: 'active', retry: null, deliveredThrough: feed.at(-1)!.cursor });
    process.stdout.write(
      `webhooks e2e: ${feed.length} events from the changes in ${changesSeconds.toFixed(1)} s; ${receiver.received.length - delivered.length} attempts refused while down; delivered in ${deliverySeconds.toFixed(1)} s after the receiver came back (${(feed.length / deliverySeconds).toFixed(0)} events/s)\n`,
    );
  }, 900_000);
});
