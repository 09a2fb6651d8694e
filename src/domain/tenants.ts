import type { Models } from '../persistence/models';
import { newInternalGroupDoc } from './groups/group-record';
import { isDuplicateKeyError } from '../persistence/duplicate-key';
import { newId } from '../persistence/ids';
import { issueScimToken } from '../auth/scim-token';
import { AppError } from '../errors/app-error';
import { DEFAULT_GROUPS } from './default-groups';
import { seedDefaultRoles } from './permissions/default-roles';

export interface CreatedTenant {
  tenantId: string;
  name: string;
  scimTokenId: string;
  /** Shown once. */
  scimToken: string;
}

/** Creates a tenant with its default groups and a first SCIM token. */
export async function createTenant(models: Models, name: string): Promise<CreatedTenant> {
  const trimmed = name.trim();
  if (!/^[\w][\w .-]{0,99}$/.test(trimmed)) {
    throw new AppError('badRequest', 'TENANT_NAME_INVALID', 'A tenant name is 1-100 letters, digits, spaces, dots, dashes or underscores');
  }
  const now = new Date();
  const tenantId = newId('ten');
  try {
    await models.Tenant.create({ _id: tenantId, name: trimmed, nameLower: trimmed.toLowerCase(), createdAt: now, updatedAt: now });
  } catch (err) {
    if (isDuplicateKeyError(err)) {
      throw new AppError('conflict', 'TENANT_EXISTS', `A tenant named "${trimmed}" exists already`);
    }
    throw err;
  }
  const groups = DEFAULT_GROUPS.map((g) =>
    newInternalGroupDoc(tenantId, g.name, { description: g.description, audience: g.audience, system: g.key, automatic: g.automatic }),
  );
  await models.Group.insertMany(groups);
  await seedDefaultRoles(models, tenantId);
  const { tokenId, token } = await issueScimToken(models, tenantId, 'initial');
  return { tenantId, name: trimmed, scimTokenId: tokenId, scimToken: token };
}

export async function findTenantByName(models: Models, name: string) {
  return models.Tenant.findOne({ nameLower: name.trim().toLowerCase() }).lean();
}
