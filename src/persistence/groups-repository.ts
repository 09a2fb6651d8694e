import { escapeRegex } from '../expressions/compile-mongo';
import type { AuditEventDoc, GroupDoc, GroupOrigin, Models } from './models';
import { ResourceStore } from './resource-store';

/** The names rules may use for an IdP group, as the sync worker last saw them (stored on the group as `syncNames`). */
export interface GroupSyncNames {
  displayName?: string;
  externalId?: string;
}

/** A group as the sync worker reads it for a member change: origin, names, sync mark and the names it last saw. */
export type GroupSyncSnapshot = Pick<GroupDoc, '_id' | 'origin' | 'attrs' | 'sync'> & { syncNames?: GroupSyncNames };

/** A group as the permission engine's graph reads it: parent, status, default-group key, origin, audience and name. */
export type GroupNodeFields = Pick<GroupDoc, '_id' | 'attrs' | 'parentId' | 'status' | 'system' | 'origin' | 'audience'>;
const NODE_PROJECTION = { parentId: 1, status: 1, system: 1, origin: 1, audience: 1, 'attrs.displayName': 1 } as const;

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
  /** The versioned writes limited to the IdP's groups. */
  readonly scim: ResourceStore<GroupDoc>;
  /** The IdP's groups as the IdP sees them (what SCIM requests read and write): a group whose deletion is held is gone. */
  readonly scimEdge: ResourceStore<GroupDoc>;
  /** The IdP's groups whose deletion is held or rejected: an admin's Allow deletes only while it still is (the IdP may have taken the group back). */
  readonly scimHeldDeletions: ResourceStore<GroupDoc>;

  constructor(private readonly models: Models) {
    super(models.Group);
    this.scim = new ResourceStore<GroupDoc>(models.Group, { origin: 'scim' satisfies GroupOrigin });
    this.scimEdge = new ResourceStore<GroupDoc>(models.Group, { origin: 'scim' satisfies GroupOrigin, heldDeletion: { $exists: false } });
    this.scimHeldDeletions = new ResourceStore<GroupDoc>(models.Group, { origin: 'scim' satisfies GroupOrigin, heldDeletion: { $exists: true } });
  }

  /**
   * Holds the IdP's deletion of the group (the breaker): marked, with its audit event, in one
   * update, only while it is at `version` and not held already. Null when another write won.
   */
  async holdDeletion(tenantId: string, groupId: string, version: number, held: NonNullable<GroupDoc['heldDeletion']>, audit: AuditEventDoc): Promise<GroupDoc | null> {
    return (await this.collection.findOneAndUpdate(
      { _id: groupId, tenantId, origin: 'scim', version, heldDeletion: { $exists: false } } as never,
      { $set: { heldDeletion: held, updatedAt: new Date() }, $push: { pendingAudit: audit } } as never,
      { returnDocument: 'after' },
    )) as unknown as GroupDoc | null;
  }

  /** Rejects a held deletion (the group stays, hidden from SCIM), with its audit event, if it is still held. */
  async rejectDeletion(tenantId: string, groupId: string, decidedBy: string, audit: AuditEventDoc): Promise<boolean> {
    const now = new Date();
    const res = await this.collection.updateOne(
      { _id: groupId, tenantId, 'heldDeletion.state': 'held' } as never,
      { $set: { 'heldDeletion.state': 'rejected', 'heldDeletion.decidedAt': now, 'heldDeletion.decidedBy': decidedBy }, $push: { pendingAudit: audit } } as never,
    );
    return res.modifiedCount > 0;
  }

  /**
   * The IdP group whose deletion is held or rejected that a SCIM create names again: by its
   * lower-cased displayName (the unique index), else by its externalId (`tenantId, origin,
   * attrs.externalId, _id`). Null when the name is free or taken by a group the IdP sees.
   */
  async heldDeletionNamed(tenantId: string, names: { lcDisplayName?: string; externalId?: string }): Promise<GroupDoc | null> {
    const projection = { pendingMembers: 0, pendingAudit: 0 };
    if (names.lcDisplayName !== undefined) {
      const byName = (await this.collection.findOne({ tenantId, origin: 'scim', 'lc.displayName': names.lcDisplayName } as never, { projection })) as GroupDoc | null;
      if (byName?.heldDeletion) return byName;
    }
    if (names.externalId === undefined) return null;
    const byExternalId = (await this.collection.find({ tenantId, origin: 'scim', 'attrs.externalId': names.externalId } as never, { projection }).toArray()) as unknown as GroupDoc[];
    return byExternalId.find((g) => g.heldDeletion) ?? null;
  }

  /** Groups whose deletion by the IdP is held (or was rejected), or those named. */
  async withHeldDeletions(tenantId: string, opts: { state?: 'held' | 'rejected'; ids?: readonly string[] } = {}): Promise<GroupDoc[]> {
    const filter: Record<string, unknown> = { tenantId, 'heldDeletion.state': opts.state ?? { $in: ['held', 'rejected'] } };
    if (opts.ids) filter._id = { $in: [...opts.ids] };
    const docs = (await this.collection.find(filter as never, { projection: { pendingMembers: 0, pendingAudit: 0 } }).toArray()) as unknown as GroupDoc[];
    return docs.sort((a, b) => a.heldDeletion!.since.getTime() - b.heldDeletion!.since.getTime() || a._id.localeCompare(b._id));
  }

  async countHeldDeletions(tenantId: string): Promise<number> {
    return this.collection.countDocuments({ tenantId, 'heldDeletion.state': 'held' });
  }

  private get collection() {
    return this.models.Group.collection;
  }

  async findSyncSnapshot(tenantId: string, groupId: string): Promise<GroupSyncSnapshot | null> {
    return (await this.collection.findOne({ _id: groupId, tenantId } as never, {
      projection: { origin: 1, 'attrs.displayName': 1, 'attrs.externalId': 1, sync: 1, syncNames: 1 },
    })) as GroupSyncSnapshot | null;
  }

  /** Records the names the worker saw; a `$set` of that one field, so a concurrent SCIM write keeps its own fields. */
  async setSyncNames(tenantId: string, groupId: string, names: GroupSyncNames): Promise<void> {
    // Absent names are left out: the driver stores an `undefined` value as null.
    const stored = Object.fromEntries(Object.entries(names).filter(([, v]) => typeof v === 'string'));
    await this.collection.updateOne({ _id: groupId, tenantId } as never, { $set: { syncNames: stored } });
  }

  /** The group's audience only, or null when there is no such group. */
  async findAudience(tenantId: string, groupId: string): Promise<Pick<GroupDoc, '_id' | 'audience'> | null> {
    return (await this.audiencesOf(tenantId, [groupId]))[0] ?? null;
  }

  /** The audiences of the groups among `groupIds` that exist (of one origin only, when given). */
  async audiencesOf(tenantId: string, groupIds: readonly string[], origin?: GroupOrigin): Promise<Pick<GroupDoc, '_id' | 'audience'>[]> {
    const filter = { tenantId, ...(origin !== undefined ? { origin } : {}), _id: groupIds.length === 1 ? groupIds[0] : { $in: [...groupIds] } };
    return (await this.collection.find(filter as never, { projection: { _id: 1, audience: 1 } }).toArray()) as unknown as Pick<GroupDoc, '_id' | 'audience'>[];
  }

  /**
   * The IdP groups (origin 'scim') one of `names` names: lower-cased displayName equal to it, or
   * externalId equal to it ignoring case. Names and externalIds only.
   */
  async idpGroupsNamed(tenantId: string, names: readonly string[]): Promise<Pick<GroupDoc, '_id' | 'lc' | 'attrs'>[]> {
    const externalIdPattern = `^(?:${names.map(escapeRegex).join('|')})\\z`;
    return (await this.collection
      .find(
        {
          tenantId,
          origin: 'scim' satisfies GroupOrigin,
          $or: [{ 'lc.displayName': { $in: [...names] } }, { 'attrs.externalId': { $regex: externalIdPattern, $options: 'i' } }],
        } as never,
        { projection: { _id: 1, 'lc.displayName': 1, 'attrs.externalId': 1 } },
      )
      .toArray()) as unknown as Pick<GroupDoc, '_id' | 'lc' | 'attrs'>[];
  }

  /** Every group of the tenant with what the permission graph needs (see GroupNodeFields). */
  /** Up to `limit` IdP group display names in name order (index tenantId, origin, lc.displayName): a dry run's suggestions. */
  async idpGroupNames(tenantId: string, limit: number): Promise<string[]> {
    const docs = (await this.collection
      .find({ tenantId, origin: 'scim' satisfies GroupOrigin } as never, { projection: { 'attrs.displayName': 1 } })
      .sort({ 'lc.displayName': 1 })
      .limit(limit)
      .toArray()) as unknown as Pick<GroupDoc, 'attrs'>[];
    return docs.map((d) => d.attrs.displayName).filter((n): n is string => typeof n === 'string');
  }

  /** The groups (IdP and internal) with this display name, ignoring case (index tenantId, origin, lc.displayName). */
  async idsNamed(tenantId: string, name: string): Promise<Pick<GroupDoc, '_id' | 'attrs'>[]> {
    const origins: GroupOrigin[] = ['scim', 'internal'];
    return (await this.collection
      .find({ tenantId, origin: { $in: origins }, 'lc.displayName': name.trim().toLowerCase() } as never, { projection: { 'attrs.displayName': 1 } })
      .toArray()) as unknown as Pick<GroupDoc, '_id' | 'attrs'>[];
  }

  async hierarchyNodes(tenantId: string): Promise<GroupNodeFields[]> {
    return (await this.collection.find({ tenantId } as never, { projection: NODE_PROJECTION }).toArray()) as unknown as GroupNodeFields[];
  }

  /** One group with what the permission graph needs, or null when there is no such group. */
  async hierarchyNode(tenantId: string, groupId: string): Promise<GroupNodeFields | null> {
    return (await this.collection.findOne({ _id: groupId, tenantId } as never, { projection: NODE_PROJECTION })) as GroupNodeFields | null;
  }

  /**
   * Hands a change of an IdP group's members the group's next position (`lastPosition` + 1, one
   * single-document update): positions are unique and grow with time, so a change that starts
   * after another's request ended gets a greater one. Null when there is no such group.
   */
  async takePosition(tenantId: string, groupId: string): Promise<number | null> {
    const doc = (await this.collection.findOneAndUpdate(
      { _id: groupId, tenantId, origin: 'scim' satisfies GroupOrigin } as never,
      { $inc: { lastPosition: 1 } },
      {
        returnDocument: 'after',
        projection: { lastPosition: 1 },
      },
    )) as Pick<GroupDoc, 'lastPosition'> | null;
    return doc?.lastPosition ?? null;
  }

  /** The group's version only, or null when there is no such group. */
  async findVersion(tenantId: string, groupId: string): Promise<Pick<GroupDoc, '_id' | 'version'> | null> {
    return (await this.collection.findOne({ _id: groupId, tenantId } as never, { projection: { version: 1 } })) as Pick<GroupDoc, '_id' | 'version'> | null;
  }

  /** Groups holding member changes committed before `cutoff` that a crashed request left unfinished. */
  async withMemberChangesPendingBefore(cutoff: Date, limit: number): Promise<Pick<GroupDoc, '_id' | 'tenantId' | 'pendingMembers'>[]> {
    return (await this.collection
      .find({ 'pendingMembers.at': { $lte: cutoff } } as never, { projection: { tenantId: 1, pendingMembers: 1 } })
      .limit(limit)
      .toArray()) as unknown as Pick<GroupDoc, '_id' | 'tenantId' | 'pendingMembers'>[];
  }

  /** The member change's writes and audit event are done: it no longer needs to wait on the group. */
  async settleMemberChange(tenantId: string, groupId: string, changeId: string): Promise<void> {
    await this.collection.updateOne({ _id: groupId, tenantId } as never, { $pull: { pendingMembers: { _id: changeId } } } as never);
  }

  /**
   * Sets and unsets the group's settings (top-level fields, or `attrs`/`lc` paths) and bumps its
   * version, if the stored version is still `version`; the group as it is now, or null when another
   * write won (or the group is gone). A name taken already is the driver's duplicate-key error.
   */
  async setFieldsIfVersion(tenantId: string, groupId: string, version: number, set: Record<string, unknown>, unset: readonly string[], now = new Date()): Promise<GroupDoc | null> {
    const update: Record<string, unknown> = { $set: { ...set, updatedAt: now }, $inc: { version: 1 } };
    if (unset.length > 0) update.$unset = Object.fromEntries(unset.map((k) => [k, '']));
    return (await this.collection.findOneAndUpdate({ _id: groupId, tenantId, version } as never, update, { returnDocument: 'after' })) as GroupDoc | null;
  }

  /** The tenant's default groups: id and `system` key. */
  async systemGroupsOf(tenantId: string): Promise<{ _id: string; system?: unknown }[]> {
    return (await this.collection.find({ tenantId, origin: 'internal', system: { $exists: true } } as never, { projection: { system: 1 } }).toArray()) as unknown as {
      _id: string;
      system?: unknown;
    }[];
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
    const res = await this.collection.updateOne({ _id: groupId, tenantId, ownerId: userId } as never, { $unset: { ownerId: '' }, $inc: { version: 1 }, $set: { updatedAt: now } });
    return res.modifiedCount === 1;
  }

  /** How many groups the admin list's `criteria` match. */
  async countListed(tenantId: string, criteria: GroupListCriteria): Promise<number> {
    return this.collection.countDocuments(listFilter(tenantId, criteria));
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
