import { backfillSearchTerms } from '../../src/domain/people/search-terms-backfill';
import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';

/**
 * Users stored before people search existed (no `lc.terms`) are found once the one-time backfill
 * (`npm run cli -- users backfill-search-terms`) has run for their tenant.
 */
let s: SyncStack;
beforeAll(async () => {
  s = await startSyncStack();
});
afterAll(() => s.close());

const silent = { info: () => undefined };
const found = async (q: string) => ((await s.admin.get(`/users?search=${encodeURIComponent(q)}`)).body.items as { id: string }[]).map((u) => u.id);
const users = () => s.runtime.deps.models.User.collection;

it('a user stored without search terms is not found; after the backfill it is, and the tenant is done once', async () => {
  const id = await s.user('old.timer@example.com', { department: 'Archives' });
  // As an older version stored it: no search terms, and a tenant the backfill has not marked.
  await users().updateOne({ _id: id } as never, { $unset: { 'lc.terms': '' } });
  await s.runtime.deps.models.Tenant.collection.updateOne({ _id: s.tenantId } as never, { $unset: { searchTermsVersion: '' } });
  expect(await found('archives')).toEqual([]);

  const first = await backfillSearchTerms(s.runtime.deps.models, silent, () => false);
  expect(first.users).toBeGreaterThanOrEqual(1);
  expect(await found('archives')).toEqual([id]);
  expect(await found('old.timer@example.com')).toEqual([id]);

  // Marked: a second run reads no user of this tenant (a user without terms now stays so until its next write).
  await users().updateOne({ _id: id } as never, { $unset: { 'lc.terms': '' } });
  const second = await backfillSearchTerms(s.runtime.deps.models, silent, () => false);
  expect(second.users).toBe(0);
  expect(await found('archives')).toEqual([]);
});

it('a stopped backfill ends before its next page, and the tenant is not marked', async () => {
  const tenant = s.tenantId;
  await s.runtime.deps.models.Tenant.collection.updateOne({ _id: tenant } as never, { $unset: { searchTermsVersion: '' } });
  const result = await backfillSearchTerms(s.runtime.deps.models, silent, () => true);
  expect(result).toEqual({ tenants: 0, users: 0 });
  const doc = (await s.runtime.deps.models.Tenant.collection.findOne({ _id: tenant } as never)) as { searchTermsVersion?: number } | null;
  expect(doc?.searchTermsVersion).toBeUndefined();
});
