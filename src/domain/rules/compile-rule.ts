import { isAppError } from '../../errors/app-error';
import type { BoundFilter, FilterNode } from '../../expressions/ast';
import { bindFilter, bindValueFilter } from '../../expressions/bind-filter';
import { isStoredPath, mongoFilterFor } from '../../expressions/compile-mongo';
import { predicateWith } from '../../expressions/compile-predicate';
import type { ResolvedAttribute, SchemaView } from '../../attributes/types';
import { parseRule, type ParsedRule, type RuleSyntax } from '../../expressions/parse-rule';
import type { LeafSource } from '../../expressions/product-parser';
import { ruleAttributeNames } from '../../expressions/rule-attributes';
import { RULE_TYPE, RULE_UNKNOWN_ATTRIBUTE, didYouMean, ruleError } from '../../expressions/rule-errors';
import type { RuleGroups } from './rule-groups';
import { ruleSubjectReader, type RuleSubject } from './rule-subject';
import { compileSafeRegex, SafeRegexError } from '../../expressions/safe-regex';

/** How rules compile `attr.matches('…')`: the linear-time subset, ignoring case where the attribute does. */
const RULE_BIND_OPTIONS = { idpGroups: true, regex: (pattern: string, ignoreCase: boolean) => compileSafeRegex(pattern, { ignoreCase }) } as const;

/** A rule parsed, checked against the User schema and bound once; evaluated many times. */
export interface CompiledRule {
  readonly text: string;
  readonly syntax: RuleSyntax;
  /** The AST, as parseRuleExpression returns it. */
  readonly node: FilterNode;
  /** The AST with every path resolved and every value converted (what the compilers take). */
  readonly bound: BoundFilter;
  /**
   * The attributes the rule reads, as canonical SCIM paths: core `title`, `emails.value`,
   * extension `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`, and
   * `groups` for IdP groups. A change to none of them cannot change the rule's outcome.
   */
  readonly attributes: readonly string[];
  /** Whether the rule tests IdP groups (then it needs resolveRuleGroups before evaluating). */
  readonly usesGroups: boolean;
  /** The group displayNames/externalIds the rule tests, lower-cased and deduplicated. */
  readonly groupNames: readonly string[];
}

/** What evaluating a rule needs besides the rule: the tenant and, for `groups`, its resolution. */
export interface RuleContext {
  tenantId: string;
  /** From resolveRuleGroups; required when the rule usesGroups (with members for ruleMongoQuery). */
  groups?: RuleGroups;
}

export interface RuleMongoQuery {
  /** A query on the users collection, scoped to the tenant. */
  query: Record<string, unknown>;
  /** False when the query only narrows: the caller must finish with rulePredicate. */
  exact: boolean;
}

/**
 * Above this many member ids in one query, a `groups` test is not sent as `_id: {$in: …}` (the
 * query document would approach MongoDB's 16 MB limit); the query then narrows instead.
 */
export const MAX_MEMBER_IDS_IN_QUERY = 200_000;

/**
 * Parses (either syntax, see parseRule), checks and binds a rule against a User SchemaView
 * (`loadSchemaRegistry().view('User')`). Errors are 400s with a position: RULE_SYNTAX,
 * RULE_UNKNOWN_ATTRIBUTE (with a "did you mean" hint) or RULE_TYPE (a value or operator that
 * does not fit the attribute's type, e.g. `active = "yes"`).
 */
export function compileRule(view: SchemaView, text: string): CompiledRule {
  const parsed = parseRule(text);
  checkLeaves(parsed.node, parsed, view);
  let bound: BoundFilter;
  try {
    bound = bindFilter(view, parsed.node, RULE_BIND_OPTIONS);
  } catch (err) {
    // Every leaf bound above, so this is not expected; still answer with a rule error.
    throw translateBindError(err, parsed, { writtenPath: '', pathOffset: 0 }, []);
  }
  const attributes = new Set<string>();
  const groupNames = new Set<string>();
  collect(bound, attributes, groupNames);
  return {
    text,
    syntax: parsed.syntax,
    node: parsed.node,
    bound,
    attributes: [...attributes].sort(),
    usesGroups: groupNames.size > 0,
    groupNames: [...groupNames],
  };
}

/**
 * The MongoDB query selecting the tenant's users that match: for streaming every match of a rule.
 * `groups` tests become `_id: {$in: <the groups' SCIM member ids>}`, so a rule that usesGroups
 * needs `ctx.groups` resolved with members.
 */
