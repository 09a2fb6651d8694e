import { decodeTimeCursor, encodeTimeCursor } from '../paging/time-cursor';
import type { AuditEventDoc, Models } from '../../persistence/models';
import type { AuditEventCriteria } from '../../persistence/audit-events-repository';
import { repositoriesOf } from '../../persistence/repositories';
import { invalid } from '../invalid-input';
import { auditNames } from '../people/audit-names';
import { thingsNamed, type NamedThing } from '../people/audit-name-filter';
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
  /** A name for the actor: a user's name or e-mail, a token's label, a rule's name (or an id). */
  actorName?: string;
  /** A name for what the event is about: a user's name or e-mail, a group's name (or an id). */
  objectName?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: string;
}

/**
 * Categories the product documents' troubleshooting filters by (doc 001: "filter by
 * auto_assignment"): each is a fixed filter over actor and action.
 */
const AUDIT_CATEGORIES: Record<string, { actorType: string }> = {
  // Rules, SSO mappings and dynamic groups write their membership changes with the rule as actor.
  auto_assignment: { actorType: 'rule' },
};

/** RFC 3339 date-time, as the OpenAPI document's `format: date-time` says (not whatever Date.parse takes). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseTime(value: string, field: string): Date {
  const d = new Date(value);
  if (!RFC3339.test(value) || Number.isNaN(d.getTime())) {
    throw invalid(field, `"${field}" must be an RFC 3339 date-time, e.g. 2026-12-06T09:30:00Z`);
  }
  return d;
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
  const criteria: AuditEventCriteria = {};
  // An empty value is refused like any other outside the list (the console leaves out empty filters).
  if (query.category !== undefined) {
    const category = AUDIT_CATEGORIES[query.category];
    if (!category) throw invalid('category', `"category" must be one of ${Object.keys(AUDIT_CATEGORIES).join(', ')}`);
    criteria.category = category;
  }
  if (query.action) {
    if (query.action.length > 100) throw invalid('action', '"action" is at most 100 characters');
    const prefix = query.action.endsWith('*') ? query.action.slice(0, -1) : query.action.endsWith('.') ? query.action : undefined;
    criteria.action = prefix !== undefined ? { prefix } : { exact: query.action };
  }
  if (query.actor) {
    const colon = query.actor.indexOf(':');
    const type = colon > 0 ? query.actor.slice(0, colon) : undefined;
    const known = ['scim-token', 'admin', 'user', 'rule', 'system', 'cli'];
    criteria.actor = type !== undefined && known.includes(type) ? { type, id: query.actor.slice(colon + 1) } : { id: query.actor };
  }
  if (query.objectId) criteria.objectId = query.objectId;
  // Every parameter is read (and refused when bad) before a name that stands for nothing answers early.
  if (query.objectType) criteria.objectType = query.objectType;
  if (query.from !== undefined) criteria.from = parseTime(query.from, 'from');
  if (query.to !== undefined) criteria.to = parseTime(query.to, 'to');
  if (query.cursor) criteria.after = decodeTimeCursor(query.cursor);
  const matched: { actor?: NamedThing[]; object?: NamedThing[] } = {};
  for (const [key, value] of [
    ['actorName', query.actorName],
    ['objectName', query.objectName],
  ] as const) {
    if (value === undefined || value.trim() === '') continue;
    if (value.length > 300) throw invalid(key, `"${key}" is at most 300 characters`);
    const things = await thingsNamed(models, access.tenantId, value);
    if (key === 'actorName') {
      matched.actor = things;
      criteria.actorIds = things.map((t) => t.id);
    } else {
      matched.object = things;
      criteria.aboutIds = things.map((t) => t.id);
    }
  }
  // A name that stands for nothing: no event can match.
  if (criteria.actorIds?.length === 0 || criteria.aboutIds?.length === 0) return { items: [], nextCursor: null, matched };
  // One more than a page, to know whether another page follows.
  const docs = await repositoriesOf(models).auditEvents.newestFirst(access.tenantId, criteria, limit + 1);
  const page = docs.slice(0, limit);
  const names = await auditNames(models, access.tenantId, page);
  return {
    items: page.map((doc) => ({ ...auditEventView(doc), names: names.get(doc._id) ?? {} })),
    nextCursor: docs.length > limit ? encodeTimeCursor(page[page.length - 1]!) : null,
    ...(matched.actor || matched.object ? { matched } : {}),
  };
}
