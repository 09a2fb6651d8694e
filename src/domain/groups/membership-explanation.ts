import { textValue } from '../../attributes/text-value';
import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { DYNAMIC_SOURCE, dynamicRuleIdFor } from '../sync/rule-records';
import { AUTOMATIC_SOURCE } from './memberships-of-user';
import { IMPORT_SOURCE, MANUAL_SOURCE } from './membership-sources';

/**
 * "Why is this user in this group" (product doc 001, troubleshooting): each membership source read
 * as a sentence, with the rule behind a rule-given one (its name, kind and expression), so nobody
 * has to look `rule:rul_x` up. Two reads whatever the number of memberships: the groups and the
 * rules named, by `_id`.
 */
export interface SourceExplanation {
  source: string;
  kind: 'scim' | 'manual' | 'import' | 'owner' | 'rule' | 'mapping' | 'dynamic' | 'automatic' | 'unknown';
  description: string;
  rule?: { id: string; name: string; expression: string; enabled: boolean };
}

export interface ExplainedMembership {
  groupId: string;
  sources: string[];
}

const FIXED: Record<string, Pick<SourceExplanation, 'kind' | 'description'>> = {
  scim: { kind: 'scim', description: 'pushed by the identity provider (SCIM group membership)' },
  [MANUAL_SOURCE]: { kind: 'manual', description: 'added through the admin API (a member add or an invitation)' },
  [IMPORT_SOURCE]: { kind: 'import', description: 'added by a CSV import' },
  owner: { kind: 'owner', description: 'the owner of the group' },
  [AUTOMATIC_SOURCE]: { kind: 'automatic', description: 'every active user of this audience belongs to this default group' },
};

function ruleIdOf(groupId: string, source: string): string | undefined {
  if (source === DYNAMIC_SOURCE) return dynamicRuleIdFor(groupId);
  return source.startsWith('rule:') ? source.slice('rule:'.length) : undefined;
}

/** The memberships with `groupName` and `why` (one explanation per source) added. */
export async function explainMemberships<M extends ExplainedMembership>(
  models: Models,
  tenantId: string,
  memberships: readonly M[],
): Promise<(M & { groupName: string | null; why: SourceExplanation[] })[]> {
  const groupIds = [...new Set(memberships.map((m) => m.groupId))];
  const ruleIds = [...new Set(memberships.flatMap((m) => m.sources.map((s) => ruleIdOf(m.groupId, s)).filter((id): id is string => id !== undefined)))];
  const [groups, rules] = await Promise.all([
    groupIds.length ? repositoriesOf(models).groups.attributesOf(tenantId, groupIds, ['displayName']) : [],
    ruleIds.length ? repositoriesOf(models).rules.summariesOf(tenantId, ruleIds) : [],
  ]);
  const groupName = new Map(groups.map((g) => [g._id, textValue(g.attrs?.displayName)]));
  const ruleById = new Map(rules.map((r) => [r._id, r]));
  const explain = (groupId: string, source: string): SourceExplanation => {
    const fixed = FIXED[source];
    if (fixed) return { source, ...fixed };
    const ruleId = ruleIdOf(groupId, source);
    if (ruleId === undefined) return { source, kind: 'unknown', description: 'a source this version does not describe' };
    const rule = ruleById.get(ruleId);
    const kind = source === DYNAMIC_SOURCE ? 'dynamic' : rule?.kind === 'mapping' ? 'mapping' : 'rule';
    if (!rule) return { source, kind, description: `rule ${ruleId}, which no longer exists (the worker removes what it gave)` };
    const what = kind === 'dynamic' ? "the dynamic group's rule" : kind === 'mapping' ? `SSO mapping "${rule.name}"` : `auto-assignment rule "${rule.name}"`;
    return {
      source,
      kind,
      description: `matches ${what}: ${rule.expression}`,
      rule: { id: rule._id, name: rule.name, expression: rule.expression, enabled: rule.enabled },
    };
  };
  return memberships.map((m) => ({ ...m, groupName: groupName.get(m.groupId) ?? null, why: m.sources.map((s) => explain(m.groupId, s)) }));
}
