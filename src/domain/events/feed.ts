import type { ChangeEventDoc, Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';
import { EVENT_SCHEMA_VERSION, type EventType } from './catalogue';
import { sequenceTenantFully } from './sequencer';

export const DEFAULT_EVENTS_PAGE = 100;
export const MAX_EVENTS_PAGE = 1000;

/** A page request, as the admin API's schema reads it (src/admin/routes/events.ts): types known, limit in range. */
export interface FeedQuery {
  after?: string | undefined;
  /** Only these types (all when absent). */
  types?: readonly EventType[] | undefined;
  limit?: number | undefined;
}

/** A cursor names a place in the tenant's order; opaque to clients (`v1.<seq>`, base64url). */
export function cursorOf(seq: number): string {
  return Buffer.from(`v1.${seq}`, 'utf8').toString('base64url');
}

export function seqOf(cursor: string): number {
  const m = /^v1\.(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new AppError('badRequest', 'INVALID_CURSOR', 'The cursor is not one this API returned', { details: { field: 'after' } });
  return Number(m[1]);
}

export function changeEventView(e: ChangeEventDoc) {
  return {
    id: e._id,
    seq: e.seq,
    cursor: cursorOf(e.seq),
    type: e.type,
    version: EVENT_SCHEMA_VERSION,
    tenantId: e.tenantId,
    occurredAt: e.occurredAt.toISOString(),
    actor: e.actor,
    object: e.object,
    data: e.data,
  };
}

/**
 * One page of the tenant's feed after `after` (docs/events.md). The caller's tenant is sequenced
 * first, so a reader sees every change committed and audited before it asked; then only events
 * at or below the committed mark are read, so what one reader sees after a cursor every later
 * reader sees too. A cursor before what retention kept answers 410 EVENTS_CURSOR_EXPIRED.
 */
export async function readFeed(models: Models, tenantId: string, query: FeedQuery) {
  const limit = query.limit ?? DEFAULT_EVENTS_PAGE;
  const types = query.types;
  const afterSeq = query.after === undefined ? undefined : seqOf(query.after);
  await sequenceTenantFully(models, tenantId);
  const feed = repositoriesOf(models).changeEvents;
  const { committed, purgedThrough } = await feed.state(tenantId);
  if (afterSeq !== undefined && afterSeq < purgedThrough) {
    throw new AppError('gone', 'EVENTS_CURSOR_EXPIRED', 'The events after this cursor are older than the retention period and were removed; read the current state and start again without "after"', {
      details: { oldestCursor: cursorOf(purgedThrough) },
    });
  }
  if (afterSeq !== undefined && afterSeq > committed) {
    throw new AppError('badRequest', 'INVALID_CURSOR', 'The cursor is not one this API returned', { details: { field: 'after' } });
  }
  const from = afterSeq ?? purgedThrough;
  const items = await feed.page(tenantId, from, committed, types, limit);
  const full = items.length === limit;
  // A full page ends at its last event; a short one read everything up to the mark (filtered types included).
  const nextSeq = full ? items[items.length - 1]!.seq : committed;
  return { items: items.map(changeEventView), nextCursor: cursorOf(Math.max(nextSeq, from)), hasMore: full && nextSeq < committed };
}

/** Retention: removes every tenant's events sequenced more than `retentionDays` ago. */
export async function purgeExpiredEvents(models: Models, retentionDays: number, now = new Date()): Promise<number> {
  const feed = repositoriesOf(models).changeEvents;
  const cutoff = new Date(now.getTime() - retentionDays * 24 * 3600 * 1000);
  let removed = 0;
  for (const tenantId of await feed.tenants()) removed += await feed.purgeBefore(tenantId, cutoff);
  return removed;
}
