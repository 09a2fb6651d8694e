import type { Models, UserDoc } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import type { Logger } from '../../observability/logger';
import type { SchemaRegistry } from '../../attributes/registry';
import { compileRule, resolveRuleGroups, rulePredicate, ruleSubject, type CompiledRule, type RuleGroups, type RuleSubject } from '../rules';
import { DYNAMIC_SOURCE, isActiveRule, ruleSourceOf, type SyncedRuleDoc } from './rule-records';
import { groupAudienceOf, type Audience } from '../groups/user-identity';
import { readRuleSetVersion } from './rule-set-version';

/** One enabled rule of a tenant, compiled and ready to test users. */
export interface ActiveRule {
  rule: SyncedRuleDoc;
  /** `rule:<id>`, or `dynamic` for a dynamic group's rule. */
  source: string;
  compiled: CompiledRule;
  /** The target group's audience: only users of that audience are given membership (DESIGN §2). */
  audience: Audience;
  matches(subject: RuleSubject): boolean;
}

/**
 * Every rule of a tenant as the worker sees it at one rule-set version: the active ones compiled,
 * and which (group, source) pairs the set decides about. A source the set does not know (a rule
 * created after it was loaded) is left alone, so a worker with a stale set never undoes a newer
 * rule's work; it only acts on rules it has read.
 */
export interface RuleSet {
  tenantId: string;
  version: number;
  /** Enabled, compiled rules whose target group exists, by priority then id. */
  active: readonly ActiveRule[];
  usesGroups: boolean;
  /** Lower-cased IdP group names (displayName or externalId) the active rules test. */
  groupNames: ReadonlySet<string>;
  /** Whether a rule-derived `source` on `groupId` belongs to a rule of this set (active or not). */
  owns(groupId: string, source: string): boolean;
  /** The rule that decides `source` on `groupId` (audit actor for removals). */
  ruleIdFor(groupId: string, source: string): string | undefined;
}

/** Upper bound of tenants whose compiled rules one worker keeps. */
const MAX_TENANTS = 500;

/**
 * Compiled rules per tenant, keyed by the tenant's rule-set version (rule-set-version.ts): one
 * `_id` read per evaluation tells whether the cached set is current; only a change recompiles.
 * A stored rule that no longer compiles (say the schema lost an attribute) is logged and left
 * out of `owns`, so its memberships stay as they are rather than being removed by mistake.
 */
export class RuleSetCache {
  private readonly sets = new Map<string, RuleSet>();

  constructor(
    private readonly models: Models,
    private readonly registry: SchemaRegistry,
    private readonly logger: Logger,
  ) {}

  /** The current rule set, or null when the tenant does not exist. */
  async get(tenantId: string): Promise<RuleSet | null> {
    const version = await readRuleSetVersion(this.models, tenantId);
    if (version === null) return null;
    const cached = this.sets.get(tenantId);
    if (cached && cached.version === version) {
      // Least recently used last.
      this.sets.delete(tenantId);
      this.sets.set(tenantId, cached);
      return cached;
    }
    const set = await this.load(tenantId, version);
    this.sets.delete(tenantId);
    this.sets.set(tenantId, set);
    while (this.sets.size > MAX_TENANTS) this.sets.delete(this.sets.keys().next().value as string);
    return set;
  }

  /** Compiles one rule for a full run or a preview (no cache: those are rare and long). */
  compile(expression: string): CompiledRule {
    return compileRule(this.registry.view('User'), expression);
  }

  private async load(tenantId: string, version: number): Promise<RuleSet> {
    const rules = await repositoriesOf(this.models).rules.allOfTenant(tenantId);
    rules.sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0) || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
    const targets = [...new Set(rules.filter(isActiveRule).map((r) => r.targetGroupId))];
    const existing = new Map<string, Audience>();
    if (targets.length > 0) {
      const groups = await repositoriesOf(this.models).groups.audiencesOf(tenantId, targets);
      for (const g of groups) existing.set(g._id, groupAudienceOf(g));
    }

    const view = this.registry.view('User');
    const compiled: { rule: SyncedRuleDoc; compiled: CompiledRule; audience: Audience }[] = [];
    const owned = new Map<string, string>();
    const ruleIds = new Map<string, string>();
    for (const rule of rules) {
      if (isActiveRule(rule)) {
        let c: CompiledRule;
        try {
          c = compileRule(view, rule.expression);
        } catch (err) {
          this.logger.error('stored rule does not compile; its memberships are left as they are', { tenantId, ruleId: rule._id, err });
          continue;
        }
        const audience = existing.get(rule.targetGroupId);
        if (audience !== undefined) compiled.push({ rule, compiled: c, audience });
      }
      if (rule.kind === 'dynamic') owned.set(`${rule.targetGroupId}\t${DYNAMIC_SOURCE}`, rule._id);
      else ruleIds.set(ruleSourceOf(rule), rule._id);
    }

    const usesGroups = compiled.some((c) => c.compiled.usesGroups);
    let groups: RuleGroups | undefined;
    if (usesGroups)
      groups = await resolveRuleGroups(
        this.models,
        tenantId,
        compiled.map((c) => c.compiled),
      );
    const active: ActiveRule[] = compiled.map(({ rule, compiled: c, audience }) => {
      const predicate = rulePredicate(c, { tenantId, groups });
      return { rule, source: ruleSourceOf(rule), compiled: c, audience, matches: predicate };
    });
    const ruleIdFor = (groupId: string, source: string) => (source === DYNAMIC_SOURCE ? owned.get(`${groupId}\t${source}`) : ruleIds.get(source));
    return {
      tenantId,
      version,
      active,
      usesGroups,
      groupNames: new Set(compiled.flatMap((c) => c.compiled.groupNames)),
      owns: (groupId, source) => ruleIdFor(groupId, source) !== undefined,
      ruleIdFor,
    };
  }
}

/** The subject a rule predicate tests: the user's SCIM JSON (with id and meta dates) and IdP group ids. */
export function subjectOf(registry: SchemaRegistry, user: Pick<UserDoc, '_id' | 'attrs' | 'createdAt' | 'updatedAt'>, idpGroupIds: ReadonlySet<string>): RuleSubject {
  const scim = registry.toScim('User', user.attrs);
  scim.id = user._id;
  scim.meta = {
    resourceType: 'User',
    created: user.createdAt instanceof Date ? user.createdAt.toISOString() : undefined,
    lastModified: user.updatedAt instanceof Date ? user.updatedAt.toISOString() : undefined,
  };
  return ruleSubject(scim, idpGroupIds);
}
