import { SEARCH_TERMS_VERSION } from './people/search-terms-backfill';
import type { Models, TenantDoc, TenantUses } from '../persistence/models';
import { repositoriesOf } from '../persistence/repositories';
import { newInternalGroupDoc } from './groups/group-record';
import { unlessDuplicate } from '../persistence/duplicate-key';
import { newId } from '../persistence/ids';
import { issueScimToken } from '../auth/scim-token';
import { AppError } from '../errors/app-error';
import { DEFAULT_GROUPS } from './default-groups';
import { seedDefaultRoles } from './permissions/default-roles';
import { roleAssignmentIds } from './permissions/engine';
import type { RoleAssignmentDoc } from '../persistence/models';

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
  const inserted = await repositoriesOf(models).tenants.insert({
    _id: tenantId,
    name: trimmed,
    nameLower: trimmed.toLowerCase(),
    // No user was stored before people search: nothing to backfill.
    searchTermsVersion: SEARCH_TERMS_VERSION,
    // Nothing used yet: its SCIM creates skip the checks for admin-created users and invitations.
    uses: {},
    createdAt: now,
    updatedAt: now,
  });
  if (!inserted) throw new AppError('conflict', 'TENANT_EXISTS', `A tenant named "${trimmed}" exists already`);
  await seedDefaults(models, tenantId);
  const { tokenId, token } = await issueScimToken(models, tenantId, 'initial');
  return { tenantId, name: trimmed, scimTokenId: tokenId, scimToken: token };
}

/**
 * Records, before the first user the admin API creates or the first invitation is stored, that the
 * tenant uses it (TenantDoc.uses): from then on every SCIM create checks against it. Written before
 * the thing itself, so a create that read the record without it began before the thing existed.
 */
export async function markTenantUses(models: Models, tenantId: string, feature: keyof TenantUses): Promise<void> {
  await repositoriesOf(models).tenants.markUses(tenantId, feature);
}

export async function findTenantByName(models: Models, name: string): Promise<TenantDoc | null> {
  return repositoriesOf(models).tenants.findByName(name);
}

/**
 * Creates the default roles and groups a tenant lacks (by key), so a tenant created before a
 * default was added gets it at the next start. A new group that comes with a default role
 * (Agent and Automations Admin: Configure) gets it once, when created; an admin may revoke it.
 * A custom group already holding a default group's name keeps it: that default is skipped and
 * named in the answer.
 */
export async function seedDefaults(models: Models, tenantId: string): Promise<{ created: string[]; skipped: string[] }> {
  await seedDefaultRoles(models, tenantId);
  const existing = await repositoriesOf(models).groups.systemGroupsOf(tenantId);
  const have = new Set(existing.map((g) => g.system));
  const created: string[] = [];
  const skipped: string[] = [];
  for (const g of DEFAULT_GROUPS.filter((d) => !have.has(d.key))) {
    const doc = newInternalGroupDoc(tenantId, g.name, { description: g.description, audience: g.audience, system: g.key, ...(g.automatic ? { automatic: g.automatic } : {}) });
    if (!(await unlessDuplicate(() => repositoriesOf(models).groups.insert(doc)))) {
      skipped.push(g.name);
      continue;
    }
    created.push(g.key);
    if (g.defaultRole) {
      const role = await repositoriesOf(models).roles.findDefault(tenantId, g.defaultRole);
      if (role) {
        const assignment: RoleAssignmentDoc = { _id: roleAssignmentIds.group(doc._id, role._id), tenantId, roleId: role._id, groupId: doc._id, createdAt: new Date() };
        await repositoriesOf(models).roleAssignments.insert(assignment);
      }
    }
  }
  return { created, skipped };
}
