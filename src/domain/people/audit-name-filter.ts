import { queryTerms } from '../../attributes/search-terms';
import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';

/**
 * The audit log filtered by what a person knows: "Noah Rossi", noah.rossi@acme.example, the group
 * "Engineering", the token "Okta production", the rule "Eng by department", instead of
 * `usr_…`/`grp_…`/`tok_…`/`rul_…` ids. A name becomes ids first, each kind by an index-served read
 * (users by their search terms, see attributes/search-terms.ts; groups by lc.displayName; the
 * tenant's few tokens and rules by their label and name), then the audit log is read by those ids
 * on its (tenantId, actor.id, at), (tenantId, object.id, at) and (tenantId, after.userId, at) indexes.
 */
export interface NamedThing {
  id: string;
  kind: 'user' | 'group' | 'token' | 'rule';
  name: string;
}

/** At most this many things one name may stand for (a common first name): beyond, narrow the name. */
export const MAX_NAMED = 50;

const ID_KINDS: Record<string, NamedThing['kind']> = { usr: 'user', grp: 'group', tok: 'token', rul: 'rule' };

export async function thingsNamed(models: Models, tenantId: string, text: string): Promise<NamedThing[]> {
  const name = text.trim();
  const idKind = /^([a-z]{3})_[A-Za-z0-9_-]+$/.exec(name)?.[1];
  if (idKind !== undefined && ID_KINDS[idKind]) return [{ id: name, kind: ID_KINDS[idKind], name }];
  const lower = name.toLowerCase();
  const repos = repositoriesOf(models);
  const terms = queryTerms(name);
  const [users, groups, tokens, rules] = await Promise.all([
    terms.length ? repos.users.pageMatching(tenantId, { terms }, MAX_NAMED) : [],
    repos.groups.idsNamed(tenantId, name),
    repos.scimTokens.listOfTenant(tenantId),
    repos.rules.liveOfTenant(tenantId),
  ]);
  const out: NamedThing[] = [];
  for (const u of users) out.push({ id: u._id, kind: 'user', name: typeof u.attrs.displayName === 'string' ? u.attrs.displayName : String(u.attrs.userName) });
  for (const g of groups) out.push({ id: g._id, kind: 'group', name: String(g.attrs.displayName) });
  // A token may have no label (stored as null when created with `label: null`): match only text.
  for (const t of tokens) if (typeof t.label === 'string' && t.label.toLowerCase() === lower) out.push({ id: t.tokenId, kind: 'token', name: t.label });
  for (const r of rules) if (typeof r.name === 'string' && r.name.toLowerCase() === lower) out.push({ id: r._id, kind: 'rule', name: r.name });
  return out.slice(0, MAX_NAMED);
}
