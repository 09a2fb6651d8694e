import type { Models, ScimTokenDoc } from './models';

/** SCIM tokens as the admin API reads them (indexes: `tokenId` unique, `tenantId`). */
export class ScimTokensRepository {
  constructor(private readonly models: Models) {}

  /** Every token of the tenant, revoked ones included, in no particular order. */
  async listOfTenant(tenantId: string): Promise<ScimTokenDoc[]> {
    return (await this.models.ScimToken.find({ tenantId }).lean()) as ScimTokenDoc[];
  }

  /** The tenant's token with this id, or null (another tenant's token is not found). */
  async findOfTenant(tenantId: string, tokenId: string): Promise<ScimTokenDoc | null> {
    return (await this.models.ScimToken.findOne({ tokenId, tenantId }).lean()) as ScimTokenDoc | null;
  }
}
