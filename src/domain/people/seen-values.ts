import type { BoundFilter } from '../../expressions/ast';
import { editDistance } from '../../expressions/rule-errors';
import { isSummarised, seenValuesOf } from '../../attributes/seen-values';
import type { StoredAttrs } from '../../attributes/validate';
import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import type { CompiledRule, RuleGroups } from '../rules';

/**
 * "Values seen": per tenant and attribute, every value some user was given (collection
 * attribute_values, one entry per lower-cased value, index tenantId+attr+lc). A dry run checks a
 * rule's `attr eq "value"` against it and suggests the nearest values seen.
 *
 * Why a summary maintained on write: the question "which departments exist" has no index-served
 * answer on the users collection (a distinct over 100,000 users reads them all, and the search-terms
 * index mixes every attribute). The summary holds one entry per distinct value (tens to thousands,
 * not one per user: identifying attributes are left out, see attributes/seen-values.ts), so a check
 * is one index equality and a suggestion reads at most SUGGESTION_READ entries in value order.
 * Writing it costs nothing in the steady state: each process remembers the values it recorded
 * (RECORDED_CACHE entries), and only a value it has not seen costs one upsert that only inserts.
 * A value stays "seen" after the last user holding it changed (the summary is never decremented:
 * counting would need a write on every change and drifts without transactions); the dry run's
 * "matches no one" warning covers that case.
 */
const RECORDED_CACHE = 20_000;
/** Values read at most per suggestion: the attribute's first ones, or that many on each side of the typed value. */
const SUGGESTION_READ = 500;
const MAX_SUGGESTIONS = 3;

const recorded = new Map<string, true>();

/** Records the summarised values of a user just written (awaited with the write's other after-steps). */
export async function recordSeenValues(models: Models, tenantId: string, attrs: StoredAttrs): Promise<void> {
  const fresh = seenValuesOf(attrs).filter((v) => !recorded.has(`${tenantId}\u0000${v.attr}\u0000${v.value.toLowerCase()}`));
  if (fresh.length === 0) return;
  await repositoriesOf(models).attributeValues.record(tenantId, fresh);
  if (recorded.size + fresh.length > RECORDED_CACHE) recorded.clear();
  for (const v of fresh) recorded.set(`${tenantId}\u0000${v.attr}\u0000${v.value.toLowerCase()}`, true);
}

/** Records the summarised values of many users (a catch-up's page) in one write. */
export async function recordSeenValuesOfMany(models: Models, tenantId: string, attrsOfUsers: readonly StoredAttrs[]): Promise<void> {
  const fresh = new Map<string, { attr: string; value: string }>();
  for (const attrs of attrsOfUsers) {
    for (const v of seenValuesOf(attrs)) {
      const key = `${tenantId}\u0000${v.attr}\u0000${v.value.toLowerCase()}`;
      if (!recorded.has(key)) fresh.set(key, v);
    }
  }
  if (fresh.size === 0) return;
  await repositoriesOf(models).attributeValues.record(tenantId, [...fresh.values()]);
  if (recorded.size + fresh.size > RECORDED_CACHE) recorded.clear();
  for (const key of fresh.keys()) recorded.set(key, true);
}

/** Forgets what this process recorded (tests that drop the database). */
export function forgetRecordedValues(): void {
  recorded.clear();
}

export interface DryRunWarning {
  code: 'VALUE_NEVER_SEEN' | 'IDP_GROUP_UNKNOWN' | 'MATCHES_NO_ONE';
  message: string;
  /** The attribute as written in the rule (VALUE_NEVER_SEEN). */
  attribute?: string;
  /** The value, or the IdP group name, as written. */
  value?: string;
  /** The nearest values seen (or IdP group names pushed), nearest first. */
  suggestions: string[];
}

interface Comparison {
  path: string;
  attr: string;
  value: string;
}

