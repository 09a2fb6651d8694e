import type { SyncedRuleDoc } from '../../persistence/models';

// The stored shape of a rule lives with the models; the sync engine's names for it stay here.
export type { RuleKind, RuleProgress, RuleRunResult, SyncedRuleDoc } from '../../persistence/models';

/** The membership source a rule writes: `rule:<id>`, or `dynamic` for a dynamic group's own rule (DESIGN.md §2). */
export function ruleSourceOf(rule: Pick<SyncedRuleDoc, '_id' | 'kind'>): string {
  return rule.kind === 'dynamic' ? DYNAMIC_SOURCE : `rule:${rule._id}`;
}

export const DYNAMIC_SOURCE = 'dynamic';

/** Sources only the sync engine writes and removes. */
export function isRuleDerivedSource(source: string): boolean {
  return source === DYNAMIC_SOURCE || source.startsWith('rule:');
}

/** A dynamic group's rule has a fixed id derived from the group, so there is at most one per group. */
export function dynamicRuleIdFor(groupId: string): string {
  return `dyn_${groupId}`;
}

/** A rule takes part in evaluation only while enabled and not deleted. */
export function isActiveRule(rule: Pick<SyncedRuleDoc, 'enabled' | 'deletedAt'>): boolean {
  return rule.enabled && !rule.deletedAt;
}
