import { conjunction } from './conjunction';
import type { GroupDoc, GroupOrigin, Models } from './models';
import { ResourceStore } from './resource-store';

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
}
