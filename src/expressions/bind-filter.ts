import { scimError } from '../errors/app-error';
import type { ResolvedAttribute, SchemaView } from '../attributes/types';
import type { BoundAttribute, BoundFilter, ComparisonOperator, FilterLiteral, FilterNode, Operand } from './ast';

/**
 * Resolves every attribute path of a parsed filter through the SchemaView and converts every
 * comparison value to the attribute's type. Anything the filter cannot mean is a 400
 * invalidFilter naming the attribute (RFC 7644 §3.4.2.2, §3.12), so that a client never gets a
 * silently empty result for a filter we did not understand.
 */
export function bindFilter(view: SchemaView, node: FilterNode, options: BindOptions = {}): BoundFilter {
  return bind(node, { view, idpGroups: options.idpGroups === true, ...(options.regex ? { regex: options.regex } : {}) });
}

export interface BindOptions {
  /**
   * Rule language (DESIGN §3): a User's `groups` names the IdP groups the user is in. `groups eq
   * "X"` binds to a memberOf test (the group's displayName or externalId, ignoring case) and `ne`
   * to its negation; every other use of `groups` is refused. Without this option `groups` is the
   * RFC 7643 §4.1.2 read-only complex attribute, which filters cannot serve.
   */
  idpGroups?: boolean;
  /**
   * Rule language only: compiles the pattern of a `regex` node (throwing a 400 for a bad one); a
   * filter that has none refuses regex nodes.
   */
  regex?: (pattern: string, ignoreCase: boolean) => { pattern: string; test(text: string): boolean };
}

/**
 * Binds the filter inside a value path (`type eq "work"` in `emails[type eq "work"]`): paths are
 * resolved within `parent`, and the bound scimPaths are relative to one element of it.
 */
export function bindValueFilter(view: SchemaView, parent: ResolvedAttribute, node: FilterNode): BoundFilter {
  assertComplex(parent, parent.scimPath.join('.'));
  return bind(node, { view, parent });
}

interface BindContext {
  view: SchemaView;
  idpGroups?: boolean;
  regex?: BindOptions['regex'];
  /** Set inside a value filter: the multi-valued complex attribute whose elements are tested. */
  parent?: ResolvedAttribute;
}

function bind(node: FilterNode, ctx: BindContext): BoundFilter {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, children: node.children.map((child) => bind(child, ctx)) };
    case 'not':
      return { kind: 'not', child: bind(node.child, ctx) };
    case 'present': {
      const target = resolveTarget(node.path, ctx);
      refuseIdpGroups(target, ctx, `"${node.path} pr" is not supported; test a group name: ${node.path} eq "Engineering"`);
      return { kind: 'present', target, leaves: leavesOf(target, ctx) };
    }
    case 'compare': {
      const target = resolveTarget(node.path, ctx);
      if (isIdpGroups(target, ctx) && target.attribute.parent === undefined) return bindMemberOf(target, node.op, node.value);
      refuseIdpGroups(target, ctx, `compare "${node.path}" itself with the displayName or externalId of a group`);
      return { kind: 'compare', op: node.op, target, operand: toOperand(target, node.op, node.value) };
    }
    case 'regex': {
      if (ctx.regex === undefined) throw scimError.invalidFilter(`Invalid filter on "${node.path}": regular expressions are not supported here`);
      const target = resolveTarget(node.path, ctx);
      refuseIdpGroups(target, ctx, 'match a group by name: groups eq "Engineering"');
      const type = target.attribute.definition.type;
      if (type !== 'string' && type !== 'reference') {
        throw scimError.invalidFilter(`Invalid filter on "${node.path}": a regular expression applies to text, not to a ${type}`, 'SCIM_FILTER_INVALID_VALUE');
      }
      return { kind: 'regex', target, regex: ctx.regex(node.pattern, target.attribute.definition.caseExact !== true) };
    }
    case 'valuePath': {
      if (ctx.parent !== undefined) {
        throw scimError.invalidFilter(`Value filters cannot be nested ("${node.path}[...]")`);
      }
      const target = resolveTarget(node.path, ctx);
      refuseIdpGroups(target, ctx, `value filters on "${node.path}" are not supported; test a group name: ${node.path} eq "Engineering"`);
      assertComplex(target.attribute, node.path);
      return { kind: 'valuePath', target, filter: bind(node.filter, { view: ctx.view, parent: target.attribute }) };
    }
  }
}

/** Whether `target` is (a sub-attribute of) a User's `groups`, read as IdP groups in rules. */
function isIdpGroups(target: BoundAttribute, ctx: BindContext): boolean {
  const { attribute } = target;
  return ctx.idpGroups === true && ctx.parent === undefined && ctx.view.resourceType === 'User' && attribute.schema === ctx.view.coreSchema && attribute.scimPath[0] === 'groups';
}

function refuseIdpGroups(target: BoundAttribute, ctx: BindContext, why: string): void {
  if (isIdpGroups(target, ctx)) {
    throw scimError.invalidFilter(`Invalid filter on "${target.path}": ${why}`, 'SCIM_FILTER_INVALID_VALUE');
  }
}

function bindMemberOf(target: BoundAttribute, op: ComparisonOperator, value: FilterLiteral): BoundFilter {
  const refuse = (why: string) => scimError.invalidFilter(`Invalid filter on "${target.path}": ${why}`, 'SCIM_FILTER_INVALID_VALUE');
  if (op !== 'eq' && op !== 'ne') {
    throw refuse(`operator "${op}" does not apply to groups; use eq or ne with a group's displayName or externalId`);
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw refuse(`expected the displayName or externalId of a group, got ${JSON.stringify(value)}`);
  }
  const memberOf: BoundFilter = { kind: 'memberOf', target, name: value };
  return op === 'eq' ? memberOf : { kind: 'not', child: memberOf };
}

