import { escapeRegex } from '../expressions/compile-mongo';
import type { GroupDoc, GroupOrigin, Models } from './models';
import { ResourceStore } from './resource-store';

/** What the admin group list filters by; every field given narrows. */
export interface GroupListCriteria {
  origin: GroupOrigin;
  /** The lower-cased display name contains this text (give it lower-cased). */
  nameContains?: string;
  status?: 'active' | 'archived';
  audience?: 'user' | 'customer';
  kind?: 'static' | 'dynamic';
  /** Only groups that take new members and grants (active ones). */
  assignableOnly?: boolean;
  parentId?: string;
  /** A non-admin's view: these groups, and, with `customerGroups`, every internal customer group. */
  visible?: { ids: readonly string[]; customerGroups: boolean };
}

/** The values a group document written before the field existed reads as (see readGroup). */
const LIST_DEFAULTS = { status: 'active', audience: 'user', kind: 'static' } as const;

/**
 * The admin list's filter, as one `$and` (not flattened with conjunction): flat, the embedded test
 * server answers the name-sorted page with a name regex "Not yet implemented".
 */
function listFilter(tenantId: string, criteria: GroupListCriteria): Record<string, unknown> {
  const and: Record<string, unknown>[] = [{ tenantId, origin: criteria.origin }];
  if (criteria.nameContains) and.push({ 'lc.displayName': new RegExp(escapeRegex(criteria.nameContains)) });
  for (const field of ['status', 'audience', 'kind'] as const) {
    const v = criteria[field];
    if (v === undefined) continue;
    and.push(v === LIST_DEFAULTS[field] ? { [field]: { $in: [v, null] } } : { [field]: v });
  }
  if (criteria.assignableOnly) and.push({ status: { $in: ['active', null] } });
  if (criteria.parentId) and.push({ parentId: criteria.parentId });
  if (criteria.visible) {
    const visible: Record<string, unknown>[] = [{ _id: { $in: [...criteria.visible.ids] } }];
    if (criteria.visible.customerGroups) visible.push({ audience: 'customer', origin: 'internal' });
    and.push({ $or: visible });
  }
  return { $and: and };
}

/**
 * Groups, the IdP's (`origin: 'scim'`) and the product's own (`'internal'`) in one collection
 * (indexes: `_id`; `tenantId, origin, lc.displayName` unique; `tenantId, origin, attrs.externalId, _id`;
 * `tenantId, origin, _id`; `tenantId, ownerId`; `pendingMembers.at`; `sync.pendingSince`). The
 * versioned writes are ResourceStore's; `scim` is the same store seen through the SCIM edge, which
 * reaches only the IdP's groups.
 */
export class GroupsRepository extends ResourceStore<GroupDoc> {
  /** The versioned writes limited to the IdP's groups (what SCIM may read and write). */
  readonly scim: ResourceStore<GroupDoc>;

  constructor(private readonly models: Models) {
    super(models.Group);
    this.scim = new ResourceStore<GroupDoc>(models.Group, { origin: 'scim' satisfies GroupOrigin });
  }

  private get collection() {
    return this.models.Group.collection;
  }

  /** The group's stored version only, or null when there is no such group. */
  async findVersion(tenantId: string, groupId: string): Promise<{ version?: number } | null> {
    return (await this.collection.findOne({ _id: groupId, tenantId } as never, { projection: { version: 1 } })) as { version?: number } | null;
  }

  /**
   * Sets and unsets the group's settings (top-level fields, or `attrs`/`lc` paths) and bumps its
   * version, if the stored version is still `version`; the group as it is now, or null when another
   * write won (or the group is gone). A name taken already is the driver's duplicate-key error.
   */
  async setFieldsIfVersion(tenantId: string, groupId: string, version: number, set: Record<string, unknown>, unset: readonly string[], now = new Date()): Promise<GroupDoc | null> {
    const update: Record<string, unknown> = { $set: { ...set, updatedAt: now }, $inc: { version: 1 } };
    if (unset.length > 0) update.$unset = Object.fromEntries(unset.map((k) => [k, '']));
    return (await this.collection.findOneAndUpdate({ _id: groupId, tenantId, version } as never, update as never, { returnDocument: 'after' })) as GroupDoc | null;
  }

