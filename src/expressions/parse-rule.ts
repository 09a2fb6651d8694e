import { isAppError } from '../errors/app-error';
import type { FilterNode } from './ast';
import { escapeRegex } from './compile-mongo';
import { MAX_FILTER_LENGTH, parseFilter } from './parse-filter';
import { parseProductRule, type LeafSource, type LeafSources } from './product-parser';
import { canonicalRulePath } from './rule-attributes';
import { RULE_SYNTAX, ruleError } from './rule-errors';

export type RuleSyntax = 'product' | 'scim';

export interface ParsedRule {
  text: string;
  /** The one AST of filters and rules; paths not yet checked against a schema. */
  node: FilterNode;
  /** Which front read the text (see parseRule). */
  syntax: RuleSyntax;
  /** Where each leaf (compare, present, valuePath) was written, for error positions. */
  sources: LeafSources;
}

/** Parses a rule expression in either syntax to the FilterNode AST (see parseRule). */
export function parseRuleExpression(text: string): FilterNode {
  return parseRule(text).node;
}

/**
 * Rules are written in either of two syntaxes, both read into the SCIM filter AST:
 *  - SCIM filter syntax (RFC 7644 §3.4.2.2), read by parseFilter (scim2-parse-filter):
 *    `title sw "Support" and emails[type eq "work" and value ew "@support.example.com"]`;
 *  - the product documents' form, read by the hand-written parser in product-parser.ts:
 *    `department = "Sales" AND (country in "US","CA" OR title != "Intern")`,
 *    `email.endsWith('@support.company.com')`.
 *
 * Which one: outside quoted strings, `=`, `!=`, `<`, `>`, the word `in`, AND/OR/NOT in capitals
 * or a `.method(` call mark the product form, which is tried first; if it fails and the text is a
 * valid SCIM filter (SCIM also allows AND/OR/NOT in capitals), the SCIM reading wins, else the
 * product form's error is reported. Text without those marks is read as SCIM only (no product
 * rule lacks them: every condition has an operator or a call). In both, `email` stands for
 * `emails.value`. Errors are 400s with code RULE_SYNTAX and `details: {line, column, hint?}`.
 */
export function parseRule(text: string): ParsedRule {
  if (typeof text !== 'string') throw ruleError(RULE_SYNTAX, 'the rule must be a string', '', 0);
  if (text.length > MAX_FILTER_LENGTH) {
    const what = `the rule is ${text.length} characters long; at most ${MAX_FILTER_LENGTH} are accepted`;
    throw ruleError(RULE_SYNTAX, what, text, MAX_FILTER_LENGTH);
  }
  if (text.trim() === '') throw ruleError(RULE_SYNTAX, 'the rule is empty', text, 0);
  if (!looksLikeProductForm(text)) return parseScimRule(text);
  try {
    const { node, sources } = parseProductRule(text);
    return { text, node, syntax: 'product', sources };
  } catch (productError) {
    if (!isAppError(productError)) throw productError;
    try {
      return parseScimRule(text);
    } catch {
      throw productError;
    }
  }
}

const PRODUCT_MARKS = [/[=<>]|!=/, /\bin\b/i, /\b(?:AND|OR|NOT)\b/, /\.[A-Za-z_]\w*\s*\(/];

export function looksLikeProductForm(text: string): boolean {
  const unquoted = text.replace(/"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?/g, ' ');
  return PRODUCT_MARKS.some((mark) => mark.test(unquoted));
}

function parseScimRule(text: string): ParsedRule {
  let parsed: FilterNode;
  try {
    parsed = parseFilter(text);
  } catch (err) {
    if (!isAppError(err)) throw err;
    throw scimSyntaxError(err.message, text, err);
  }
  const sources: LeafSources = new WeakMap();
  const node = locate(parsed, { text, cursor: 0, sources }, false);
  return { text, node, syntax: 'scim', sources };
}

/**
 * parseFilter's messages give a 1-based "position N" when they know one. A word that is not an
 * operator (`email matches "^a"`, a regex attempt) is pointed at where it stands; else the end.
 */
function scimSyntaxError(message: string, text: string, cause: unknown) {
  const position = /position (\d+)/.exec(message);
  const reason = message
    .replace(/^Invalid filter "[\s\S]*?": /, '')
    .replace(/\s*\(?(?:at |starting at )?position \d+\)?/, '')
    .replace(/ in filter "[\s\S]*"$/, '');
  let offset = position ? Number(position[1]) - 1 : text.length;
  const notOperator = /^"([^"]+)" after "([^"]+)" is not an operator/.exec(reason);
  if (!position && notOperator) {
    const at = new RegExp(`${escapeRegex(notOperator[2]!)}\\s+(${escapeRegex(notOperator[1]!)})`).exec(text);
    if (at) offset = at.index + at[0].length - notOperator[1]!.length;
  }
  return ruleError(RULE_SYNTAX, 'invalid SCIM filter', text, offset, { reason, cause });
}

interface LocateState {
  text: string;
  cursor: number;
  sources: LeafSources;
}

/**
 * Records where each leaf's path (and value) was written, walking the tree in text order, and
 * resolves aliases at top level (inside a value filter, paths are sub-attribute names).
 */
function locate(node: FilterNode, state: LocateState, insideValueFilter: boolean): FilterNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, children: node.children.map((child) => locate(child, state, insideValueFilter)) };
    case 'not':
      return { kind: 'not', child: locate(node.child, state, insideValueFilter) };
    case 'valuePath': {
      const source = findPath(node.path, state);
      const located: FilterNode = { kind: 'valuePath', path: node.path, filter: locate(node.filter, state, true) };
      state.sources.set(located, source);
      return located;
    }
    case 'present':
    case 'compare': {
      const source = findPath(node.path, state);
      const path = insideValueFilter ? node.path : canonicalRulePath(node.path);
      const located: FilterNode = { ...node, path };
      if (node.kind === 'compare') {
        const operator = /^\s*(\w+)\s*/.exec(state.text.slice(state.cursor));
        if (operator) {
          source.operator = operator[1];
          source.valueOffset = state.cursor + operator[0].length;
        }
      }
      state.sources.set(located, source);
      return located;
    }
    case 'regex':
      // Only the product form writes regular expressions (`email.matches('…')`).
      return node;
  }
}

/** The next occurrence of `path` (any case) outside strings, from the cursor; moves past it. */
function findPath(path: string, state: LocateState): LeafSource {
  const { text } = state;
  const wanted = path.toLowerCase();
  let inString = false;
  for (let i = state.cursor; i < text.length; i += 1) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i += 1;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      continue;
    }
    if (text.slice(i, i + path.length).toLowerCase() === wanted && !/[\w:$-]/.test(text[i - 1] ?? ' ') && !/[\w:$-]/.test(text[i + path.length] ?? ' ')) {
      state.cursor = i + path.length;
      return { writtenPath: path, pathOffset: i };
    }
  }
  return { writtenPath: path, pathOffset: state.cursor };
}
