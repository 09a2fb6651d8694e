export { parseRuleExpression, parseRule, looksLikeProductForm, type ParsedRule, type RuleSyntax } from '../../expressions/parse-rule';
export { compileRule, ruleMongoQuery, rulePredicate, canonicalPath, MAX_MEMBER_IDS_IN_QUERY, type CompiledRule, type RuleContext, type RuleMongoQuery } from './compile-rule';
export { resolveRuleGroups, loadIdpGroupIds, IDP_MEMBERSHIP_SOURCE, type RuleGroups } from './rule-groups';
export { ruleSubject, type RuleSubject } from './rule-subject';
export { RULE_ATTRIBUTE_ALIASES, ruleAttributeNames } from '../../expressions/rule-attributes';
export { RULE_SYNTAX, RULE_TYPE, RULE_UNKNOWN_ATTRIBUTE, type RuleErrorCode, type RuleErrorDetails } from '../../expressions/rule-errors';
