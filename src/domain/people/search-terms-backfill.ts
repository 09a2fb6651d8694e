import { randomBytes } from 'node:crypto';
import { searchTermsOf } from '../../attributes/search-terms';
import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { recordSeenValuesOfMany } from './seen-values';

/**
 * The version of what people search and dry runs derive from every user: their search terms
 * (`lc.terms`) and, from 2 on, the tenant's values seen (seen-values.ts). Raise it when either
 * changes what it keeps; tenants created at this version have nothing to catch up.
 */
export const SEARCH_TERMS_VERSION = 2;
const PAGE = 500;
/** How long a claim on a tenant's catch-up lasts without being renewed (each page renews it). */
const CLAIM_MS = 60_000;

interface Log {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn?(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Catches up one tenant's users stored before people search (or before the values seen): pages
 * through them in id order (index tenantId, _id), writes the search terms of those missing them,
 * each a compare-and-set on the user's version (a concurrent write computed its own), records
 * their values seen, then marks the tenant. `progress` is told how far it got after each page
 * (false: stop). Idempotent: running it twice, or two at once, writes the same.
 */
async function catchUpTenant(models: Models, tenantId: string, from: string | undefined, progress: (after: string) => Promise<boolean>): Promise<{ users: number; finished: boolean }> {
  const repos = repositoriesOf(models);
  let after = from;
  let written = 0;
  for (;;) {
    const page = await repos.users.pageForSearchTerms(tenantId, after, PAGE);
    for (const user of page) {
      if (user.lc.terms !== undefined) continue;
      if (await repos.users.setSearchTermsIfVersion(tenantId, user._id, user.version, searchTermsOf(user.attrs))) written++;
    }
    await recordSeenValuesOfMany(
      models,
      tenantId,
      page.map((u) => u.attrs),
    );
    if (page.length < PAGE) break;
    after = page[page.length - 1]!._id;
    if (!(await progress(after))) return { users: written, finished: false };
  }
  await repos.tenants.markSearchTerms(tenantId, SEARCH_TERMS_VERSION);
  return { users: written, finished: true };
}

/**
 * `npm run cli -- users backfill-search-terms`: catches up every tenant not yet marked, at once
 * (optional since people search does it lazily per tenant, see ensurePeopleIndexed; finding the
 * unmarked tenants reads the whole tenants collection, which no hot path may do). Stops between
 * pages when `shouldStop` says so; a later run continues.
 */
export async function backfillSearchTerms(models: Models, log: Log, shouldStop: () => boolean): Promise<{ tenants: number; users: number }> {
  const repos = repositoriesOf(models);
  const out = { tenants: 0, users: 0 };
  for (const tenantId of await repos.tenants.withoutSearchTerms(SEARCH_TERMS_VERSION)) {
    if (shouldStop()) return out;
    const result = await catchUpTenant(models, tenantId, undefined, () => Promise.resolve(!shouldStop()));
    if (!result.finished) return out;
    out.tenants++;
    out.users += result.users;
    if (result.users > 0) log.info('search terms written for users stored before people search', { tenantId, users: result.users });
  }
  return out;
}

const upToDate = new Set<string>();
const running = new Map<string, Promise<void>>();
const PROCESS_ID = `${process.pid}-${randomBytes(4).toString('hex')}`;

/**
 * Whether the tenant's users are all findable by people search and counted in the values seen.
 * If not, starts catching them up in the background (not awaited: a search answers at once, with
 * what is findable so far) after taking the tenant's claim with a compare-and-set, so one process
 * does the work; a claim left by a process that died expires after CLAIM_MS and the next search
 * continues where it stopped. Called on people search and dry runs: no start-up scan of tenants,
 * and a tenant nobody searches costs nothing. One read of the tenant by id until it is marked, then
 * none (remembered per process).
 */
export async function ensurePeopleIndexed(models: Models, tenantId: string, log: Log): Promise<boolean> {
  if (upToDate.has(tenantId)) return true;
  const repos = repositoriesOf(models);
  const state = await repos.tenants.searchTermsState(tenantId);
  if (!state || state.searchTermsVersion === SEARCH_TERMS_VERSION) {
    upToDate.add(tenantId);
    return true;
  }
  if (running.has(tenantId)) return false;
  const claim = await repos.tenants.claimSearchTerms(tenantId, SEARCH_TERMS_VERSION, PROCESS_ID, new Date(Date.now() + CLAIM_MS));
  if (!claim) return false;
  const work = catchUpTenant(models, tenantId, claim.after, (after) => repos.tenants.renewSearchTermsClaim(tenantId, PROCESS_ID, new Date(Date.now() + CLAIM_MS), after))
    .then((result) => {
      if (result.finished) upToDate.add(tenantId);
      if (result.users > 0) log.info('search terms written for users stored before people search', { tenantId, users: result.users });
    })
    .catch((err: unknown) => (log.warn ?? log.info)('catching up people search failed; the next search retries once the claim expires', { tenantId, error: (err as Error).message }))
    .finally(() => running.delete(tenantId));
  running.set(tenantId, work);
  return false;
}

/** The catch-up this process runs for the tenant, if any (tests wait for it). */
export function peopleIndexing(tenantId: string): Promise<void> | undefined {
  return running.get(tenantId);
}

/** Forgets which tenants this process knows to be up to date (tests that rewind a tenant). */
export function forgetPeopleIndexed(): void {
  upToDate.clear();
}
