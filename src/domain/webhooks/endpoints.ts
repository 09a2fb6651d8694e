import type { Models, WebhookDeliveryDoc, WebhookEndpointDoc } from '../../persistence/models';
import { newId, newTimeOrderedId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';
import { recordAudit, type AuditActor } from '../audit';
import type { EventType } from '../events/catalogue';
import { cursorOf, seqOf } from '../events/feed';
import { decodeTimeCursor, encodeTimeCursor } from '../paging/time-cursor';
import { sequenceTenantFully } from '../events/sequencer';
import { newWebhookSecret } from './signing';
import { assertPublicTarget, parseTargetUrl } from './target-guard';
import { postSigned, webhookPayload, type DeliveryOptions } from './delivery';

export interface WebhookContext {
  tenantId: string;
  actor: AuditActor;
  requestId?: string;
}

const DEFAULT_OVERLAP_HOURS = 24;

const notFound = (id: string) => new AppError('notFound', 'WEBHOOK_NOT_FOUND', `No webhook endpoint ${id}`, { details: { id } });

/** An endpoint as the admin API's schema reads it (src/admin/routes/webhooks.ts): types known and without repeats. */
export interface EndpointInput {
  url: string;
  types?: readonly EventType[] | undefined;
  enabled?: boolean | undefined;
}

export function endpointView(ep: WebhookEndpointDoc, now = new Date()) {
  return {
    id: ep._id,
    url: ep.url,
    types: ep.types,
    enabled: ep.enabled,
    state: ep.state,
    failingSince: ep.failingSince?.toISOString() ?? null,
    deliveredThrough: cursorOf(ep.cursor),
    retry: ep.retry ? { eventSeq: ep.retry.seq, attempts: ep.retry.attempts, firstFailedAt: ep.retry.firstFailedAt.toISOString(), nextAttemptAt: ep.retry.nextAttemptAt.toISOString() } : null,
    secrets: ep.secrets
      .filter((s) => !s.expiresAt || s.expiresAt > now)
      .map((s) => ({ hint: `${s.secret.slice(0, 10)}…`, createdAt: s.createdAt.toISOString(), expiresAt: s.expiresAt?.toISOString() ?? null })),
    createdAt: ep.createdAt.toISOString(),
  };
}

const deliveryView = (d: WebhookDeliveryDoc) => ({
  id: d._id,
  eventId: d.eventId,
  seq: d.seq ?? null,
  attempt: d.attempt,
  manual: d.manual === true,
  at: d.at.toISOString(),
  ok: d.ok,
  status: d.status ?? null,
  latencyMs: d.latencyMs,
  error: d.error ?? null,
  responseExcerpt: d.responseExcerpt ?? null,
});

async function endpointOf(models: Models, tenantId: string, id: string): Promise<WebhookEndpointDoc> {
  const ep = await repositoriesOf(models).webhooks.find(tenantId, id);
  if (!ep) throw notFound(id);
  return ep;
}

const audit = (models: Models, ctx: WebhookContext, action: string, id: string, after?: unknown) =>
  recordAudit(models, {
    tenantId: ctx.tenantId,
    actor: ctx.actor,
    action,
    object: { type: 'WebhookEndpoint', id },
    ...(after !== undefined && { after }),
    ...(ctx.requestId !== undefined && { requestId: ctx.requestId }),
  });

/** A new endpoint: it receives the events committed from now on; the secret is in this answer only. */
export async function createEndpoint(models: Models, ctx: WebhookContext, body: EndpointInput, allowPrivateTargets: boolean) {
  const url = parseTargetUrl(body.url);
  await assertPublicTarget(url, allowPrivateTargets);
  const now = new Date();
  const secret = newWebhookSecret();
  // From now on: what was audited before this request is before the endpoint's start.
  await sequenceTenantFully(models, ctx.tenantId);
  const { committed } = await repositoriesOf(models).changeEvents.state(ctx.tenantId);
  const ep: WebhookEndpointDoc = {
    _id: newId('whe'),
    tenantId: ctx.tenantId,
    url: url.toString(),
    types: [...(body.types ?? [])],
    enabled: body.enabled !== false,
    secrets: [{ secret, createdAt: now }],
    cursor: committed,
    state: 'active',
    createdAt: now,
    updatedAt: now,
  };
  await repositoriesOf(models).webhooks.insert(ep);
  await audit(models, ctx, 'webhook.created', ep._id, { url: ep.url, types: ep.types, enabled: ep.enabled });
  return { ...endpointView(ep), secret };
}

export async function listEndpoints(models: Models, tenantId: string) {
  return { items: (await repositoriesOf(models).webhooks.list(tenantId)).map((ep) => endpointView(ep)) };
}

export async function getEndpoint(models: Models, tenantId: string, id: string) {
  return endpointView(await endpointOf(models, tenantId, id));
}

/** Changes url, types or enabled; enabling a failing endpoint resumes it where it stopped (its held events go out in order). */
export async function updateEndpoint(models: Models, ctx: WebhookContext, id: string, body: Partial<EndpointInput>, allowPrivateTargets: boolean) {
  const current = await endpointOf(models, ctx.tenantId, id);
  const set: Partial<WebhookEndpointDoc> = {};
  const unset: (keyof WebhookEndpointDoc)[] = [];
  if (body.url !== undefined) {
    const url = parseTargetUrl(body.url);
    await assertPublicTarget(url, allowPrivateTargets);
    set.url = url.toString();
  }
  if (body.types !== undefined) set.types = [...body.types];
  if (body.enabled !== undefined) {
    set.enabled = body.enabled;
    if (body.enabled && current.state === 'failing') {
      set.state = 'active';
      unset.push('failingSince', 'retry');
    }
  }
  const updated = await repositoriesOf(models).webhooks.update(ctx.tenantId, id, set, unset);
  if (!updated) throw notFound(id);
  await audit(models, ctx, 'webhook.updated', id, { ...set });
  return endpointView(updated);
}

export async function deleteEndpoint(models: Models, ctx: WebhookContext, id: string): Promise<void> {
  if (!(await repositoriesOf(models).webhooks.delete(ctx.tenantId, id))) throw notFound(id);
  await audit(models, ctx, 'webhook.deleted', id);
}

/** A new secret, shown once; the previous ones stay valid (both sign) for `overlapHours` (default 24; the schema holds it to 0-720). */
export async function rotateSecret(models: Models, ctx: WebhookContext, id: string, overlapHours: number = DEFAULT_OVERLAP_HOURS) {
  const current = await endpointOf(models, ctx.tenantId, id);
  const hours = overlapHours;
  const now = new Date();
  const until = new Date(now.getTime() + hours * 3600_000);
  const secret = newWebhookSecret();
  const kept = current.secrets.filter((s) => !s.expiresAt || s.expiresAt > now).map((s) => ({ ...s, expiresAt: s.expiresAt && s.expiresAt < until ? s.expiresAt : until }));
  const updated = await repositoriesOf(models).webhooks.update(ctx.tenantId, id, { secrets: [...(hours > 0 ? kept : []), { secret, createdAt: now }] });
  if (!updated) throw notFound(id);
  await audit(models, ctx, 'webhook.secret_rotated', id, { previousValidUntil: until.toISOString() });
  return { ...endpointView(updated), secret };
}

/**
 * Sends one event again now, signed, under its own webhook-id (receivers that kept it drop it),
 * out of band: the endpoint's cursor and its held events are left as they are. Logged; answers how it went.
 */
export async function redeliverOne(models: Models, ctx: WebhookContext, id: string, eventId: string, opts: DeliveryOptions) {
  const ep = await endpointOf(models, ctx.tenantId, id);
  const repos = repositoriesOf(models);
  const { committed } = await repos.changeEvents.state(ctx.tenantId);
  const event = await repos.changeEvents.findCommitted(ctx.tenantId, eventId, committed);
  if (!event) throw new AppError('notFound', 'EVENT_NOT_FOUND', `No event ${eventId} (unknown, or past retention)`, { details: { eventId } });
  const result = await postSigned(ep, event._id, webhookPayload(event), opts);
  const log: WebhookDeliveryDoc = {
    _id: newTimeOrderedId('wdl', 12),
    tenantId: ep.tenantId,
    endpointId: ep._id,
    eventId: event._id,
    seq: event.seq,
    attempt: 1,
    manual: true,
    at: new Date(),
    ...result,
  };
  await repos.webhooks.logDelivery(log);
  await audit(models, ctx, 'webhook.redelivery', id, { eventId: event._id, ok: result.ok });
  return deliveryView(log);
}

/**
 * Sends everything after `after` again (all events kept when absent), in order, and resumes a
 * failing endpoint. With `eventId` instead: that one event now (`redeliverOne`).
 */
export async function redeliver(models: Models, ctx: WebhookContext, id: string, after: string | undefined) {
  await endpointOf(models, ctx.tenantId, id);
  const { purgedThrough } = await repositoriesOf(models).changeEvents.state(ctx.tenantId);
  const from = after === undefined ? purgedThrough : seqOf(after);
  const updated = await repositoriesOf(models).webhooks.update(ctx.tenantId, id, { cursor: Math.max(from, purgedThrough), state: 'active' }, ['failingSince', 'retry']);
  if (!updated) throw notFound(id);
  await audit(models, ctx, 'webhook.redelivery', id, { after: cursorOf(updated.cursor) });
  return endpointView(updated);
}

/** Sends a `webhook.test` event now, signed like every other, and answers how it went (logged too). */
export async function sendTestEvent(models: Models, ctx: WebhookContext, id: string, opts: DeliveryOptions) {
  const ep = await endpointOf(models, ctx.tenantId, id);
  const msgId = newTimeOrderedId('msg', 16);
  const now = new Date();
  const result = await postSigned(ep, msgId, { type: 'webhook.test', timestamp: now.toISOString(), data: { endpointId: ep._id, tenantId: ep.tenantId } }, opts);
  const log: WebhookDeliveryDoc = { _id: newTimeOrderedId('wdl', 12), tenantId: ep.tenantId, endpointId: ep._id, eventId: msgId, attempt: 1, manual: true, at: now, ...result };
  await repositoriesOf(models).webhooks.logDelivery(log);
  return deliveryView(log);
}

/** The delivery log, newest first, a page at a time (`cursor`: the `nextCursor` of the previous page, as the audit log's). */
export async function listDeliveries(models: Models, tenantId: string, id: string, query: { limit: number; cursor?: string }) {
  await endpointOf(models, tenantId, id);
  const limit = query.limit;
  const after = query.cursor ? decodeTimeCursor(query.cursor) : undefined;
  // One more than a page, to know whether another page follows.
  const docs = await repositoriesOf(models).webhooks.deliveries(tenantId, id, limit + 1, after);
  const page = docs.slice(0, limit);
  return { items: page.map(deliveryView), nextCursor: docs.length > limit ? encodeTimeCursor(page[page.length - 1]!) : null };
}
