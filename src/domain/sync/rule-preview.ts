import { AppError } from '../../errors/app-error';
import { repositoriesOf } from '../../persistence/repositories';
import { walkRuleMatches, type MatchedUser } from './rule-matches';
import { ruleSourceOf, type SyncedRuleDoc } from './rule-records';
import { compileOrThrow, requireRuleTarget } from './rule-validation';
import type { SyncDeps } from './sync-deps';
import { groupAudienceOf, type Audience } from '../groups/user-identity';
import { dryRunWarnings, type DryRunWarning } from '../people/seen-values';
import { resolveRuleGroups } from '../rules';
import { ensurePeopleIndexed } from '../people/search-terms-backfill';

/** A dry run's input, as the admin API's schema reads it (sampleSize a whole number from 0 to MAX_SAMPLE). */
export interface PreviewInput {
  expression: string;
  /** Compare against this group's current members. */
  targetGroupId?: string;
  /** Compare against what this existing rule gave (its source); its target unless targetGroupId is given. */
  ruleId?: string;
  sampleSize?: number;
}

/** A user in a preview sample. */
export interface PreviewUser {
  id: string;
  userName?: string;
  displayName?: string;
}

export interface PreviewSide {
  count: number;
  sample: PreviewUser[];
}

export type PreviewRemoves = PreviewSide & { leavingGroup: number };

export interface RulePreview {
  /** Active users the expression matches (with a target: those of the target's audience only). */
  matched: number;
  sample: PreviewUser[];
  /** Against the target group (absent without one). */
  membership?: {
    targetGroupId: string;
    /** Matching users who are not members now and would be added. */
    adds: PreviewSide;
    /** Users the rule gave membership to (ruleId) who no longer match: they lose the rule's source. */
    removes: PreviewRemoves;
    /** Matching users who are members already (by another source, or by this rule). */
    alreadyMembers: number;
  };
  /**
   * With a target: a rule gives its group's membership only to users of the group's audience
   * (internal users for user groups, customers for customer groups), as a manual add does.
   * `excluded` are users the expression matches whom the audience leaves out.
   */
  audience?: { target: Audience; excluded: PreviewSide; note: string };
  usesGroups: boolean;
  attributes: readonly string[];
  /** A compared value no user was ever given, an IdP group never pushed, no match (src/domain/people/seen-values.ts). */
  warnings: DryRunWarning[];
  durationMs: number;
}

const DEFAULT_SAMPLE = 20;
export const MAX_SAMPLE = 100;
const CHUNK = 1000;

/**
 * Dry run of a rule (POST /admin/v1/rules/preview): streams the matches exactly as a full run
 * would and compares them with the target's current membership. Reads only; writes nothing.
 */