function resolveTarget(path: string, ctx: BindContext): BoundAttribute {
  const attribute = ctx.view.resolve(path, ctx.parent);
  if (attribute === undefined) {
    const where = ctx.parent ? ` within "${ctx.parent.scimPath.join('.')}"` : '';
    throw scimError.invalidFilter(`Unknown attribute "${path}"${where} for resource type ${ctx.view.resourceType}`, 'SCIM_FILTER_UNKNOWN_ATTRIBUTE');
  }
  return { path, attribute, scimPath: relativeScimPath(attribute, ctx.parent) };
}

/** The scimPath of `attribute` relative to one element of `parent` (or absolute without one). */
function relativeScimPath(attribute: ResolvedAttribute, parent: ResolvedAttribute | undefined): string[] {
  if (parent === undefined) return attribute.scimPath;
  const prefix = parent.scimPath;
  const isPrefixed = attribute.scimPath.length > prefix.length && prefix.every((key, i) => key.toLowerCase() === attribute.scimPath[i]?.toLowerCase());
  return isPrefixed ? attribute.scimPath.slice(prefix.length) : attribute.scimPath;
}

/** For `pr` on a complex attribute: its sub-attributes (present means one of them is). */
function leavesOf(target: BoundAttribute, ctx: BindContext): BoundAttribute[] {
  const definition = target.attribute.definition;
  if (definition.type !== 'complex') return [];
  const leaves: BoundAttribute[] = [];
  for (const sub of definition.subAttributes ?? []) {
    // '$ref' is derived when rendering (a query cannot address '$' field names): never stored.
    if (sub.name.startsWith('$')) continue;
    const resolved = ctx.view.resolve(sub.name, target.attribute);
    if (resolved === undefined || resolved.definition.type === 'complex') continue;
    leaves.push({
      path: `${target.path}.${sub.name}`,
      attribute: resolved,
      scimPath: relativeScimPath(resolved, ctx.parent),
    });
  }
  return leaves;
}

function assertComplex(attribute: ResolvedAttribute, path: string): void {
  if (attribute.definition.type !== 'complex') {
    throw scimError.invalidFilter(`"${path}" is not a complex attribute, so it cannot take a value filter "[...]"`);
  }
}

const SUBSTRING_OPERATORS: ReadonlySet<ComparisonOperator> = new Set(['co', 'sw', 'ew']);
const ORDERING_OPERATORS: ReadonlySet<ComparisonOperator> = new Set(['gt', 'ge', 'lt', 'le']);

/** xsd:dateTime (RFC 7643 §2.3.5); a missing zone is taken as UTC. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i;

/** Epoch milliseconds of an xsd:dateTime, a missing zone meaning UTC (not local time); NaN if unparsable. */
export function parseInstant(text: string): number {
  const match = DATE_TIME.exec(text);
  return Date.parse(match && match[1] === undefined ? `${text}Z` : text);
}

function toOperand(target: BoundAttribute, op: ComparisonOperator, value: FilterLiteral): Operand {
  const { path } = target;
  const definition = target.attribute.definition;
  const refuse = (why: string) => scimError.invalidFilter(`Invalid filter on "${path}": ${why}`, 'SCIM_FILTER_INVALID_VALUE');

  if (definition.type === 'complex') {
    const example = definition.subAttributes?.[0]?.name ?? 'value';
    throw refuse(`it is a complex attribute; compare one of its sub-attributes (e.g. "${path}.${example}")`);
  }
  if (value === null) {
    throw refuse(`"${op} null" is not supported; use "${path} pr" or "not (${path} pr)"`);
  }
  switch (definition.type) {
    case 'boolean': {
      if (op !== 'eq' && op !== 'ne') throw refuse(`operator "${op}" does not apply to a boolean`);
      if (typeof value === 'boolean') return { type: 'boolean', value };
      // Entra writes booleans as strings elsewhere ("False"); accept them here too.
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) {
        return { type: 'boolean', value: value.toLowerCase() === 'true' };
      }
      throw refuse(`expected true or false, got ${JSON.stringify(value)}`);
    }
    case 'integer':
    case 'decimal': {
      if (SUBSTRING_OPERATORS.has(op)) throw refuse(`operator "${op}" does not apply to a number`);
      if (typeof value === 'number' && Number.isFinite(value)) return { type: 'number', value };
      throw refuse(`expected a number, got ${JSON.stringify(value)}`);
    }
    case 'dateTime': {
      if (SUBSTRING_OPERATORS.has(op)) throw refuse(`operator "${op}" does not apply to a dateTime`);
      const instant = typeof value === 'string' && DATE_TIME.test(value) ? parseInstant(value) : NaN;
      if (Number.isNaN(instant)) {
        throw refuse(`expected an xsd:dateTime such as "2024-01-31T12:00:00Z", got ${JSON.stringify(value)}`);
      }
      return { type: 'dateTime', value: new Date(instant).toISOString(), instant };
    }
    case 'binary':
      if (ORDERING_OPERATORS.has(op)) throw refuse(`operator "${op}" does not apply to binary values`);
      if (typeof value === 'string') return { type: 'string', value };
      throw refuse(`expected a string, got ${JSON.stringify(value)}`);
    case 'string':
    case 'reference':
      if (typeof value === 'string') return { type: 'string', value };
      throw refuse(`expected a string, got ${JSON.stringify(value)}`);
  }
}
