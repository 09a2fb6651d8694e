import type { ChangeEventDoc, Models, WebhookDeliveryDoc, WebhookEndpointDoc } from '../../persistence/models';
import { newId, newTimeOrderedId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import { changeEventView } from '../events/feed';
import { signedHeaders } from './signing';
import { assertPublicTarget } from './target-guard';
import { recordAudit } from '../audit';
import { nodeHttpTransport, type PostTransport } from './transport';

export interface DeliveryOptions {
  allowPrivateTargets: boolean;
  /** How long one event is retried before the endpoint is marked failing and its events held. */
  retryHours: number;
  /** First retry delay (default 5 s); doubles per attempt up to `maxBackoffMs` (default an hour), with jitter. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
  /** Events read per page (default 100). */
  perRound?: number;
  /** Progress (delivery log, cursor) is written after this many delivered events (default 50) or this long (default 100 ms), whichever first. */
  progressEvery?: number;
  progressEveryMs?: number;
  /** How long one endpoint is served per round before the next endpoint's turn (default 1 s; the next round continues). */
  budgetMs?: number;
  /** Endpoints served at once by one deliverer (default 8); each endpoint's events still one after another. */
  concurrency?: number;
  /** How a POST is sent (default node:http with keep-alive); the benchmark compares transports through it. */
  transport?: PostTransport;
}

const LEASE_MS = 60_000;
const MAX_BACKOFF_MS = 3600_000;
const EXCERPT_CHARS = 500;
const owner = newId('whd', 9);

/** Exponential backoff with jitter (half to full of the doubled delay), so many failing receivers do not retry in step. */
export function backoffMs(attempt: number, baseMs: number, maxMs = MAX_BACKOFF_MS): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(40, Math.max(0, attempt - 1)));
  return Math.round(full * (0.5 + Math.random() * 0.5));
}

export interface AttemptResult {
  ok: boolean;
  status?: number;
  latencyMs: number;
  error?: string;
  responseExcerpt?: string;
}

const activeSecrets = (ep: Pick<WebhookEndpointDoc, 'secrets'>, now: Date) => ep.secrets.filter((s) => !s.expiresAt || s.expiresAt > now).map((s) => s.secret);

/** One signed POST (Standard Webhooks); redirects are not followed, the target is checked first. */
export async function postSigned(ep: Pick<WebhookEndpointDoc, 'url' | 'secrets'>, msgId: string, payload: unknown, opts: DeliveryOptions): Promise<AttemptResult> {
  const started = Date.now();
  const body = JSON.stringify(payload);
  try {
    const url = new URL(ep.url);
    await assertPublicTarget(url, opts.allowPrivateTargets);
    const headers = { 'content-type': 'application/json', 'user-agent': 'scim-sync-webhooks/1', ...signedHeaders(msgId, body, activeSecrets(ep, new Date())) };
    const answer = await (opts.transport ?? nodeHttpTransport)(url, headers, body, opts.timeoutMs ?? 10_000, EXCERPT_CHARS);
    const latencyMs = Date.now() - started;
    if (answer.status === undefined) return { ok: false, latencyMs, error: answer.error ?? 'no answer' };
    return { ok: answer.status >= 200 && answer.status < 300, status: answer.status, latencyMs, responseExcerpt: answer.excerpt ?? '' };
  } catch (err) {
    return { ok: false, latencyMs: Date.now() - started, error: err instanceof Error ? err.message : String(err) };
  }
}

/** What a receiver gets: the event as `GET /events` shows it, in the Standard Webhooks envelope. */
export const webhookPayload = (e: ChangeEventDoc) => ({ type: e.type, timestamp: e.occurredAt.toISOString(), data: changeEventView(e) });

/**
 * One round over every deliverable endpoint whose retry time has come, `concurrency` endpoints at
 * a time (a slow receiver holds up only its own slot). `more`: some endpoint stopped with events
 * still to send (its time was up), so the next round should follow at once.
 */
export async function deliveryRound(models: Models, opts: DeliveryOptions): Promise<{ delivered: number; more: boolean }> {
  const now = Date.now();
  const due = (await repositoriesOf(models).webhooks.deliverable(1000)).filter((ep) => !ep.retry || ep.retry.nextAttemptAt.getTime() <= now);
  let delivered = 0;
  let more = false;
  let next = 0;
  const errors: unknown[] = [];
  const slot = async () => {
    while (next < due.length) {
      const ep = due[next++]!;
      // One endpoint's failure (a database error) does not stop the others' round; it is thrown after.
      const r = await deliverEndpointRound(models, ep.tenantId, ep._id, opts).catch((err: unknown) => (errors.push(err), { delivered: 0, more: false }));
      delivered += r.delivered;
      more ||= r.more;
    }
  };
  await Promise.all(Array.from({ length: Math.min(due.length, Math.max(1, opts.concurrency ?? 8)) }, slot));
  if (errors.length > 0) throw errors[0];
  return { delivered, more };
}

/** One delivery round (`deliveryRound`); the events delivered. */
export async function deliverDue(models: Models, opts: DeliveryOptions): Promise<number> {
  return (await deliveryRound(models, opts)).delivered;
}

/** One endpoint's round (`deliverEndpointRound`); the events delivered. */
export async function deliverEndpoint(models: Models, tenantId: string, endpointId: string, opts: DeliveryOptions): Promise<number> {
  return (await deliverEndpointRound(models, tenantId, endpointId, opts)).delivered;
}

