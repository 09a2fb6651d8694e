import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { sequenceAllTenants } from '../../src/domain/events/sequencer';
import { deliverDue, postSigned, type DeliveryOptions } from '../../src/domain/webhooks/delivery';
import { assertPublicTarget } from '../../src/domain/webhooks/target-guard';
import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';
import { closeReceivers, startReceiver } from './webhook-receiver';

const OPTS: DeliveryOptions = { allowPrivateTargets: true, retryHours: 72, baseBackoffMs: 1 };

describe('webhooks', () => {
  let s: SyncStack;
  beforeAll(async () => {
    s = await startSyncStack({ worker: false, env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' } });
  });
  afterAll(async () => {
    await closeReceivers();
    await s?.close();
  });

  /** What the worker's loop does each tick, until `done` (a bounded number of rounds). */
  async function deliverUntil(done: () => boolean, opts = OPTS, rounds = 200): Promise<void> {
    for (let round = 0; round < rounds && !done(); round++) {
      await sequenceAllTenants(s.runtime.deps.models);
      await deliverDue(s.runtime.deps.models, opts);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  it('delivers every event in feed order to a receiver that was down, signed (verified with standardwebhooks), retries reusing the webhook-id', async () => {
    let down = true;
    const receiver = await startReceiver(() => (down ? 503 : 200));
    await s.user('before-the-endpoint');
    const created = await s.admin.post('/webhooks', { url: receiver.url }).expect(201);
    const { id, secret, deliveredThrough } = created.body as { id: string; secret: string; deliveredThrough: string };
    expect(secret).toMatch(/^whsec_/);
    expect((await s.admin.get(`/webhooks/${id}`).expect(200)).body).not.toHaveProperty('secret');

    const users = [];
    for (let i = 0; i < 5; i++) users.push(await s.user(`hook-${i}`, { department: 'Sales' }));
    await s.idpGroup('Hooked', users.slice(0, 3));
    await s.patchUser(users[0]!, { op: 'replace', path: 'active', value: false });

    await deliverUntil(() => receiver.received.length >= 4);
    down = false;
    const feed = (await s.admin.get('/events?limit=1000').expect(200)).body.items as { id: string; seq: number; type: string; cursor: string }[];
    // The endpoint starts where the feed stood when it was added.
    const sinceCreation = feed.slice(feed.findIndex((e) => e.cursor === deliveredThrough) + 1);
    expect(sinceCreation.length).toBeGreaterThan(5);
    expect(sinceCreation.length).toBeLessThan(feed.length);
    await deliverUntil(() => receiver.received.filter((r) => r.answered === 200).length >= sinceCreation.length);

    const wh = new Webhook(secret);
    const delivered = receiver.received.filter((r) => r.answered === 200);
    for (const r of receiver.received) expect(() => wh.verify(r.body, r.headers)).not.toThrow();
    // In feed order, each event once, nothing missing.
    expect(delivered.map((r) => r.headers['webhook-id'])).toEqual(sinceCreation.map((e) => e.id));
    expect(delivered.map((r) => JSON.parse(r.body).data.seq)).toEqual(sinceCreation.map((e) => e.seq));
    // Every attempt while it was down was the first event, under the same id.
    const failed = receiver.received.filter((r) => r.answered === 503);
    expect(failed.length).toBeGreaterThanOrEqual(4);
    expect(new Set(failed.map((r) => r.headers['webhook-id']))).toEqual(new Set([sinceCreation[0]!.id]));
    const log = (await s.admin.get(`/webhooks/${id}/deliveries?limit=500`).expect(200)).body.items as { ok: boolean; status: number; attempt: number; responseExcerpt: string }[];
    expect(log.filter((d) => !d.ok).every((d) => d.status === 503 && d.responseExcerpt === 'down for maintenance')).toBe(true);
    expect(Math.max(...log.map((d) => d.attempt))).toBeGreaterThanOrEqual(5);
    await s.admin.delete(`/webhooks/${id}`).expect(204);
    await receiver.close();
  });

  it('marks an endpoint failing after the retry period (audit, metric, API), holds its events, and resumes them in order when enabled again', async () => {
    let status = 500;
    const receiver = await startReceiver(() => status);
    const failingNow = async () => Number(/^scim_webhook_endpoints_failing (\d+)$/m.exec((await request(s.runtime.app).get('/metrics').expect(200)).text)?.[1]);
    const failingBefore = await failingNow();
    const { id } = (await s.admin.post('/webhooks', { url: receiver.url, types: ['user.created'] }).expect(201)).body as { id: string };
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await s.user(`held-user-${i}`));
    await deliverUntil(() => receiver.received.length >= 1, { ...OPTS, retryHours: 0 });
    const failing = (await s.admin.get(`/webhooks/${id}`).expect(200)).body;
    expect(failing).toMatchObject({ state: 'failing', failingSince: expect.any(String), retry: { attempts: 1 } });
    const audit = (await s.admin.get(`/audit?action=webhook.failing&objectId=${id}`).expect(200)).body.items;
    expect(audit).toHaveLength(1);
    expect(await failingNow()).toBe(failingBefore + 1);
    await deliverUntil(() => false, OPTS, 20);
    expect(receiver.received).toHaveLength(1);

    status = 200;
    await s.admin.patch(`/webhooks/${id}`, { enabled: true }).expect(200);
    expect(await failingNow()).toBe(failingBefore);
    await deliverUntil(() => receiver.received.length >= 4);
    expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);
    // The held events, each once, in the order they were committed.
    expect(receiver.received.slice(1).map((r) => JSON.parse(r.body).data.object.id)).toEqual(held);
    expect(receiver.received.slice(1).map((r) => JSON.parse(r.body).type)).toEqual(['user.created', 'user.created', 'user.created']);
    await deliverUntil(() => false, OPTS, 5);
    expect(receiver.received).toHaveLength(4);
    await s.admin.delete(`/webhooks/${id}`).expect(204);
    await receiver.close();
  });

  it('redelivers one event out of band under its webhook-id, leaving the endpoint where it was', async () => {
    const receiver = await startReceiver(() => 200);
    const { id, secret } = (await s.admin.post('/webhooks', { url: receiver.url, types: ['user.created'] }).expect(201)).body as { id: string; secret: string };
    await s.user('redelivered-once');
    await deliverUntil(() => receiver.received.length >= 1);
    const original = receiver.received[0]!;
    const eventId = original.headers['webhook-id']!;
    const before = (await s.admin.get(`/webhooks/${id}`).expect(200)).body;
    const answer = (await s.admin.post(`/webhooks/${id}/redeliver`, { eventId }).expect(200)).body;
    expect(answer).toMatchObject({ eventId, ok: true, status: 200, manual: true });
    expect(receiver.received).toHaveLength(2);
    const again = receiver.received[1]!;
    expect(again.headers['webhook-id']).toBe(eventId);
    expect(JSON.parse(again.body)).toEqual(JSON.parse(original.body));
    expect(() => new Webhook(secret).verify(again.body, again.headers)).not.toThrow();
    expect((await s.admin.get(`/webhooks/${id}`).expect(200)).body.deliveredThrough).toBe(before.deliveredThrough);
    const log = (await s.admin.get(`/webhooks/${id}/deliveries`).expect(200)).body.items as { eventId: string; manual: boolean }[];
    expect(
      log
        .filter((d) => d.eventId === eventId)
        .map((d) => d.manual)
        .sort(),
    ).toEqual([false, true]);
    expect((await s.admin.post(`/webhooks/${id}/redeliver`, { eventId: 'evt_nope' }).expect(404)).body.error).toMatchObject({ code: 'EVENT_NOT_FOUND' });
    await s.admin.post(`/webhooks/${id}/redeliver`, { eventId, after: before.deliveredThrough }).expect(400);
    await s.admin.delete(`/webhooks/${id}`).expect(204);
    await receiver.close();
  });

  it('signs with both secrets during a rotation, sends a test event, and redelivers from a cursor', async () => {
    const receiver = await startReceiver(() => 200);
    const { id, secret: first } = (await s.admin.post('/webhooks', { url: receiver.url }).expect(201)).body as { id: string; secret: string };
    const { secret: second } = (await s.admin.post(`/webhooks/${id}/rotate-secret`, { overlapHours: 1 }).expect(201)).body as { secret: string };
    const test = (await s.admin.post(`/webhooks/${id}/test`).expect(200)).body;
    expect(test).toMatchObject({ ok: true, status: 200 });
    const [sent] = receiver.received;
    expect(JSON.parse(sent!.body).type).toBe('webhook.test');
    for (const secret of [first, second]) expect(() => new Webhook(secret).verify(sent!.body, sent!.headers)).not.toThrow();

    await s.user('redelivered');
    await deliverUntil(() => receiver.received.length >= 2);
    const before = receiver.received.length;
    const firstEvent = JSON.parse(receiver.received[1]!.body).data as { id: string; cursor: string; seq: number };
    const feed = (await s.admin.get('/events?limit=1000').expect(200)).body.items as { id: string; seq: number; cursor: string }[];
    const previous = feed[feed.findIndex((e) => e.id === firstEvent.id) - 1]!;
    await s.admin.post(`/webhooks/${id}/redeliver`, { after: previous.cursor }).expect(200);
    await deliverUntil(() => receiver.received.length >= before + 1);
    expect(receiver.received[before]!.headers['webhook-id']).toBe(firstEvent.id);
    await receiver.close();
  });

  it('serves a slow endpoint and a fast one at once, each in feed order (the fast one does not wait for the slow one)', async () => {
    const fast = await startReceiver(() => 200);
    let wanted = Number.POSITIVE_INFINITY;
    // The slow receiver answers only once the fast one holds every event (or after 5 s, so a
    // deliverer that served the endpoints one after another fails the test instead of hanging it).
    const fastHasAll = () => fast.received.length >= wanted;
    // Decided where the slow receiver answers its first request, not by a timer racing it (a
    // watcher polling every 1 ms lost that race to the handler's own 10 ms poll under load).
    let fastHadAllAtSlowFirstAnswer: boolean | undefined;
    const slow = await startReceiver(
      () => 200,
      async () => {
        for (const until = Date.now() + 5000; !fastHasAll() && Date.now() < until;) await new Promise((r) => setTimeout(r, 10));
        fastHadAllAtSlowFirstAnswer ??= fastHasAll();
      },
    );
    const types = ['user.created'];
    const endpoints = [];
    for (const receiver of [slow, fast]) endpoints.push((await s.admin.post('/webhooks', { url: receiver.url, types }).expect(201)).body as { id: string; deliveredThrough: string });
    for (let i = 0; i < 4; i++) await s.user(`concurrent-${i}`);
    await sequenceAllTenants(s.runtime.deps.models);
    const feed = (await s.admin.get(`/events?after=${endpoints[0]!.deliveredThrough}&types=user.created&limit=1000`).expect(200)).body.items as { id: string }[];
    expect(feed).toHaveLength(4);
    wanted = feed.length;
    await deliverUntil(() => fast.received.length >= wanted && slow.received.length >= wanted, { ...OPTS, concurrency: 2 });
    // The fast endpoint had every event while the slow one had not answered its first.
    expect(fastHadAllAtSlowFirstAnswer).toBe(true);
    for (const receiver of [fast, slow]) expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual(feed.map((e) => e.id));
    for (const { id } of endpoints) await s.admin.delete(`/webhooks/${id}`).expect(204);
  });

  it('pages the delivery log newest first by cursor, every attempt once', async () => {
    const receiver = await startReceiver(() => 200);
    const { id } = (await s.admin.post('/webhooks', { url: receiver.url }).expect(201)).body as { id: string };
    for (let i = 0; i < 7; i++) await s.admin.post(`/webhooks/${id}/test`).expect(200);
    const all = (await s.admin.get(`/webhooks/${id}/deliveries?limit=500`).expect(200)).body as { items: { id: string; at: string }[]; nextCursor: string | null };
    expect(all.items).toHaveLength(7);
    expect(all.nextCursor).toBeNull();
    const paged: string[] = [];
    const sizes: number[] = [];
    for (let cursor: string | null = ''; cursor !== null;) {
      const page = (await s.admin.get(`/webhooks/${id}/deliveries?limit=3${cursor ? `&cursor=${cursor}` : ''}`).expect(200)).body as { items: { id: string }[]; nextCursor: string | null };
      paged.push(...page.items.map((d) => d.id));
      sizes.push(page.items.length);
      cursor = page.nextCursor;
    }
    expect(sizes).toEqual([3, 3, 1]);
    expect(paged).toEqual(all.items.map((d) => d.id));
    const times = all.items.map((d) => Date.parse(d.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect((await s.admin.get(`/webhooks/${id}/deliveries?cursor=not-ours`).expect(400)).body.error).toMatchObject({ code: 'INVALID_CURSOR' });
    await s.admin.get(`/webhooks/${id}/deliveries?limit=0`).expect(400);
    await s.admin.delete(`/webhooks/${id}`).expect(204);
  });

  it('gives up on a receiver that does not answer within the attempt timeout, and reads the answer of one that does', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    const silent = await startReceiver(
      () => 200,
      () => released,
    );
    const ep = { url: silent.url, secrets: [{ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdAt: new Date() }] };
    try {
      const result = await postSigned(ep, 'msg_timeout', { type: 'webhook.test' }, { ...OPTS, timeoutMs: 200 });
      expect(result).toMatchObject({ ok: false, error: 'no answer within 200 ms' });
      expect(result.status).toBeUndefined();
    } finally {
      release();
    }
    const answering = await startReceiver(() => 202);
    expect(await postSigned({ ...ep, url: answering.url }, 'msg_ok', { type: 'webhook.test' }, OPTS)).toMatchObject({ ok: true, status: 202, responseExcerpt: 'thanks' });
  });

  it('refuses loopback, private and link-local targets unless allowed', async () => {
    for (const url of ['http://127.0.0.1:9/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest', 'http://[::1]/x', 'http://[::ffff:127.0.0.1]/x', 'http://192.168.1.1/']) {
      await expect(assertPublicTarget(new URL(url), false)).rejects.toMatchObject({ code: 'WEBHOOK_TARGET_FORBIDDEN' });
      await expect(assertPublicTarget(new URL(url), true)).resolves.toBeUndefined();
    }
    await expect(assertPublicTarget(new URL('https://93.184.216.34/hooks'), false)).resolves.toBeUndefined();
    await s.admin.post('/webhooks', { url: 'ftp://example.com/x' }).expect(400);
  });
});
