import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { Batcher } from '../batcher';

/**
 * A per-tenant counter on the tenant document, bumped whenever anything the compiled rules depend
 * on changes: a rule (created, edited, enabled, disabled, deleted) or an IdP group that rules name
 * by displayName or externalId (created, renamed, deleted). Workers key their compiled-rules
 * cache on it, so one `_id` read per evaluation tells them whether their compiled rules are current.
 */
export async function bumpRuleSetVersion(models: Models, tenantId: string): Promise<void> {
  await repositoriesOf(models).tenants.bumpRuleSetVersion(tenantId);
}

const versionReaders = new WeakMap<Models, Batcher<string, number | null>>();

/**
 * The tenant's rule-set version (0 before the first rule), or null when the tenant does not exist.
 * Concurrent reads (every job of the worker reads it) share one round trip, never one that began
 * before they were asked (Batcher), so a rule change committed before the call is seen.
 */
export async function readRuleSetVersion(models: Models, tenantId: string): Promise<number | null> {
  let reader = versionReaders.get(models);
  if (!reader) {
    const tenants = repositoriesOf(models).tenants;
    reader = new Batcher(async (tenantIds) => {
      const docs = await tenants.readRuleSetVersions([...new Set(tenantIds)]);
      return tenantIds.map((id) => {
        const doc = docs.get(id);
        if (!doc) return null;
        return typeof doc.ruleSetVersion === 'number' ? doc.ruleSetVersion : 0;
      });
    });
    versionReaders.set(models, reader);
  }
  return reader.one(tenantId);
}
