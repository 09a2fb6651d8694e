import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';

/**
 * A per-tenant counter on the tenant document, bumped whenever anything the compiled rules depend
 * on changes: a rule (created, edited, enabled, disabled, deleted) or an IdP group that rules name
 * by displayName or externalId (created, renamed, deleted). Workers key their compiled-rules
 * cache on it, so one `_id` read per evaluation tells them whether their compiled rules are current.
 */
export async function bumpRuleSetVersion(models: Models, tenantId: string): Promise<void> {
  await repositoriesOf(models).tenants.bumpRuleSetVersion(tenantId);
}

/** The tenant's rule-set version (0 before the first rule), or null when the tenant does not exist. */
export async function readRuleSetVersion(models: Models, tenantId: string): Promise<number | null> {
  const doc = await repositoriesOf(models).tenants.readRuleSetVersion(tenantId);
  if (!doc) return null;
  return typeof doc.ruleSetVersion === 'number' ? doc.ruleSetVersion : 0;
}
