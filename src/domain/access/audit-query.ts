import { decodeTimeCursor, encodeTimeCursor } from '../paging/time-cursor';
import type { AuditEventDoc, Models } from '../../persistence/models';
import type { AuditEventCriteria } from '../../persistence/audit-events-repository';
import { repositoriesOf } from '../../persistence/repositories';
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
  category?: AuditCategory;
  action?: string;
  actor?: string;
  objectId?: string;
  objectType?: string;
  /** A name for the actor: a user's name or e-mail, a token's label, a rule's name (or an id). */
  actorName?: string;
  /** A name for what the event is about: a user's name or e-mail, a group's name (or an id). */
  objectName?: string;
  from?: Date;
  to?: Date;
  cursor?: string;
  /** 1 to AUDIT_PAGE_MAX (the admin API's schema checks it). */
  limit: number;
}

/**
 * Categories the product documents' troubleshooting filters by (doc 001: "filter by
 * auto_assignment"): each is a fixed filter over actor and action.
 */
export const AUDIT_CATEGORIES = ['auto_assignment'] as const;
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number];
const CATEGORY_FILTERS: Record<AuditCategory, { actorType: string }> = {
  // Rules, SSO mappings and dynamic groups write their membership changes with the rule as actor.
  auto_assignment: { actorType: 'rule' },
};
export const AUDIT_PAGE_MAX = 500;
export const AUDIT_ACTION_MAX = 100;
export const AUDIT_NAME_MAX = 300;

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
  const { limit } = query;
  const criteria: AuditEventCriteria = {};
  if (query.category !== undefined) criteria.category = CATEGORY_FILTERS[query.category];
  if (query.action) {
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
  if (query.from !== undefined) criteria.from = query.from;
  if (query.to !== undefined) criteria.to = query.to;
  if (query.cursor) criteria.after = decodeTimeCursor(query.cursor);
  const matched: { actor?: NamedThing[]; object?: NamedThing[] } = {};
  for (const [key, value] of [
    ['actorName', query.actorName],
    ['objectName', query.objectName],
  ] as const) {
    if (value === undefined || value.trim() === '') continue;
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