  /** The display names (`attrs.displayName` only) of the tenant's groups among `groupIds`. */
  async displayNamesOf(tenantId: string, groupIds: readonly string[]): Promise<Pick<GroupDoc, '_id' | 'attrs'>[]> {
    return (await this.collection.find({ _id: { $in: groupIds }, tenantId } as never, { projection: { 'attrs.displayName': 1 } }).toArray()) as unknown as Pick<
      GroupDoc,
      '_id' | 'attrs'
    >[];
  }

  /** The tenant's default groups: id and `system` key. */
  async systemGroupsOf(tenantId: string): Promise<{ _id: string; system?: unknown }[]> {
    return (await this.collection
      .find({ tenantId, origin: 'internal', system: { $exists: true } } as never, { projection: { system: 1 } })
      .toArray()) as unknown as { _id: string; system?: unknown }[];
  }

  /** The group's parent id; undefined for a root group or a group that does not exist. */
  async parentOf(tenantId: string, groupId: string): Promise<string | undefined> {
    const doc = (await this.collection.findOne({ _id: groupId, tenantId } as never, { projection: { parentId: 1 } })) as { parentId?: unknown } | null;
    return typeof doc?.parentId === 'string' ? doc.parentId : undefined;
  }

  /** Ids of the groups whose parent is one of `parentIds`. */
  async childrenOf(tenantId: string, parentIds: readonly string[]): Promise<string[]> {
    const docs = (await this.collection.find({ tenantId, parentId: { $in: parentIds } } as never, { projection: { _id: 1 } }).toArray()) as unknown as { _id: string }[];
    return docs.map((d) => d._id);
  }

  /** The id of one child of the group (any), or null for a group without children. */
  async anyChildOf(tenantId: string, groupId: string): Promise<string | null> {
    const doc = (await this.collection.findOne({ tenantId, parentId: groupId } as never, { projection: { _id: 1 } })) as { _id: string } | null;
    return doc?._id ?? null;
  }

  /** Ids of the groups the user owns (among `groupIds` when given). */
  async ownedBy(tenantId: string, userId: string, groupIds?: readonly string[]): Promise<string[]> {
    const docs = (await this.collection
      .find({ tenantId, ownerId: userId, ...(groupIds === undefined ? {} : { _id: { $in: [...groupIds] } }) } as never, { projection: { _id: 1 } })
      .toArray()) as unknown as { _id: string }[];
    return docs.map((d) => d._id);
  }

  /** Clears the group's owner (bumping its version) if it is still `userId`; true when it did. */
  async clearOwnerIf(tenantId: string, groupId: string, userId: string, now = new Date()): Promise<boolean> {
    const res = await this.collection.updateOne(
      { _id: groupId, tenantId, ownerId: userId } as never,
      { $unset: { ownerId: '' }, $inc: { version: 1 }, $set: { updatedAt: now } } as never,
    );
    return res.modifiedCount === 1;
  }

  /** How many groups the admin list's `criteria` match. */
  async countListed(tenantId: string, criteria: GroupListCriteria): Promise<number> {
    return this.collection.countDocuments(listFilter(tenantId, criteria) as never);
  }

  /** One page of the listed groups by lower-cased name (then id), ascending (1) or descending (-1). */
  async pageListedByName(tenantId: string, criteria: GroupListCriteria, direction: 1 | -1, page: number, limit: number): Promise<GroupDoc[]> {
    return (await this.collection
      .find(listFilter(tenantId, criteria) as never)
      .sort({ 'lc.displayName': direction, _id: direction })
      .skip((page - 1) * limit)
      .limit(limit)
      .toArray()) as unknown as GroupDoc[];
  }

  /** Every group the admin list's `criteria` match, unordered. */
  async allListed(tenantId: string, criteria: GroupListCriteria): Promise<GroupDoc[]> {
    return (await this.collection.find(listFilter(tenantId, criteria) as never).toArray()) as unknown as GroupDoc[];
  }
}
