import { createHash } from 'node:crypto';
import type { AuditEventDoc, Models } from '../persistence/models';
import { newTimeOrderedId } from '../persistence/ids';
import { repositoriesOf } from '../persistence/repositories';
import { Coalescer } from './coalescer';

export type AuditActor = AuditEventDoc['actor'];

export interface AuditInput {
  tenantId: string;
  actor: AuditActor;
  action: string;
  object: { type: string; id: string };
  before?: unknown;
  after?: unknown;
  requestId?: string;
  /**
   * The object as the change left it, for its change event (docs/events.md): before/after are a
   * bounded diff, and a later read may see a later version. Not bounded here: the resource size
   * limit bounds it.
   */
  state?: unknown;
}

/**
 * Bounds of what an audit event keeps of before/after. An event is evidence of a change, not a
 * copy of it: a value that could overflow the event (BSON's 16 MiB) after the change was written
 * would leave the change unaudited, so large strings keep a prefix and a hash, long lists a prefix
 * and a count.
 */
export const AUDIT_BOUNDS = { stringBytes: 1024, keptChars: 256, arrayItems: 10_000, valueBytes: 1024 * 1024 } as const;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

function boundValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes <= AUDIT_BOUNDS.stringBytes) return value;
    return `${value.slice(0, AUDIT_BOUNDS.keptChars)}… [truncated: ${bytes} bytes, sha256 ${sha256(value)}]`;
  }
  if (depth > 16 || typeof value !== 'object' || value === null || value instanceof Date) return value;
  if (Array.isArray(value)) {
    const kept = value.slice(0, AUDIT_BOUNDS.arrayItems).map((v) => boundValue(v, depth + 1));
    return value.length > AUDIT_BOUNDS.arrayItems ? [...kept, `… and ${value.length - AUDIT_BOUNDS.arrayItems} more`] : kept;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, boundValue(v, depth + 1)]));
}

/** before/after as an audit event stores them: bounded values, and at most AUDIT_BOUNDS.valueBytes in all. */
export function boundAuditValue(value: unknown): unknown {
  if (value === undefined) return undefined;
  const bounded = boundValue(value);
  const text = JSON.stringify(bounded) ?? '';
  if (Buffer.byteLength(text, 'utf8') <= AUDIT_BOUNDS.valueBytes) return bounded;
  return { truncated: true, bytes: Buffer.byteLength(text, 'utf8'), sha256: sha256(text) };
}

/** The top-level attributes that differ between two versions, each side with its own values. */
export function attributeDiff(before: Record<string, unknown>, after: Record<string, unknown>): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const out = { before: {} as Record<string, unknown>, after: {} as Record<string, unknown> };
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
    if (key in before) out.before[key] = before[key];
    if (key in after) out.after[key] = after[key];
  }
  return out;
}

/** The event as stored, with its id chosen now: written later (or again) it is still one event. */
export function auditEvent(input: AuditInput, at = new Date()): AuditEventDoc {
  const event: AuditEventDoc = { _id: newTimeOrderedId('evt', 16), at, tenantId: input.tenantId, actor: input.actor, action: input.action, object: input.object };
  if (input.before !== undefined) event.before = boundAuditValue(input.before);
  if (input.after !== undefined) event.after = boundAuditValue(input.after);
  if (input.requestId !== undefined) event.requestId = input.requestId;
  if (input.state !== undefined) event.state = input.state;
  return event;
}

/** Writes an event built by auditEvent; writing the same event twice keeps one (its id is fixed). */
export async function writeAuditEvent(models: Models, event: AuditEventDoc): Promise<void> {
  await repositoriesOf(models).auditEvents.insertOnce(event);
}

/** Several events in one round trip, each exactly once (see AuditEventsRepository.insertMany). */
export async function writeAuditEvents(models: Models, events: readonly AuditEventDoc[]): Promise<void> {
  await repositoriesOf(models).auditEvents.insertMany(events);
}

interface UserAudits {
  tenantId: string;
  userId: string;
  events: readonly AuditEventDoc[];
}

const userAuditWriters = new WeakMap<Models, Coalescer<UserAudits>>();

/**
 * Writes the audit events a user write carried on the document (`pendingAudit`), then pulls them
 * from it. Concurrent requests share the round trips (group commit, see Coalescer): one insertMany
 * and one bulk of pulls for every user written meanwhile, instead of two round trips each. Resolves
 * once this user's events are in the log, so the trail is written before the response, as before.
 */
export function writeUserAudits(models: Models, tenantId: string, userId: string, events: readonly AuditEventDoc[]): Promise<void> {
  let writer = userAuditWriters.get(models);
  if (!writer) {
    const repos = repositoriesOf(models);
    writer = new Coalescer<UserAudits>(async (batch) => {
      await repos.auditEvents.insertMany(batch.flatMap((b) => b.events));
      await repos.users.settleAuditMany(batch.map((b) => ({ tenantId: b.tenantId, id: b.userId, eventIds: b.events.map((e) => e._id) })));
    });
    userAuditWriters.set(models, writer);
  }
  return writer.add({ tenantId, userId, events });
}

/** One event per change, written after the change itself (single-document writes, no transactions). */
export async function recordAudit(models: Models, input: AuditInput): Promise<void> {
  await writeAuditEvent(models, auditEvent(input));
}
