import type { UserChangeTrigger } from '../../queue/jobs';
import { IDP_MEMBERSHIP_SOURCE } from '../rules';
import { audienceOf } from '../groups/user-identity';
import { dropMembershipsOutsideAudience } from './audience-cleanup';
import { applySourceChanges, type SourceChange } from './membership-changes';
import { isRuleDerivedSource } from './rule-records';
import { subjectOf, type RuleSet } from './rule-set';
import type { SyncDeps } from './sync-deps';
import { evaluationReadsOf, type MembershipSnapshot } from './evaluation-reads';
import { triggerForAudit } from './user-change-trigger';

export type UserEvaluation =
  | { outcome: 'tenantGone' }
  /** The user was deleted: whatever memberships were left are gone now. */
  | { outcome: 'userGone'; removed: number }
  | {
      outcome: 'evaluated';
      /** The user's sync mark version that was read with the attributes evaluated. */
      syncVersion: number;
      ruleSetVersion: number;
      added: number;
      removed: number;
      matchedRules: number;
    };

const key = (groupId: string, source: string) => `${groupId}\t${source}`;

/**
 * Evaluates every enabled rule of the tenant for one user and makes the user's rule-derived
 * memberships exactly what the rules say: adds the source of each rule the user matches, removes
 * the source of each rule (of this rule set) the user no longer matches. Deactivated users
 * (`active: false`) match nothing, so they lose every rule-derived membership and regain them on
 * reactivation. Other sources (scim, manual, import) are never touched. Reads the current
 * document, never a job's snapshot, so re-running it is harmless (idempotent).
 */
export async function evaluateUser(deps: SyncDeps, tenantId: string, userId: string, trigger?: UserChangeTrigger): Promise<UserEvaluation> {
  const reads = evaluationReadsOf(deps.models);
  // Three independent reads at once, each shared with the jobs evaluating at the same time.
  const [ruleSet, user, memberships] = await Promise.all([deps.ruleSets.get(tenantId), reads.users.one({ tenantId, userId }), reads.memberships.one({ tenantId, userId })]);
  if (!ruleSet) return { outcome: 'tenantGone' };
  if (!user) {
    // Ownerships and administrator entries go with the deletion's recorded steps (recovery/pending-changes).
    return removeLeftovers(deps, tenantId, userId, memberships, ruleSet);
  }

  const idpGroupIds = new Set(memberships.filter((m) => m.sources.includes(IDP_MEMBERSHIP_SOURCE)).map((m) => m.groupId));
  const desired = new Map<string, { groupId: string; source: string; ruleId: string }>();
  if (user.attrs.active !== false) {
    const subject = subjectOf(deps.registry, user, idpGroupIds);
    const audience = audienceOf(user);
    for (const rule of ruleSet.active) {
      // A rule gives membership only to users of its target group's audience, as a manual add does.
      if (rule.audience === audience && rule.matches(subject)) desired.set(key(rule.rule.targetGroupId, rule.source), { groupId: rule.rule.targetGroupId, source: rule.source, ruleId: rule.rule._id });
    }
  }
  const current = new Set<string>();
  const changes = new Map<string, SourceChange & { add: string[]; remove: string[] }>();
  const changeFor = (groupId: string, source: string, ruleId: string) => {
    const k = key(groupId, source);
    let change = changes.get(k);
    if (!change) changes.set(k, (change = { groupId, source, ruleId, add: [], remove: [] }));
    return change;
  };
  for (const m of memberships) {
    for (const source of m.sources) {
      if (!isRuleDerivedSource(source)) continue;
      const ruleId = ruleSet.ruleIdFor(m.groupId, source);
      if (ruleId === undefined) continue; // a rule this set does not know: not ours to judge
      current.add(key(m.groupId, source));
      if (!desired.has(key(m.groupId, source))) changeFor(m.groupId, source, ruleId).remove.push(userId);
    }
  }
  for (const [k, want] of desired) {
    if (!current.has(k)) changeFor(want.groupId, want.source, want.ruleId).add.push(userId);
  }
  if (changes.size > 0) {
    const expressions = new Map(ruleSet.active.map((r) => [r.rule._id, r.rule.expression]));
    // The change that enqueued this job, carried by it: no read of the audit history per user.
    const cause = trigger ? triggerForAudit(trigger) : undefined;
    for (const change of changes.values()) {
      const expression = expressions.get(change.ruleId);
      if (expression !== undefined) change.expression = expression;
      if (cause) change.trigger = cause;
    }
  }
  const totals = await applySourceChanges(deps, tenantId, [...changes.values()]);
  totals.removed += await dropMembershipsOutsideAudience(deps, tenantId, user, memberships);
  return {
    outcome: 'evaluated',
    syncVersion: user.sync?.version ?? 0,
    ruleSetVersion: ruleSet.version,
    added: totals.added,
    removed: totals.removed,
    matchedRules: desired.size,
  };
}

/**
 * The user is gone. The API removes a deleted user's memberships right after the delete; this
 * repeats it for the case where the API died in between. Rule-derived ones are audited as
 * removals by their rule; the rest go silently (the deletion itself is audited by the API).
 */
async function removeLeftovers(deps: SyncDeps, tenantId: string, userId: string, memberships: MembershipSnapshot[], ruleSet: RuleSet): Promise<UserEvaluation> {
  if (memberships.length === 0) return { outcome: 'userGone', removed: 0 };
  const changes: SourceChange[] = [];
  for (const m of memberships) {
    for (const source of m.sources) {
      const ruleId = isRuleDerivedSource(source) ? ruleSet.ruleIdFor(m.groupId, source) : undefined;
      if (ruleId !== undefined) changes.push({ groupId: m.groupId, source, ruleId, add: [], remove: [userId] });
    }
  }
  const totals = await applySourceChanges(deps, tenantId, changes);
  await deps.memberships.removeAllForUser(tenantId, userId);
  return { outcome: 'userGone', removed: totals.removed };
}
