import type { InvitationDoc, Models } from './models';

/** What the invitation list may filter by; every field narrows. */
export interface InvitationListCriteria {
  invitedBy?: string;
  status?: InvitationDoc['status'];
  emailLower?: string;
  /** Continue after this invitation id (pages are in `_id` order). */
  afterId?: string;
}

/**
 * Invitations (indexes: `_id`; `tenantId, emailLower, status`).
 * Status moves pending → accepted or revoked by a conditional update, so two writers never both win.
 */
export class InvitationsRepository {
  constructor(private readonly models: Models) {}

  private get collection() {
    return this.models.Invitation.collection;
  }

  async insert(doc: InvitationDoc): Promise<void> {
    await this.collection.insertOne(doc as never);
  }

  async findOfTenant(tenantId: string, invitationId: string): Promise<InvitationDoc | null> {
    return (await this.collection.findOne({ _id: invitationId, tenantId } as never)) as InvitationDoc | null;
  }

  /** Up to `limit` invitations of the tenant matching `criteria`, in `_id` order. */
  async page(tenantId: string, criteria: InvitationListCriteria, limit: number): Promise<InvitationDoc[]> {
    const filter: Record<string, unknown> = { tenantId };
    if (criteria.invitedBy !== undefined) filter.invitedBy = criteria.invitedBy;
    if (criteria.status !== undefined) filter.status = criteria.status;
    if (criteria.emailLower !== undefined) filter.emailLower = criteria.emailLower;
    if (criteria.afterId !== undefined) filter._id = { $gt: criteria.afterId };
    return (await this.collection
      .find(filter as never)
      .sort({ _id: 1 })
      .limit(limit)
      .toArray()) as unknown as InvitationDoc[];
  }

  /** The pending invitations addressed to any of these lower-cased e-mails. */
  async pendingFor(tenantId: string, emailsLower: readonly string[]): Promise<InvitationDoc[]> {
    return (await this.collection
      .find({ tenantId, emailLower: emailsLower.length === 1 ? emailsLower[0] : { $in: [...emailsLower] }, status: 'pending' } as never)
      .toArray()) as unknown as InvitationDoc[];
  }

  /** Revokes a pending invitation; null when it was not pending (any more). */
  async revokeIfPending(tenantId: string, invitationId: string, revokedAt: Date, revokedBy: string | undefined): Promise<InvitationDoc | null> {
    return (await this.collection.findOneAndUpdate(
      { _id: invitationId, tenantId, status: 'pending' } as never,
      { $set: { status: 'revoked', revokedAt, revokedBy } },
      { returnDocument: 'after' },
    )) as InvitationDoc | null;
  }

  /** Claims a pending invitation for the user; null when another writer claimed it first. */
  async acceptIfPending(tenantId: string, invitationId: string, userId: string): Promise<InvitationDoc | null> {
    return (await this.collection.findOneAndUpdate({ _id: invitationId, tenantId, status: 'pending' } as never, {
      $set: { status: 'accepted', userId, acceptedAt: new Date() },
    })) as InvitationDoc | null;
  }

  /** Records what applying an accepted invitation did in each group. */
  async setResult(tenantId: string, invitationId: string, result: unknown[]): Promise<void> {
    await this.collection.updateOne({ _id: invitationId, tenantId } as never, { $set: { result } });
  }

  /** Gives an accepted invitation back (applying it failed), so a later provisioning retries it. */
  async reopen(tenantId: string, invitationId: string): Promise<void> {
    await this.collection.updateOne({ _id: invitationId, tenantId } as never, { $set: { status: 'pending' }, $unset: { userId: '', acceptedAt: '' } });
  }

  /** Takes a deleted group out of every pending invitation. */
  async forgetGroup(tenantId: string, groupId: string): Promise<void> {
    await this.collection.updateMany({ tenantId, status: 'pending', groupIds: groupId }, { $pull: { groupIds: groupId } } as never);
  }
}