/**
 * Delivers the endpoint's next events in feed order, one at a time: the next waits for the
 * previous. A failure schedules the same event again (same webhook-id) after a backoff; after
 * `retryHours` of failures the endpoint is marked failing and its events wait (nothing is skipped:
 * the cursor stays) until it is enabled again or redelivery is asked for.
 */
export async function deliverEndpointRound(models: Models, tenantId: string, endpointId: string, opts: DeliveryOptions): Promise<{ delivered: number; more: boolean }> {
  const repos = repositoriesOf(models);
  const ep = await repos.webhooks.takeLease(tenantId, endpointId, owner, LEASE_MS);
  if (!ep) return { delivered: 0, more: false };
  let delivered = 0;
  // Stopped by the round's time (or a redelivery) with events still to send: the next round at once.
  let unfinished: boolean;
  try {
    if (!ep.enabled || ep.state !== 'active') return { delivered: 0, more: false };
    // `cursor`: delivered through (here); `saved`: as stored. Progress (the log and the cursor) is
    // written every `progressEvery` events or `progressEveryMs`, after a failure, and at the end;
    // while one progress write is under way the next events are sent (the database's latency and
    // the receiver's overlap), and one write waits for the previous.
    let saved = ep.cursor;
    let cursor = ep.cursor;
    let retry = ep.retry;
    const logs: WebhookDeliveryDoc[] = [];
    let flushedAt = Date.now();
    let writing: Promise<boolean> = Promise.resolve(true);
    let overtaken = false;
    /** Writes the pending log entries and the cursor after the previous write; false when a redelivery moved the cursor meanwhile (it wins). */
    const flush = (set: Partial<WebhookEndpointDoc> = {}): Promise<boolean> => {
      const batch = logs.splice(0);
      const to = cursor;
      flushedAt = Date.now();
      writing = writing.then(async (ok) => {
        if (!ok) {
          await repos.webhooks.logDeliveries(batch);
          return false;
        }
        const [, settled] = await Promise.all([repos.webhooks.logDeliveries(batch), repos.webhooks.settle(ep.tenantId, ep._id, owner, saved, { cursor: to, ...set }, set.retry ? [] : ['retry'])]);
        if (settled) saved = to;
        else overtaken = true;
        return settled;
      });
      // Handled here for the process (a database error must not be an unhandled rejection while
      // the next events are sent); the round still awaits `writing` and fails with it.
      writing.catch(() => undefined);
      return writing;
    };
    const perRound = opts.perRound ?? 100;
    const progressEvery = opts.progressEvery ?? 50;
    const progressEveryMs = opts.progressEveryMs ?? 100;
    const until = Date.now() + (opts.budgetMs ?? 1000);
    const types = ep.types.length ? ep.types : undefined;
    const pageAfter = async (after: number) => {
      const { committed } = await repos.changeEvents.state(ep.tenantId);
      return { committed, events: await repos.changeEvents.page(ep.tenantId, after, committed, types, perRound) };
    };
    // Pages of events until the endpoint is caught up, an attempt fails, or the round's time is up;
    // the next page is read while this one is sent (each event still only after the previous one was accepted).
    let next = pageAfter(cursor);
    let more = true;
    let failed = false;
    for (; more && !overtaken && Date.now() < until;) {
      const { committed, events } = await next;
      more = events.length === perRound;
      if (more) next = pageAfter(events.at(-1)!.seq);
      // Nothing (of its types) up to the mark: passed over.
      if (events.length === 0 && committed > cursor) cursor = committed;
      for (const event of events) {
        if (overtaken) break;
        const attempt = (retry?.seq === event.seq ? retry.attempts : 0) + 1;
        const result = await postSigned(ep, event._id, webhookPayload(event), opts);
        logs.push({ _id: newTimeOrderedId('wdl', 12), tenantId: ep.tenantId, endpointId: ep._id, eventId: event._id, seq: event.seq, attempt, at: new Date(), ...result });
        if (result.ok) {
          // The cursor moves only after a 2xx: a crash repeats at most the events since the last
          // progress write (same webhook-ids; receivers drop duplicates by it).
          cursor = event.seq;
          retry = undefined;
          delivered++;
          if (logs.length >= progressEvery || Date.now() - flushedAt >= progressEveryMs) void flush();
          continue;
        }
        more = false;
        failed = true;
        const now = new Date();
        const firstFailedAt = retry?.seq === event.seq ? retry.firstFailedAt : now;
        if (now.getTime() - firstFailedAt.getTime() >= opts.retryHours * 3600_000) {
          const marked = await flush({ state: 'failing', failingSince: now, retry: { seq: event.seq, attempts: attempt, firstFailedAt, nextAttemptAt: now } });
          if (marked)
            await recordAudit(models, {
              tenantId: ep.tenantId,
              actor: { type: 'system', id: 'webhooks' },
              action: 'webhook.failing',
              object: { type: 'WebhookEndpoint', id: ep._id },
              after: { eventId: event._id, attempts: attempt, lastStatus: result.status ?? null, lastError: result.error ?? null },
            });
        } else {
          await flush({ retry: { seq: event.seq, attempts: attempt, firstFailedAt, nextAttemptAt: new Date(now.getTime() + backoffMs(attempt, opts.baseBackoffMs ?? 5000, opts.maxBackoffMs)) } });
        }
        break;
      }
    }
    unfinished = (more && !failed) || overtaken;
    // A prefetched page not used: let it finish (its error, if any, is of no use now).
    void next.catch(() => undefined);
    if (logs.length > 0 || cursor !== saved) await flush();
    await writing;
  } finally {
    await repos.webhooks.releaseLease(tenantId, endpointId, owner);
  }
  return { delivered, more: unfinished };
}
