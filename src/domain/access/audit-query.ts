import type { AuditEventDoc, Models } from '../../persistence/models';
import { AppError } from '../../errors/app-error';
import { escapeRegex, invalid } from '../groups/input';
import type { Access } from './policy';

/**
 * The audit log as the admin API reads it (admins only), newest first. Filters: `action` (exact,
 * or a prefix when it ends with '.' or '*': `group.` / `group.member*`), `actor` (the actor id,
 * optionally `type:id`), `objectId`, `objectType`, `from`/`to` (ISO times, from inclusive, to
 * exclusive). Pages continue with an opaque cursor on (at, _id), which stays stable while new events
 * arrive, unlike skip/limit.
 */
export interface AuditQuery {
  /** A troubleshooting view: `auto_assignment` is every membership change a rule or mapping made. */
  category?: string;
  action?: string;
  actor?: string;
  objectId?: string;
  objectType?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: string;
}

/**
 * Categories the product documents' troubleshooting filters by (doc 001: "filter by
 * auto_assignment"): each is a fixed filter over actor and action.
 */
const AUDIT_CATEGORIES: Record<string, Record<string, unknown>> = {
  // Rules, SSO mappings and dynamic groups write their membership changes with the rule as actor.
  auto_assignment: { 'actor.type': 'rule' },
};

function parseTime(value: string, field: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw invalid(field, `"${field}" must be an ISO 8601 date-time`);
  return d;
}

function encodeCursor(doc: AuditEventDoc): string {
  return Buffer.from(JSON.stringify([doc.at.getTime(), doc._id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'number' && typeof id === 'string') return { at: new Date(at), id };
  } catch {
    // fall through to the error below
  }
  throw new AppError('badRequest', 'INVALID_CURSOR', 'The cursor is not one this API returned', { details: { field: 'cursor' } });
}

export function auditEventView(doc: AuditEventDoc) {
  return {
    id: doc._id,
    at: doc.at.toISOString(),
    actor: doc.actor,
    action: doc.action,
    object: doc.object,
    before: doc.before ?? null,
    after: doc.after ?? null,
    requestId: doc.requestId ?? null,
  };
}

export async function queryAudit(models: Models, access: Access, query: AuditQuery) {
  access.assertAdmin('read the audit log');
  const limitText = query.limit ?? '50';
  if (!/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 500) throw invalid('limit', '"limit" must be between 1 and 500');
  const limit = Number(limitText);
  const and: Record<string, unknown>[] = [{ tenantId: access.tenantId }];
  if (query.category !== undefined && query.category !== '') {
    const filter = AUDIT_CATEGORIES[query.category];
    if (!filter) throw invalid('category', `"category" must be one of ${Object.keys(AUDIT_CATEGORIES).join(', ')}`);
    and.push(filter);
  }
  if (query.action) {
    if (query.action.length > 100) throw invalid('action', '"action" is at most 100 characters');
    const prefix = query.action.endsWith('*') ? query.action.slice(0, -1) : query.action.endsWith('.') ? query.action : undefined;
    and.push({ action: prefix !== undefined ? new RegExp(`^${escapeRegex(prefix)}`) : query.action });
  }
  if (query.actor) {
    const colon = query.actor.indexOf(':');
    const type = colon > 0 ? query.actor.slice(0, colon) : undefined;
    const known = ['scim-token', 'admin', 'user', 'rule', 'system', 'cli'];
    if (type !== undefined && known.includes(type)) and.push({ 'actor.type': type, 'actor.id': query.actor.slice(colon + 1) });
    else and.push({ 'actor.id': query.actor });
  }
  if (query.objectId) and.push({ 'object.id': query.objectId });
  if (query.objectType) and.push({ 'object.type': query.objectType });
  const at: Record<string, Date> = {};
  if (query.from) at.$gte = parseTime(query.from, 'from');
  if (query.to) at.$lt = parseTime(query.to, 'to');
  if (Object.keys(at).length) and.push({ at });
  if (query.cursor) {
    const c = decodeCursor(query.cursor);
    and.push({ $or: [{ at: { $lt: c.at } }, { at: c.at, _id: { $lt: c.id } }] });
  }
  const docs = (await models.AuditEvent.collection
    .find({ $and: and } as never)
    .sort({ at: -1, _id: -1 })
    .limit(limit + 1)
    .toArray()) as unknown as AuditEventDoc[];
  const page = docs.slice(0, limit);
  return { items: page.map(auditEventView), nextCursor: docs.length > limit ? encodeCursor(page[page.length - 1]!) : null };
}
