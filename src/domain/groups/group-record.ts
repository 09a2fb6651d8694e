import { textValue } from '../../attributes/text-value';
import type { GroupDoc } from '../../persistence/models';
import { newTimeOrderedId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import type { Models } from '../../persistence/models';
import { AppError } from '../../errors/app-error';
import { groupAudienceOf, type Audience } from './user-identity';

/**
 * The admin API's reading of a group document. Internal groups keep their product fields at the
 * top level of the document beside the SCIM-shaped `attrs` (whose displayName is the name, with
 * its lower-cased shadow `lc.displayName` carrying the case-insensitive uniqueness). IdP (SCIM)
 * groups have none of these fields and are read as active, static, internal-user groups.
 */
export type GroupKind = 'static' | 'dynamic';
export type GroupStatus = 'active' | 'archived';
export type AutomaticMembership = 'allInternal' | 'allCustomers';

export interface GroupRecord {
  id: string;
  tenantId: string;
  origin: GroupDoc['origin'];
  name: string;
  description?: string;
  audience: Audience;
  kind: GroupKind;
  status: GroupStatus;
  /** Key of a default group ('admins', 'platform-users', …); absent for custom groups. */
  system?: string;
  automatic?: AutomaticMembership;
  parentId?: string;
  ownerId?: string;
  /** Dynamic groups: the rule that computes members (evaluated by the rules engine, not here). */
  rule?: { expression?: string; ruleId?: string };
  createdAt: Date;
  updatedAt: Date;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * A new internal group in its stored shape: the one place that knows it (default groups, the
 * admin API, tests and benchmarks all create groups through it).
 */
export function newInternalGroupDoc(
  tenantId: string,
  name: string,
  extra: Partial<GroupDoc> & { audience?: 'user' | 'customer'; kind?: GroupKind } = {},
  id: string = newTimeOrderedId('grp'),
): GroupDoc {
  const now = new Date();
  return {
    _id: id,
    tenantId,
    origin: 'internal',
    attrs: { displayName: name },
    lc: { displayName: name.toLowerCase() },
    audience: 'user',
    kind: 'static',
    status: 'active',
    version: 1,
    sync: { version: 1 },
    createdAt: now,
    updatedAt: now,
    ...extra,
  };
}

export function readGroup(doc: GroupDoc): GroupRecord {
  const automatic = doc.automatic === 'allInternal' || doc.automatic === 'allCustomers' ? doc.automatic : undefined;
  const rule = doc.rule && typeof doc.rule === 'object' ? (doc.rule as Record<string, unknown>) : undefined;
  const record: GroupRecord = {
    id: doc._id,
    tenantId: doc.tenantId,
    origin: doc.origin,
    name: textValue(doc.attrs.displayName),
    audience: groupAudienceOf(doc),
    kind: doc.kind === 'dynamic' ? 'dynamic' : 'static',
    status: doc.status === 'archived' ? 'archived' : 'active',
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
  const description = str(doc.description);
  if (description !== undefined) record.description = description;
  const system = str(doc.system);
  if (system !== undefined) record.system = system;
  if (automatic) record.automatic = automatic;
  const parentId = str(doc.parentId);
  if (parentId !== undefined) record.parentId = parentId;
  const ownerId = str(doc.ownerId);
  if (ownerId !== undefined) record.ownerId = ownerId;
  if (rule) {
    const expression = str(rule.expression);
    const ruleId = str(rule.ruleId);
    record.rule = { ...(expression !== undefined ? { expression } : {}), ...(ruleId !== undefined ? { ruleId } : {}) };
  }
  return record;
}

/** A group as the admin API returns it. */
export function groupView(g: GroupRecord, memberCount?: number): Record<string, unknown> {
  return {
    id: g.id,
    name: g.name,
    description: g.description ?? null,
    origin: g.origin,
    audience: g.audience,
    kind: g.kind,
    status: g.status,
    default: g.system !== undefined,
    system: g.system ?? null,
    automatic: g.automatic ?? null,
    parentId: g.parentId ?? null,
    ownerId: g.ownerId ?? null,
    ...(g.kind === 'dynamic' ? { rule: g.rule ?? null } : {}),
    // IdP groups are the identity provider's: the admin API never changes their name or settings.
    readOnly: g.origin === 'scim',
    ...(memberCount !== undefined ? { memberCount } : {}),
    createdAt: g.createdAt.toISOString(),
    updatedAt: g.updatedAt.toISOString(),
  };
}

/** The group, in this tenant, or a 404 (also for another tenant's group: nothing crosses tenants). */
export async function loadGroup(models: Models, tenantId: string, groupId: string): Promise<GroupRecord> {
  const doc = await repositoriesOf(models).groups.find(tenantId, groupId);
  if (!doc) throw groupNotFound(groupId);
  return readGroup(doc);
}

export function groupNotFound(groupId: string): AppError {
  return new AppError('notFound', 'GROUP_NOT_FOUND', `Group ${groupId} not found`, { details: { groupId } });
}

/**
 * Ids of the default groups of a tenant, by key. Default groups are never deleted nor re-keyed,
 * so the answer is cached per tenant for the life of the process.
 */
const systemIdsCache = new Map<string, Map<string, string>>();

export async function systemGroupIds(models: Models, tenantId: string): Promise<Map<string, string>> {
  const cached = systemIdsCache.get(tenantId);
  if (cached) return cached;
  const docs = await repositoriesOf(models).groups.systemGroupsOf(tenantId);
  const ids = new Map<string, string>();
  for (const d of docs) if (typeof d.system === 'string') ids.set(d.system, d._id);
  // Only cache a complete answer: a tenant being created may not have its groups yet.
  if (ids.size > 0) systemIdsCache.set(tenantId, ids);
  return ids;
}

export const ADMINS_GROUP = 'admins';
export const CUSTOMER_ADMINS_GROUP = 'customer-admins';