export function ruleMongoQuery(rule: CompiledRule, ctx: RuleContext): RuleMongoQuery {
  const groups = ctx.groups;
  if (rule.usesGroups && groups?.memberUserIdsByGroupId === undefined) {
    throw new Error('The rule tests groups: resolve them with resolveRuleGroups(…, { members: true }) first');
  }
  const { query, exact } = mongoFilterFor(rule.bound, {
    memberUserIds: (name) => {
      const ids = memberUserIdsOf(groups as RuleGroups, name);
      return ids.length > MAX_MEMBER_IDS_IN_QUERY ? undefined : ids;
    },
  });
  // No compiled query uses the key tenantId, so adding it at top level is an AND.
  return { query: { tenantId: ctx.tenantId, ...query }, exact };
}

/**
 * The in-memory predicate over one user (RuleSubject: SCIM JSON + IdP group ids). A rule that
 * usesGroups needs `ctx.groups` (members not required). Compile once, call per user.
 */
export function rulePredicate(rule: CompiledRule, ctx: RuleContext): (subject: RuleSubject) => boolean {
  if (rule.usesGroups && ctx.groups === undefined) {
    throw new Error('The rule tests groups: resolve them with resolveRuleGroups first');
  }
  return predicateWith(rule.bound, ruleSubjectReader(ctx.groups));
}

function memberUserIdsOf(groups: RuleGroups, name: string): string[] {
  const groupIds = groups.groupIdsByName.get(name.toLowerCase()) ?? [];
  if (groupIds.length === 1) return [...(groups.memberUserIdsByGroupId?.get(groupIds[0] as string) ?? [])];
  const ids = new Set<string>();
  for (const groupId of groupIds) {
    for (const userId of groups.memberUserIdsByGroupId?.get(groupId) ?? []) ids.add(userId);
  }
  return [...ids];
}

// ---- checking, with positions ---------------------------------------------------------------

function checkLeaves(node: FilterNode, parsed: ParsedRule, view: SchemaView): void {
  switch (node.kind) {
    case 'and':
    case 'or':
      for (const child of node.children) checkLeaves(child, parsed, view);
      return;
    case 'not':
      checkLeaves(node.child, parsed, view);
      return;
    case 'compare':
    case 'present':
    case 'regex':
      checkLeaf(node, parsed, view);
      return;
    case 'valuePath':
      checkValuePath(node, parsed, view);
      return;
  }
}

/**
 * Offset in the rule text of character `index` of a quoted string's value starting at `quoteAt`:
 * the string is written with JSON escapes, so `\\.` in the rule is `\.` in the pattern.
 */
function rawOffsetInString(text: string, quoteAt: number, index: number): number {
  let i = quoteAt + 1;
  for (let decoded = 0; decoded < index && i < text.length; decoded += 1) i += text[i] !== '\\' ? 1 : text[i + 1] === 'u' ? 6 : 2;
  return i;
}

function sourceOf(node: FilterNode, parsed: ParsedRule): LeafSource {
  const path = node.kind === 'compare' || node.kind === 'present' || node.kind === 'valuePath' || node.kind === 'regex' ? node.path : '';
  return parsed.sources.get(node) ?? { writtenPath: path, pathOffset: 0 };
}

function checkLeaf(node: FilterNode, parsed: ParsedRule, view: SchemaView): void {
  const source = sourceOf(node, parsed);
  let bound: BoundFilter;
  try {
    bound = bindFilter(view, node, RULE_BIND_OPTIONS);
  } catch (err) {
    if (err instanceof SafeRegexError) {
      const at = source.valueOffset === undefined ? source.pathOffset : rawOffsetInString(parsed.text, source.valueOffset, err.position);
      throw ruleError(RULE_TYPE, 'invalid regular expression', parsed.text, at, {
        reason: err.message,
        hint: 'the pattern is a quoted string: write a backslash as \\\\ (e.g. \\\\. for a dot)',
      });
    }
    throw translateBindError(err, parsed, source, ruleAttributeNames(view));
  }
  const targets = bound.kind === 'compare' || bound.kind === 'regex' ? [bound.target] : bound.kind === 'present' ? (bound.leaves.length > 0 ? bound.leaves : [bound.target]) : [];
  for (const target of targets) assertUsable(target.attribute, parsed, source);
}

