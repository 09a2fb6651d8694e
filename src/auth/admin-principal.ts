import type { Models } from '../persistence/models';
import { repositoriesOf } from '../persistence/repositories';
import { AppError } from '../errors/app-error';
import { isActive } from '../domain/groups/user-identity';
import type { AdminPrincipal } from './admin-jwt';

/**
 * A correctly signed admin token still speaks only for someone who exists now: its tenant must
 * exist, and a user token's subject must be a user of that tenant who is active. A user deleted or
 * deactivated over SCIM loses the admin API at once, whatever their token says, since the JWT
 * outlives the IdP's decision. Checked on every admin request (one `_id` lookup).
 *
 * Tenants are never deleted, so a tenant seen once is remembered for the life of the process.
 */
const knownTenants = new Set<string>();

async function tenantExists(models: Models, tenantId: string): Promise<boolean> {
  if (knownTenants.has(tenantId)) return true;
  const found = await repositoriesOf(models).tenants.exists(tenantId);
  if (found) {
    if (knownTenants.size > 100_000) knownTenants.clear();
    knownTenants.add(tenantId);
  }
  return found;
}

export async function assertPrincipalCurrent(models: Models, principal: AdminPrincipal): Promise<void> {
  if (principal.kind === 'operator') {
    if (!(await tenantExists(models, principal.tenantId))) throw unknownTenant();
    return;
  }
  // A user of the tenant implies the tenant: one lookup answers both.
  const user = await repositoriesOf(models).users.findActiveAndCustom(principal.tenantId, principal.userId);
  if (!user) {
    if (!(await tenantExists(models, principal.tenantId))) throw unknownTenant();
    throw new AppError('unauthorized', 'ADMIN_AUTH_USER_UNKNOWN', "The token's subject is not a user of its tenant (deleted, or never provisioned)");
  }
  if (!isActive(user)) throw new AppError('forbidden', 'USER_DEACTIVATED', "The token's user is deactivated: a deactivated user may not use the admin API");
}

function unknownTenant(): AppError {
  return new AppError('unauthorized', 'ADMIN_AUTH_TENANT_UNKNOWN', 'The token names a tenant that does not exist');
}
