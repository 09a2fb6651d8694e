import type { Models, ScimRequestRecord, ScimTokenDoc } from './models';

/** SCIM bearer tokens, stored by the SHA-256 of the token (indexes: `_id`; `tokenId` unique; `tenantId`). */
export class ScimTokensRepository {
  constructor(private readonly models: Models) {}

  private get collection() {
    return this.models.ScimToken.collection;
  }

  async insert(doc: ScimTokenDoc): Promise<void> {
    await this.collection.insertOne(doc as never);
  }

  /** The token stored under this hash (what authentication reads), or null. */
  async findByHash(tokenHash: string): Promise<Pick<ScimTokenDoc, 'tenantId' | 'tokenId' | 'revokedAt' | 'replacedBy' | 'expiresAt'> | null> {
    return (await this.collection.findOne({ _id: tokenHash } as never, { projection: { tenantId: 1, tokenId: 1, revokedAt: 1, replacedBy: 1, expiresAt: 1 } })) as Pick<
      ScimTokenDoc,
      'tenantId' | 'tokenId' | 'revokedAt' | 'replacedBy' | 'expiresAt'
    > | null;
  }

  /** Records which token replaced this one (rotation) and, with a grace period, until when it still works. */
  async markReplaced(tenantId: string, tokenId: string, replacedBy: string, expiresAt?: Date): Promise<void> {
    await this.collection.updateOne({ tokenId, tenantId }, { $set: { replacedBy, ...(expiresAt ? { expiresAt } : {}) } });
  }

  /** Every token of the tenant, revoked ones included, in no particular order. */
  async listOfTenant(tenantId: string): Promise<ScimTokenDoc[]> {
    return (await this.collection.find({ tenantId } as never).toArray()) as unknown as ScimTokenDoc[];
  }

  /** The tenant's token with this id, or null (another tenant's token is not found). */
  async findOfTenant(tenantId: string, tokenId: string): Promise<ScimTokenDoc | null> {
    return (await this.collection.findOne({ tokenId, tenantId } as never)) as ScimTokenDoc | null;
  }

  /** Revokes the tenant's token if it is not revoked yet; false when there was none to revoke. */
  async revoke(tenantId: string, tokenId: string, at: Date): Promise<boolean> {
    const res = await this.collection.updateOne({ tokenId, tenantId, revokedAt: { $exists: false } }, { $set: { revokedAt: at } });
    return res.modifiedCount === 1;
  }

  async recordLastRequest(tokenId: string, request: ScimRequestRecord): Promise<void> {
    await this.collection.updateOne({ tokenId }, { $set: { lastRequest: request } });
  }
}