function checkValuePath(node: Extract<FilterNode, { kind: 'valuePath' }>, parsed: ParsedRule, view: SchemaView): void {
  const source = sourceOf(node, parsed);
  const parent = view.resolve(node.path);
  if (parent === undefined) {
    throw ruleError(RULE_UNKNOWN_ATTRIBUTE, `unknown attribute "${source.writtenPath}"`, parsed.text, source.pathOffset, {
      hint: didYouMean(source.writtenPath, ruleAttributeNames(view)),
    });
  }
  if (view.resourceType === 'User' && parent.schema === view.coreSchema && parent.scimPath[0] === 'groups') {
    throw ruleError(RULE_TYPE, `value filters on "${source.writtenPath}" are not supported`, parsed.text, source.pathOffset, {
      hint: 'test a group by name: groups eq "Engineering"',
    });
  }
  if (parent.definition.type !== 'complex' || parent.parent !== undefined) {
    const what = `"${source.writtenPath}" is not a complex attribute, so it cannot take a value filter "[…]"`;
    throw ruleError(RULE_TYPE, what, parsed.text, source.pathOffset);
  }
  assertUsable(parent, parsed, source);
  const subNames = (parent.definition.subAttributes ?? []).map((s) => s.name).filter((n) => !n.startsWith('$'));
  const checkInner = (inner: FilterNode): void => {
    switch (inner.kind) {
      case 'and':
      case 'or':
        inner.children.forEach(checkInner);
        return;
      case 'not':
        checkInner(inner.child);
        return;
      case 'valuePath':
        // parseFilter refuses nested value filters; kept for completeness.
        throw ruleError(RULE_TYPE, 'value filters cannot be nested', parsed.text, sourceOf(inner, parsed).pathOffset);
      default: {
        const innerSource = sourceOf(inner, parsed);
        try {
          bindValueFilter(view, parent, inner);
        } catch (err) {
          throw translateBindError(err, parsed, innerSource, subNames);
        }
      }
    }
  };
  checkInner(node.filter);
}

/** Attributes that are not stored with the user (meta.location, password) cannot be matched exactly. */
function assertUsable(attribute: ResolvedAttribute, parsed: ParsedRule, source: LeafSource): void {
  if (!isStoredPath(attribute.mongoPath)) {
    throw ruleError(RULE_UNKNOWN_ATTRIBUTE, `attribute "${source.writtenPath}" cannot be used in rules`, parsed.text, source.pathOffset, {
      reason: 'it is not stored with the user',
    });
  }
}

const PRODUCT_OPERATOR_NAMES: Readonly<Record<string, string>> = {
  eq: '=',
  ne: '!=',
  co: 'contains',
  sw: 'startsWith',
  ew: 'endsWith',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
};

/** The binder's 400s (SCIM wording) as rule errors with a position. */
function translateBindError(err: unknown, parsed: ParsedRule, source: LeafSource, candidates: readonly string[]) {
  if (!isAppError(err)) return err;
  if (err.code === 'SCIM_FILTER_UNKNOWN_ATTRIBUTE') {
    return ruleError(RULE_UNKNOWN_ATTRIBUTE, `unknown attribute "${source.writtenPath}"`, parsed.text, source.pathOffset, {
      hint: didYouMean(source.writtenPath, candidates),
      cause: err,
    });
  }
  let reason = err.message.replace(/^Invalid filter on "[^"]*": /, '');
  if (parsed.syntax === 'product') {
    reason = reason
      .replace(/operator "(\w+)"/g, (whole, op: string) => {
        const name = PRODUCT_OPERATOR_NAMES[op];
        return name === undefined ? whole : `operator "${name}"`;
      })
      .replace('use eq or ne with', 'use =, != or in with');
  }
  const offset = err.code === 'SCIM_FILTER_INVALID_VALUE' ? (source.valueOffset ?? source.pathOffset) : source.pathOffset;
  return ruleError(RULE_TYPE, `invalid comparison on "${source.writtenPath}"`, parsed.text, offset, { reason, cause: err });
}

// ---- dependencies ---------------------------------------------------------------------------

function collect(filter: BoundFilter, attributes: Set<string>, groupNames: Set<string>): void {
  switch (filter.kind) {
    case 'and':
    case 'or':
      for (const child of filter.children) collect(child, attributes, groupNames);
      return;
    case 'not':
      collect(filter.child, attributes, groupNames);
      return;
    case 'compare':
      attributes.add(canonicalPath(filter.target.attribute));
      return;
    case 'present':
      for (const leaf of filter.leaves.length > 0 ? filter.leaves : [filter.target]) attributes.add(canonicalPath(leaf.attribute));
      return;
    case 'valuePath':
      collect(filter.filter, attributes, groupNames);
      return;
    case 'memberOf':
      attributes.add('groups');
      groupNames.add(filter.name.toLowerCase());
      return;
    case 'regex':
      attributes.add(canonicalPath(filter.target.attribute));
      return;
  }
}

/** `emails.value`; an extension attribute qualified by its URN (`urn:…:User:department`). */
export function canonicalPath(attribute: ResolvedAttribute): string {
  const [first, ...rest] = attribute.scimPath;
  if (first !== undefined && first === attribute.schema) return `${first}:${rest.join('.')}`;
  return attribute.scimPath.join('.');
}
