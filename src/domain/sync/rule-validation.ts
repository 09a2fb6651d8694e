import { AppError, isAppError } from '../../errors/app-error';
import type { GroupDoc, Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import type { SchemaRegistry } from '../../attributes/registry';
import { compileRule, type CompiledRule, type RuleErrorDetails } from '../rules';
import type { RuleKind } from './rule-records';

export const MAX_RULE_NAME = 200;

export type ExpressionCheck =
  | { valid: true; syntax: CompiledRule['syntax']; attributes: readonly string[]; usesGroups: boolean; groupNames: readonly string[] }
  | { valid: false; error: { code: string; message: string } & Partial<RuleErrorDetails> };

/** Parse and type-check an expression without storing anything (POST /rules/validate). */
export function checkRuleExpression(registry: SchemaRegistry, expression: string): ExpressionCheck {
  try {
    const c = compileRule(registry.view('User'), expression);
    return { valid: true, syntax: c.syntax, attributes: c.attributes, usesGroups: c.usesGroups, groupNames: c.groupNames };
  } catch (err) {
    if (!isAppError(err)) throw err;
    const details = (err.details ?? {}) as Partial<RuleErrorDetails>;
    return { valid: false, error: { code: err.code, message: err.message, ...details } };
  }
}

/** Compiles or throws the rule language's 400 (code RULE_SYNTAX / RULE_UNKNOWN_ATTRIBUTE / RULE_TYPE, details {line, column, hint}). */
export function compileOrThrow(registry: SchemaRegistry, expression: string): CompiledRule {
  return compileRule(registry.view('User'), expression);
}

export function invalidField(field: string, message: string): AppError {
  return new AppError('badRequest', 'RULE_INVALID_FIELD', message, { details: { field } });
}

/**
 * A rule may give membership of an internal group only: IdP groups are the IdP's to fill over
 * SCIM, a dynamic group's members come from its own rule, automatic groups (All Users,
 * Customers) hold everyone of their audience already, and archived groups are out of assignment.
 */
export async function requireRuleTarget(models: Models, tenantId: string, groupId: string, kind: RuleKind): Promise<GroupDoc> {
  const group = await repositoriesOf(models).groups.find(tenantId, groupId);
  if (!group) throw new AppError('badRequest', 'RULE_TARGET_NOT_FOUND', `No group ${groupId} in this tenant`, { details: { field: 'targetGroupId' } });
  if (group.origin === 'scim') {
    throw new AppError('badRequest', 'RULE_TARGET_IDP_GROUP', `Group ${groupId} is an IdP group (pushed over SCIM); a rule can only fill internal groups`, {
      details: { field: 'targetGroupId' },
    });
  }
  if (kind !== 'dynamic' && group.kind === 'dynamic') {
    throw new AppError('badRequest', 'RULE_TARGET_DYNAMIC', `Group ${groupId} is dynamic: its members come from its own rule`, { details: { field: 'targetGroupId' } });
  }
  if (group.automatic) {
    throw new AppError('badRequest', 'RULE_TARGET_AUTOMATIC', `Group ${groupId} contains every user of its audience already`, { details: { field: 'targetGroupId' } });
  }
  if (typeof group.status === 'string' && group.status.toLowerCase() === 'archived') {
    throw new AppError('badRequest', 'RULE_TARGET_ARCHIVED', `Group ${groupId} is archived; unarchive it first`, { details: { field: 'targetGroupId' } });
  }
  return group;
}