export async function previewRule(deps: SyncDeps, tenantId: string, input: PreviewInput): Promise<RulePreview> {
  const started = Date.now();
  const compiled = compileOrThrow(deps.registry, input.expression);
  const sampleSize = input.sampleSize ?? DEFAULT_SAMPLE;
  let rule: SyncedRuleDoc | undefined;
  if (input.ruleId !== undefined) {
    rule = (await repositoriesOf(deps.models).rules.findOfTenant(tenantId, input.ruleId)) ?? undefined;
    if (!rule || rule.deletedAt) throw new AppError('notFound', 'RULE_NOT_FOUND', `No rule ${input.ruleId}`);
  }
  let targetGroupId: string | undefined;
  let targetAudience: Audience | undefined;
  if (input.targetGroupId !== undefined) {
    const target = await requireRuleTarget(deps.models, tenantId, input.targetGroupId, rule?.kind ?? 'rule');
    targetGroupId = target._id;
    targetAudience = groupAudienceOf(target);
  } else if (rule) {
    targetGroupId = rule.targetGroupId;
    const target = await repositoriesOf(deps.models).groups.findAudience(tenantId, targetGroupId);
    if (target) targetAudience = groupAudienceOf(target);
  }

  const source = rule ? ruleSourceOf(rule) : undefined;
  const members = new Map<string, string[]>();
  if (targetGroupId !== undefined) {
    for await (const m of deps.memberships.membersWithSources(tenantId, targetGroupId)) {
      members.set(m.userId, m.sources);
    }
  }

  const preview: RulePreview = { matched: 0, sample: [], usesGroups: compiled.usesGroups, attributes: compiled.attributes, warnings: [], durationMs: 0 };
  const adds: PreviewSide = { count: 0, sample: [] };
  const excluded: PreviewSide = { count: 0, sample: [] };
  let alreadyMembers = 0;
  const matchedHolders = new Set<string>();
  for await (const chunk of walkRuleMatches(deps, tenantId, compiled, { chunkSize: CHUNK, withNames: true })) {
    for (const matched of chunk.matched) {
      const user = previewUser(matched);
      if (targetAudience !== undefined && matched.audience !== targetAudience) {
        excluded.count++;
        if (excluded.sample.length < sampleSize) excluded.sample.push(user);
        continue;
      }
      preview.matched++;
      if (preview.sample.length < sampleSize) preview.sample.push(user);
      if (targetGroupId === undefined) continue;
      const sources = members.get(user.id);
      if (!sources) {
        adds.count++;
        if (adds.sample.length < sampleSize) adds.sample.push(user);
      } else {
        alreadyMembers++;
        if (source !== undefined && sources.includes(source)) matchedHolders.add(user.id);
      }
    }
  }
  if (targetGroupId !== undefined) {
    const removes: PreviewRemoves = { count: 0, sample: [], leavingGroup: 0 };
    if (source !== undefined) {
      for (const [userId, sources] of members) {
        if (!sources.includes(source) || matchedHolders.has(userId)) continue;
        removes.count++;
        if (sources.length === 1) removes.leavingGroup++;
        if (removes.sample.length < sampleSize) removes.sample.push({ id: userId });
      }
    }
    // The removed sample by name, as the added one (one read for the sample's ids).
    if (removes.sample.length > 0) {
      const named = await repositoriesOf(deps.models).users.attributesOf(
        tenantId,
        removes.sample.map((u) => u.id),
        ['userName', 'displayName'],
      );
      const byId = new Map(named.map((u) => [u._id, u.attrs]));
      removes.sample = removes.sample.map((u) => {
        const attrs = byId.get(u.id);
        const user: PreviewUser = { id: u.id };
        if (typeof attrs?.userName === 'string') user.userName = attrs.userName;
        if (typeof attrs?.displayName === 'string') user.displayName = attrs.displayName;
        return user;
      });
    }
    preview.membership = { targetGroupId, adds, removes, alreadyMembers };
  }
  const groups = compiled.usesGroups ? await resolveRuleGroups(deps.models, tenantId, compiled) : undefined;
  // The values seen of users stored before them are caught up lazily; until then, no "never seen" warning is trusted.
  const complete = await ensurePeopleIndexed(deps.models, tenantId, deps.logger);
  preview.warnings = (await dryRunWarnings(deps.models, tenantId, compiled, groups, preview.matched)).filter((w) => complete || w.code !== 'VALUE_NEVER_SEEN');
  if (targetAudience !== undefined) preview.audience = { target: targetAudience, excluded, note: audienceNote(targetAudience) };
  preview.durationMs = Date.now() - started;
  return preview;
}

/** What a rule's target audience means for who it adds; shown by preview and validate. */
export function audienceNote(audience: Audience): string {
  return audience === 'customer'
    ? 'The target is a customer group: only customers (audience "customer") are added; internal users the expression matches are left out.'
    : 'The target is a user group: only internal users are added; customers (audience "customer") the expression matches are left out.';
}

function previewUser(m: MatchedUser): PreviewUser {
  const user: PreviewUser = { id: m._id };
  if (m.userName !== undefined) user.userName = m.userName;
  if (m.displayName !== undefined) user.displayName = m.displayName;
  return user;
}
