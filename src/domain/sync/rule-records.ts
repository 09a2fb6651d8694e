import type { RuleDoc, SyncMark } from '../../persistence/models';

/**
 * What the sync engine keeps on a rule document besides the fields the admin API edits
 * (RuleDoc). The rule carries its own outbox mark, like users and groups (DESIGN.md §5):
 * `sync.version` counts requested evaluations (every edit, and every reconcile request), so a
 * full run acknowledges exactly the request it served and a newer one supersedes it.
 */
export type RuleKind = 'rule' | 'mapping' | 'dynamic';

/** Result of the last finished full run, shown by GET /admin/v1/sync/status. */
export type RuleRunResult = {
  version: number;
  outcome: 'completed' | 'removed' | 'targetMissing';
  matched: number;
  added: number;
  removed: number;
  durationMs: number;
  startedAt: Date;
  finishedAt: Date;
};

/** Where a full run stands, persisted after every chunk so a restarted worker resumes there. */
export type RuleProgress = {
  version: number;
  /** Users are walked in `_id` order: everything up to and including `after` is done. */
  after?: string;
  /** Stale targets (groups the rule no longer points at) are cleaned before the walk. */
  staleTargetsDone: boolean;
  matched: number;
  added: number;
  removed: number;
  startedAt: Date;
};

export interface SyncedRuleDoc extends RuleDoc {
  sync: SyncMark;
  /** 'mapping' is an SSO attribute mapping (sugar over a rule testing `groups`); 'dynamic' is a dynamic group's own rule. */
  kind?: RuleKind;
  /** For mappings: the IdP group the mapping names. */
  idpGroup?: string;
  /** Groups the rule pointed at before its target changed; the next run removes its source there. */
  staleTargets?: string[];
  /** Tombstone: the rule is deleted once its run has removed every membership it gave. */
  deletedAt?: Date;
  progress?: RuleProgress;
  lastRun?: RuleRunResult;
  createdBy?: string;
}

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