/** The `eq` comparisons with a string on a summarised attribute, outside any `not`. */
function comparisonsOf(node: BoundFilter, out: Comparison[], negated = false): Comparison[] {
  switch (node.kind) {
    case 'compare': {
      const attr = node.target.attribute.mongoPath.replace(/^attrs\./, '');
      if (!negated && node.op === 'eq' && node.operand.type === 'string' && isSummarised(attr)) out.push({ path: node.target.path, attr, value: node.operand.value });
      return out;
    }
    case 'and':
    case 'or':
      node.children.forEach((c) => comparisonsOf(c, out, negated));
      return out;
    case 'not':
      return comparisonsOf(node.child, out, !negated);
    case 'valuePath':
      return comparisonsOf(node.filter, out, negated);
    default:
      return out;
  }
}

/** The nearest candidates to `value` (edit distance within a third of its length, at least 2; or one containing the other). */
export function nearest(value: string, candidates: readonly string[]): string[] {
  const lower = value.toLowerCase();
  const limit = Math.max(2, Math.floor(value.length / 3));
  const scored: { candidate: string; distance: number }[] = [];
  for (const candidate of new Set(candidates)) {
    const c = candidate.toLowerCase();
    if (c === lower) continue;
    const distance = Math.abs(c.length - lower.length) > limit ? limit + 1 : editDistance(lower, c);
    const contains = lower.length >= 3 && (c.includes(lower) || lower.includes(c));
    if (distance <= limit || contains) scored.push({ candidate, distance: contains ? Math.min(distance, limit) : distance });
  }
  scored.sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate));
  return scored.slice(0, MAX_SUGGESTIONS).map((s) => s.candidate);
}

async function suggestedValues(models: Models, tenantId: string, attr: string, value: string): Promise<string[]> {
  const repo = repositoriesOf(models).attributeValues;
  const first = await repo.run(tenantId, attr, {}, SUGGESTION_READ);
  if (first.length < SUGGESTION_READ) return nearest(value, first);
  // More values than one read: those around the typed value in value order (a slip after the first letters).
  const lower = value.toLowerCase();
  const [after, before] = await Promise.all([repo.run(tenantId, attr, { from: lower }, SUGGESTION_READ), repo.run(tenantId, attr, { before: lower }, SUGGESTION_READ)]);
  return nearest(value, [...before, ...after]);
}

const quoted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ');

/**
 * What a dry run warns about: a compared value no user of the tenant was ever given (with the
 * nearest values seen), an IdP group never pushed (with the nearest group names), and a rule that
 * matches no one.
 */
export async function dryRunWarnings(models: Models, tenantId: string, rule: CompiledRule, groups: RuleGroups | undefined, matched: number): Promise<DryRunWarning[]> {
  const warnings: DryRunWarning[] = [];
  const byAttr = new Map<string, Comparison[]>();
  for (const c of comparisonsOf(rule.bound, [])) byAttr.set(c.attr, [...(byAttr.get(c.attr) ?? []), c]);
  const repo = repositoriesOf(models).attributeValues;
  for (const [attr, comparisons] of byAttr) {
    const seen = await repo.seen(
      tenantId,
      attr,
      comparisons.map((c) => c.value.toLowerCase()),
    );
    for (const c of comparisons) {
      if (seen.has(c.value.toLowerCase())) continue;
      const suggestions = await suggestedValues(models, tenantId, attr, c.value);
      warnings.push({
        code: 'VALUE_NEVER_SEEN',
        message: `No user has ${c.path} "${c.value}".${suggestions.length ? ` Values seen: ${quoted(suggestions)}.` : ''}`,
        attribute: c.path,
        value: c.value,
        suggestions,
      });
    }
  }
  const unknownGroups = rule.groupNames.filter((name) => (groups?.groupIdsByName.get(name) ?? []).length === 0);
  if (unknownGroups.length > 0) {
    const names = await repositoriesOf(models).groups.idpGroupNames(tenantId, SUGGESTION_READ);
    for (const name of unknownGroups) {
      const suggestions = nearest(name, names);
      warnings.push({
        code: 'IDP_GROUP_UNKNOWN',
        message: `No IdP group named "${name}" has been pushed (push it from the IdP: Okta's Push Groups tab, or assign it in Entra).${suggestions.length ? ` Did you mean ${quoted(suggestions)}?` : ''}`,
        value: name,
        suggestions,
      });
    }
  }
  if (matched === 0) warnings.push({ code: 'MATCHES_NO_ONE', message: 'This matches no one today.', suggestions: [] });
  return warnings;
}
