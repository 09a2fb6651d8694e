import { escapeRegex } from '../expressions/compile-mongo';
import { conjunction } from './conjunction';
import type { GroupDoc, GroupOrigin, Models } from './models';
import { ResourceStore } from './resource-store';

/** A group as the permission engine's graph reads it: parent, status, default-group key, origin, audience and name. */
export type GroupNodeFields = Pick<GroupDoc, '_id' | 'attrs' | 'parentId' | 'status' | 'system' | 'origin' | 'audience'>;
const NODE_PROJECTION = { parentId: 1, status: 1, system: 1, origin: 1, audience: 1, 'attrs.displayName': 1 } as const;

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

  /** The group's audience only, or null when there is no such group. */
  async findAudience(tenantId: string, groupId: string): Promise<Pick<GroupDoc, '_id' | 'audience'> | null> {
    return (await this.collection.findOne({ _id: groupId, tenantId } as never, { projection: { _id: 1, audience: 1 } })) as Pick<GroupDoc, '_id' | 'audience'> | null;
  }

  /** The audiences of the groups among `groupIds` that exist. */
  async audiencesOf(tenantId: string, groupIds: readonly string[]): Promise<Pick<GroupDoc, '_id' | 'audience'>[]> {
    return (await this.collection
      .find({ tenantId, _id: groupIds.length === 1 ? groupIds[0] : { $in: [...groupIds] } } as never, { projection: { _id: 1, audience: 1 } })
      .toArray()) as unknown as Pick<GroupDoc, '_id' | 'audience'>[];
  }

  /** The audiences of the internal groups among `groupIds` (IdP groups are left out). */
  async internalAudiencesOf(tenantId: string, groupIds: readonly string[]): Promise<Pick<GroupDoc, '_id' | 'audience'>[]> {
    return (await this.collection
      .find({ tenantId, origin: 'internal' satisfies GroupOrigin, _id: { $in: groupIds } } as never, { projection: { audience: 1 } })
      .toArray()) as unknown as Pick<GroupDoc, '_id' | 'audience'>[];
  }

  /** The tenant's default groups (internal, with a `system` key): their keys only. */
  async systemKeysOf(tenantId: string): Promise<Pick<GroupDoc, '_id' | 'system'>[]> {
    return (await this.collection
      .find({ tenantId, origin: 'internal' satisfies GroupOrigin, system: { $exists: true } } as never, { projection: { system: 1 } })
      .toArray()) as unknown as Pick<GroupDoc, '_id' | 'system'>[];
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
  async hierarchyNodes(tenantId: string): Promise<GroupNodeFields[]> {
    return (await this.collection.find({ tenantId } as never, { projection: NODE_PROJECTION }).toArray()) as unknown as GroupNodeFields[];
  }

  /** One group with what the permission graph needs, or null when there is no such group. */
  async hierarchyNode(tenantId: string, groupId: string): Promise<GroupNodeFields | null> {
    return (await this.collection.findOne({ _id: groupId, tenantId } as never, { projection: NODE_PROJECTION })) as GroupNodeFields | null;
  }

  /** The group's version only, or null when there is no such group. */
  async findVersion(tenantId: string, groupId: string): Promise<Pick<GroupDoc, '_id' | 'version'> | null> {
    return (await this.collection.findOne({ _id: groupId, tenantId } as never, { projection: { version: 1 } })) as Pick<GroupDoc, '_id' | 'version'> | null;
  }

  /** Groups holding member changes committed before `cutoff` that a crashed request left unfinished. */
  async withMemberChangesPendingBefore(cutoff: Date, limit: number): Promise<Pick<GroupDoc, '_id' | 'tenantId' | 'pendingMembers'>[]> {
    return (await this.collection
      .find({ 'pendingMembers.at': { $lt: cutoff } } as never, { projection: { tenantId: 1, pendingMembers: 1 } })
      .limit(limit)
      .toArray()) as unknown as Pick<GroupDoc, '_id' | 'tenantId' | 'pendingMembers'>[];
  }

  /** The member change's writes and audit event are done: it no longer needs to wait on the group. */
  async settleMemberChange(tenantId: string, groupId: string, changeId: string): Promise<void> {
    await this.collection.updateOne({ _id: groupId, tenantId } as never, { $pull: { pendingMembers: { _id: changeId } } } as never);
  }
}
