import { searchTermsOf } from '../../attributes/search-terms';
import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';

/** The version of the users' search terms (`lc.terms`); raise it when searchTermsOf changes what it keeps. */
export const SEARCH_TERMS_VERSION = 1;
const PAGE = 500;

interface Log {
  info(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Users stored before people search existed have no `lc.terms`, so the console cannot find them
 * until their next write. `npm run cli -- users backfill-search-terms` runs this once after such an
 * upgrade (not the worker at start: finding the unmarked tenants reads the whole tenants collection,
 * which no hot path may do): for each tenant not yet marked, it pages
 * through the users in id order (index tenantId, _id) and writes the terms of those missing them,
 * each a compare-and-set on the user's version (a concurrent write computed its own), then marks the
 * tenant. Once per tenant; safe to run twice at once (the writes are idempotent). Stops between pages when
 * `shouldStop` says so; a later run continues.
 */
export async function backfillSearchTerms(models: Models, log: Log, shouldStop: () => boolean): Promise<{ tenants: number; users: number }> {
  const repos = repositoriesOf(models);
  const out = { tenants: 0, users: 0 };
  for (const tenantId of await repos.tenants.withoutSearchTerms(SEARCH_TERMS_VERSION)) {
    let after: string | undefined;
    let written = 0;
    for (;;) {
      if (shouldStop()) return out;
      const page = await repos.users.pageForSearchTerms(tenantId, after, PAGE);
      for (const user of page) {
        if (user.lc.terms !== undefined) continue;
        if (await repos.users.setSearchTermsIfVersion(tenantId, user._id, user.version, searchTermsOf(user.attrs))) written++;
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]!._id;
    }
    await repos.tenants.markSearchTerms(tenantId, SEARCH_TERMS_VERSION);
    out.tenants++;
    out.users += written;
    if (written > 0) log.info('search terms written for users stored before people search', { tenantId, users: written });
  }
  return out;
}
