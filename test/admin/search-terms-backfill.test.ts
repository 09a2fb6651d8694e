import { backfillSearchTerms, forgetPeopleIndexed, peopleIndexing, SEARCH_TERMS_VERSION } from '../../src/domain/people/search-terms-backfill';
import { forgetRecordedValues } from '../../src/domain/people/seen-values';
import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';

/**
 * Users stored before people search existed (no `lc.terms`, no values seen) are caught up
 * automatically, per tenant, when the tenant is first searched (or dry-runs a rule): one process
 * takes the work with a compare-and-set claim on the tenant, and the tenant is marked when done.
 * `npm run cli -- users backfill-search-terms` does the same for every tenant at once.
 */
let s: SyncStack;
beforeAll(async () => {
  s = await startSyncStack();
});
afterAll(() => s.close());

const silent = { info: () => undefined };
const search = async (q: string) => (await s.admin.get(`/users?search=${encodeURIComponent(q)}`)).body as { items: { id: string }[]; indexing?: boolean };
const found = async (q: string) => (await search(q)).items.map((u) => u.id);
const users = () => s.runtime.deps.models.User.collection;
const tenants = () => s.runtime.deps.models.Tenant.collection;

/** As an older version stored the user: no search terms, no values seen, a tenant not caught up. */
async function storedBeforePeopleSearch(id: string, claim?: { by: string; until: Date; after?: string }) {
  await users().updateOne({ _id: id } as never, { $unset: { 'lc.terms': '' } });
  await s.runtime.deps.models.AttributeValue.collection.deleteMany({ tenantId: s.tenantId });
  forgetRecordedValues();
  await tenants().updateOne(
    { _id: s.tenantId } as never,
    claim ? { $unset: { searchTermsVersion: '' }, $set: { searchTermsClaim: claim } } : { $unset: { searchTermsVersion: '', searchTermsClaim: '' } },
  );
  forgetPeopleIndexed();
}

it("the tenant's first search catches up users stored before people search, in the background, once", async () => {
  const id = await s.user('old.timer@example.com', { department: 'Archives' });
  await storedBeforePeopleSearch(id);
  // A dry run meanwhile does not claim "never seen" for a value only older users hold.
  const early = await s.admin.post('/rules/preview', { expression: 'department eq "Archives"' });
  expect(early.body.warnings).toEqual([]);
  await peopleIndexing(s.tenantId);

  expect(await search('archives')).toEqual({ items: [expect.objectContaining({ id })], nextCursor: null });
  expect(await found('old.timer@example.com')).toEqual([id]);
  const tenant = (await tenants().findOne({ _id: s.tenantId } as never)) as { searchTermsVersion?: number; searchTermsClaim?: unknown } | null;
  expect(tenant).toMatchObject({ searchTermsVersion: SEARCH_TERMS_VERSION });
  expect(tenant?.searchTermsClaim).toBeUndefined();
  // The values seen were caught up too: a misspelling is told, with the value older users hold.
  const dryRun = await s.admin.post('/rules/preview', { expression: 'department eq "Archive"' });
  expect(dryRun.body.warnings[0]).toMatchObject({ code: 'VALUE_NEVER_SEEN', suggestions: ['Archives'] });
});

it("a search while another process holds the tenant's claim answers `indexing` and leaves the work to it; an expired claim is taken over where it stopped", async () => {
  const id = await s.user('claimed.user@example.com', { department: 'Vault' });
  await storedBeforePeopleSearch(id, { by: 'another-process', until: new Date(Date.now() + 60_000) });
  expect(await search('vault')).toEqual({ items: [], nextCursor: null, indexing: true });
  expect(peopleIndexing(s.tenantId)).toBeUndefined();

  // The holder died after its first pages (which ended before this user's id): the next search continues from there.
  await tenants().updateOne({ _id: s.tenantId } as never, { $set: { searchTermsClaim: { by: 'another-process', until: new Date(Date.now() - 1000), after: 'usr_' } } });
  expect((await search('vault')).indexing).toBe(true);
  await peopleIndexing(s.tenantId);
  expect(await search('vault')).toEqual({ items: [expect.objectContaining({ id })], nextCursor: null });
});

it('the CLI catches up every tenant not marked, once; a stopped run marks nothing', async () => {
  const id = await s.user('cli.user@example.com', { department: 'Basement' });
  // Held by another process, so no search starts the work here: the CLI does it.
  await storedBeforePeopleSearch(id, { by: 'another-process', until: new Date(Date.now() + 60_000) });
  expect(await backfillSearchTerms(s.runtime.deps.models, silent, () => true)).toEqual({ tenants: 0, users: 0 });
  expect((await tenants().findOne({ _id: s.tenantId } as never)) as { searchTermsVersion?: number } | null).not.toHaveProperty('searchTermsVersion');

  const first = await backfillSearchTerms(s.runtime.deps.models, silent, () => false);
  expect(first.users).toBeGreaterThanOrEqual(1);
  expect(await found('basement')).toEqual([id]);
  // Marked: a second run reads no user of this tenant (a user without terms now stays so until its next write).
  await users().updateOne({ _id: id } as never, { $unset: { 'lc.terms': '' } });
  expect((await backfillSearchTerms(s.runtime.deps.models, silent, () => false)).users).toBe(0);
  expect(await found('basement')).toEqual([]);
});
