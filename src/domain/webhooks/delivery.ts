import type { ChangeEventDoc, Models, WebhookEndpointDoc } from '../../persistence/models';
import { newId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import { changeEventView } from '../events/feed';
import { signedHeaders } from './signing';
import { assertPublicTarget } from './target-guard';
import { recordAudit } from '../audit';

export interface DeliveryOptions {
  allowPrivateTargets: boolean;
  /** How long one event is retried before the endpoint is marked failing and its events held. */
  retryHours: number;
  /** First retry delay; doubles per attempt up to an hour, with jitter. */
  baseBackoffMs?: number;
  timeoutMs?: number;
  /** Events per endpoint per round (the next round continues). */
  perRound?: number;
}

const LEASE_MS = 60_000;
const MAX_BACKOFF_MS = 3600_000;
const EXCERPT_CHARS = 500;
const owner = newId('whd', 9);

/** Exponential backoff with jitter (half to full of the doubled delay), so many failing receivers do not retry in step. */
export function backoffMs(attempt: number, baseMs: number): number {
  const full = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
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
    await assertPublicTarget(new URL(ep.url), opts.allowPrivateTargets);
    const res = await fetch(ep.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      headers: { 'content-type': 'application/json', 'user-agent': 'scim-sync-webhooks/1', ...signedHeaders(msgId, body, activeSecrets(ep, new Date())) },
      body,
    });
    const text = await res.text().catch(() => '');
    return { ok: res.status >= 200 && res.status < 300, status: res.status, latencyMs: Date.now() - started, responseExcerpt: text.slice(0, EXCERPT_CHARS) };
  } catch (err) {
    return { ok: false, latencyMs: Date.now() - started, error: err instanceof Error ? err.message : String(err) };
  }
}

/** What a receiver gets: the event as `GET /events` shows it, in the Standard Webhooks envelope. */
export const webhookPayload = (e: ChangeEventDoc) => ({ type: e.type, timestamp: e.occurredAt.toISOString(), data: changeEventView(e) });

/** One round over every deliverable endpoint whose retry time has come. Returns the events delivered. */
export async function deliverDue(models: Models, opts: DeliveryOptions): Promise<number> {
  let delivered = 0;
  const now = Date.now();
  for (const ep of await repositoriesOf(models).webhooks.deliverable(1000)) {
    if (ep.retry && ep.retry.nextAttemptAt.getTime() > now) continue;
    delivered += await deliverEndpoint(models, ep.tenantId, ep._id, opts);
  }
  return delivered;
}

/**
 * Delivers the endpoint's next events in feed order, one at a time: the next waits for the
 * previous. A failure schedules the same event again (same webhook-id) after a backoff; after
 * `retryHours` of failures the endpoint is marked failing and its events wait (nothing is skipped:
 * the cursor stays) until it is enabled again or redelivery is asked for.
 */
export async function deliverEndpoint(models: Models, tenantId: string, endpointId: string, opts: DeliveryOptions): Promise<number> {
  const repos = repositoriesOf(models);
  const ep = await repos.webhooks.takeLease(tenantId, endpointId, owner, LEASE_MS);
  if (!ep) return 0;
  let delivered = 0;
  try {
    if (!ep.enabled || ep.state !== 'active') return 0;
    let cursor = ep.cursor;
    let retry = ep.retry;
    const { committed } = await repos.changeEvents.state(ep.tenantId);
    // One read for the round; each event is still sent only after the previous one was accepted.
    const events = await repos.changeEvents.page(ep.tenantId, cursor, committed, ep.types.length ? ep.types : undefined, opts.perRound ?? 100);
    if (events.length === 0 && committed > cursor) {
      // Nothing (of its types) up to the mark: passed over.
      await repos.webhooks.settle(ep.tenantId, ep._id, owner, cursor, { cursor: committed }, []);
    }
    for (const event of events) {
      const from = cursor;
      const attempt = (retry?.seq === event.seq ? retry.attempts : 0) + 1;
      const result = await postSigned(ep, event._id, webhookPayload(event), opts);
      const log = repos.webhooks.logDelivery({ _id: newId('wdl', 12), tenantId: ep.tenantId, endpointId: ep._id, eventId: event._id, seq: event.seq, attempt, at: new Date(), ...result });
      if (result.ok) {
        cursor = event.seq;
        retry = undefined;
        delivered++;
        // The cursor moves only after a 2xx: a crash repeats at most this event (same webhook-id).
        const [, settled] = await Promise.all([log, repos.webhooks.settle(ep.tenantId, ep._id, owner, from, { cursor }, ['retry'])]);
        // A redelivery moved the cursor meanwhile: the next round starts from there.
        if (!settled) break;
        continue;
      }
      await log;
      const now = new Date();
      const firstFailedAt = retry?.seq === event.seq ? retry.firstFailedAt : now;
      if (now.getTime() - firstFailedAt.getTime() >= opts.retryHours * 3600_000) {
        const marked = await repos.webhooks.settle(ep.tenantId, ep._id, owner, from, { state: 'failing', failingSince: now, retry: { seq: event.seq, attempts: attempt, firstFailedAt, nextAttemptAt: now } }, []);
        if (marked) await recordAudit(models, { tenantId: ep.tenantId, actor: { type: 'system', id: 'webhooks' }, action: 'webhook.failing', object: { type: 'WebhookEndpoint', id: ep._id }, after: { eventId: event._id, attempts: attempt, lastStatus: result.status ?? null, lastError: result.error ?? null } });
      } else {
        await repos.webhooks.settle(ep.tenantId, ep._id, owner, from, { retry: { seq: event.seq, attempts: attempt, firstFailedAt, nextAttemptAt: new Date(now.getTime() + backoffMs(attempt, opts.baseBackoffMs ?? 5000)) } }, []);
      }
      break;
    }
  } finally {
    await repos.webhooks.releaseLease(tenantId, endpointId, owner);
  }
  return delivered;
}
