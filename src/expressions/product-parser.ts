import type { ComparisonOperator, FilterLiteral, FilterNode } from './ast';
import { MAX_FILTER_DEPTH } from './parse-filter';
import { tokenize, type Token } from './product-lexer';
import { canonicalRulePath } from './rule-attributes';
import { RULE_SYNTAX, RULE_TYPE, didYouMean, ruleError } from './rule-errors';

/** Where a leaf of a parsed rule was written: for error positions after parsing (binding, types). */
export interface LeafSource {
  /** The attribute path as written (before aliases: `email`). */
  writtenPath: string;
  /** Offset of the path in the text. */
  pathOffset: number;
  /** Offset of the compared value, when there is one. */
  valueOffset?: number;
  /** The operator as written (`=`, `endsWith`, `eq`), for messages. */
  operator?: string;
}

export type LeafSources = WeakMap<FilterNode, LeafSource>;

/** Calls the product documents allow on an attribute, mapped to SCIM operators. */
const METHODS: Readonly<Record<string, ComparisonOperator>> = {
  endsWith: 'ew',
  startsWith: 'sw',
  contains: 'co',
};
/** `attr.matches('regex')`: a regular expression of the safe subset (safe-regex.ts), not a SCIM operator. */
const REGEX_METHOD = 'matches';
const METHOD_NAMES = [...Object.keys(METHODS), REGEX_METHOD];

const OPERATORS: Readonly<Record<string, ComparisonOperator>> = {
  '=': 'eq',
  '==': 'eq',
  '!=': 'ne',
  '<>': 'ne',
  '<': 'lt',
  '<=': 'le',
  '>': 'gt',
  '>=': 'ge',
};

const KEYWORDS = new Set(['and', 'or', 'not', 'in']);
const EXPECTED_OPERATOR = "expected an operator (=, !=, in, not in, <, <=, >, >=) or a call such as .endsWith('…')";

/**
 * Parses the product documents' form into the SCIM FilterNode AST (DESIGN §3):
 *
 *   rule      := or
 *   or        := and ( OR and )*
 *   and       := unary ( AND unary )*            AND binds tighter than OR, as in SCIM
 *   unary     := NOT unary | '(' or ')' | condition
 *   condition := path op value                   op: = == != <> < <= > >=
 *              | path [NOT] IN list              list: value (',' value)*, optionally in ( ) or [ ]
 *              | path '.' method '(' string ')'  method: endsWith startsWith contains matches (a regex)
 *
 * Keywords and method names are case-insensitive. `=` is eq, `!=` is ne (not(eq): true when the
 * attribute is absent, as SCIM ne), `in` is an or of eq, `not in` its negation, `= null` is "not
 * present" and `!= null` "present". Attribute paths are checked later (binding), with positions
 * taken from `sources`.
 */
export function parseProductRule(text: string): { node: FilterNode; sources: LeafSources } {
  return new ProductParser(text).parse();
}

class ProductParser {
  private readonly tokens: Token[];
  private index = 0;
  private depth = 0;
  readonly sources: LeafSources = new WeakMap();

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parse(): { node: FilterNode; sources: LeafSources } {
    if (this.peek().kind === 'end') throw this.error(RULE_SYNTAX, 'the rule is empty', this.peek());
    const node = this.parseOr();
    const next = this.peek();
    if (next.kind === ')') {
      throw this.error(RULE_SYNTAX, 'unbalanced parenthesis: ")" has no matching "("', next);
    }
    if (next.kind !== 'end') {
      throw this.error(RULE_SYNTAX, `expected AND, OR or the end of the rule, found ${describe(next)}`, next);
    }
    return { node, sources: this.sources };
  }

  private parseOr(): FilterNode {
    const children = [this.parseAnd()];
    while (this.isKeyword(this.peek(), 'or')) {
      this.next();
      children.push(this.parseAnd());
    }
    return combine('or', children);
  }

  private parseAnd(): FilterNode {
    const children = [this.parseUnary()];
    while (this.isKeyword(this.peek(), 'and')) {
      this.next();
      children.push(this.parseUnary());
    }
    return combine('and', children);
  }

  private parseUnary(): FilterNode {
    const token = this.peek();
    this.enter(token);
    try {
      if (this.isKeyword(token, 'not')) {
        this.next();
        return { kind: 'not', child: this.parseUnary() };
      }
      if (token.kind === '(') {
        this.next();
        const inner = this.parseOr();
        const close = this.peek();
        if (close.kind === ')') {
          this.next();
          return inner;
        }
        if (close.kind === 'end') {
          throw this.error(RULE_SYNTAX, 'unbalanced parenthesis: "(" is not closed', token, {
            hint: `add ")" at the end`,
          });
        }
        throw this.error(RULE_SYNTAX, `expected AND, OR or ")", found ${describe(close)}`, close);
      }
      if (token.kind === 'word' && !KEYWORDS.has(token.text.toLowerCase())) return this.parseCondition();
      const previous = this.tokens[this.index - 1];
      const after = previous === undefined ? '' : ` after ${describe(previous)}`;
      if (token.kind === ')') {
        throw this.error(RULE_SYNTAX, `expected a condition${after}, found ")"`, token);
      }
      throw this.error(RULE_SYNTAX, `expected a condition (<attribute> <operator> <value>)${after}, found ${describe(token)}`, token);
    } finally {
      this.depth -= 1;
    }
  }

  private parseCondition(): FilterNode {
    const word = this.next();
    const following = this.peek();
    const lastSegment = word.text.slice(word.text.lastIndexOf('.') + 1);
    if (following.kind === '(' && (following.start === word.end || isMethod(lastSegment))) return this.parseCall(word);
    if (word.text.endsWith('.')) {
      throw this.error(RULE_SYNTAX, `expected an attribute name after "${word.text}"`, { start: word.end });
    }
    const path = word.text;
    const operator = this.peek();

    if (operator.kind === 'operator') {
      this.next();
      const op = OPERATORS[operator.text] as ComparisonOperator;
      const valueToken = this.peek();
      const value = this.parseValue(operator);
      if (value === null) return this.nullTest(word, operator, op, valueToken);
      return this.leaf({ kind: 'compare', op, path: canonicalRulePath(path), value }, word, valueToken, operator.text);
    }
    if (this.isKeyword(operator, 'in')) {
      this.next();
      return this.parseList(word, operator);
    }
    if (this.isKeyword(operator, 'not') && this.isKeyword(this.tokens[this.index + 1], 'in')) {
      this.next();
      const inToken = this.next();
      return { kind: 'not', child: this.parseList(word, inToken) };
    }
    const scimOperator = operator.kind === 'word' && /^(eq|ne|co|sw|ew|gt|ge|lt|le|pr)$/i.test(operator.text);
    throw this.error(RULE_SYNTAX, `${EXPECTED_OPERATOR} after "${path}", found ${describe(operator)}`, operator, {
      hint: scimOperator ? `"${operator.text}" is SCIM filter syntax: write the whole rule as a SCIM filter, with lower-case and/or, or use =, !=, in` : undefined,
    });
  }

  /** `attr.endsWith('x')`: the word ends with the method name, followed by "(" (directly, or
   *  after spaces when the name is a known method). */
  private parseCall(word: Token): FilterNode {
    const dot = word.text.lastIndexOf('.');
    const methodOffset = word.start + dot + 1;
    const method = word.text.slice(dot + 1);
    const isRegex = method.toLowerCase() === REGEX_METHOD;
    const op = isRegex ? 'eq' : Object.entries(METHODS).find(([name]) => name.toLowerCase() === method.toLowerCase())?.[1];
    if (dot <= 0) {
      throw this.error(RULE_SYNTAX, `"${word.text}(…)" needs an attribute before it`, word, {
        hint: `write it as email.${op === undefined ? 'endsWith' : word.text}('…')`,
      });
    }
    if (op === undefined) {
      throw this.error(
        RULE_SYNTAX,
        `unknown function "${method}"`,
        { start: methodOffset },
        {
          hint: didYouMean(method, METHOD_NAMES) ?? `use ${METHOD_NAMES.join(', ')}`,
        },
      );
    }
    const path = word.text.slice(0, dot);
    this.next(); // "("
    const argument = this.peek();
    if (argument.kind !== 'string') {
      const raw = this.rawUntilClose(argument.start);
      throw this.error(RULE_TYPE, `expected a quoted string as the argument of ${method}`, argument, {
        hint: raw === '' ? undefined : `use '${raw}' not ${raw}`,
      });
    }
    this.next();
    const close = this.peek();
    if (close.kind !== ')') {
      throw this.error(RULE_SYNTAX, `expected ")" after the argument of ${method}`, close, {
        hint: close.kind === ',' ? `${method} takes one string` : undefined,
      });
    }
    this.next();
    if (isRegex) return this.leaf({ kind: 'regex', path: canonicalRulePath(path), pattern: argument.value as string }, word, argument, method);
    return this.leaf({ kind: 'compare', op, path: canonicalRulePath(path), value: argument.value as string }, word, argument, method);
  }

  /** The values of `in`: `"US","CA"`, `("US", "CA")` or `["US", "CA"]`; an or of eq. */
  private parseList(word: Token, inToken: Token): FilterNode {
    const open = this.peek();
    const closeKind = open.kind === '(' ? ')' : open.kind === '[' ? ']' : undefined;
    if (closeKind !== undefined) this.next();
    const children: FilterNode[] = [];
    let after = inToken;
    for (;;) {
      const valueToken = this.peek();
      const value = this.parseValue(after);
      if (value === null) {
        throw this.error(RULE_TYPE, 'null cannot be an item of "in"', valueToken, {
          hint: `test absence with ${word.text} = null`,
        });
      }
      children.push(this.leaf({ kind: 'compare', op: 'eq', path: canonicalRulePath(word.text), value }, word, valueToken, 'in'));
      if (this.peek().kind !== ',') break;
      after = this.next();
    }
    if (closeKind !== undefined) {
      const close = this.peek();
      if (close.kind !== closeKind) {
        throw this.error(RULE_SYNTAX, `expected "," or "${closeKind}" in the list after "in", found ${describe(close)}`, close, {
          hint: close.kind === 'end' ? `unbalanced parenthesis: add "${closeKind}"` : undefined,
        });
      }
      this.next();
    }
    return children.length === 1 ? (children[0] as FilterNode) : { kind: 'or', children };
  }

  /** A literal after `after` (an operator, "in" or ","): string, number, true, false or null. */
  private parseValue(after: Token): FilterLiteral {
    const token = this.peek();
    const expected = `expected a value after "${after.text}"`;
    switch (token.kind) {
      case 'string':
      case 'number':
        this.next();
        return token.value as string | number;
      case 'word': {
        const lower = token.text.toLowerCase();
        if (lower === 'true' || lower === 'false') {
          this.next();
          return lower === 'true';
        }
        if (lower === 'null') {
          this.next();
          return null;
        }
        const keyword = KEYWORDS.has(lower);
        throw this.error(RULE_SYNTAX, expected, token, {
          hint: keyword ? undefined : `strings are quoted: "${this.rawValueAt(token.start)}"`,
        });
      }
      default:
        throw this.error(RULE_SYNTAX, expected, token);
    }
  }

  private nullTest(word: Token, operator: Token, op: ComparisonOperator, valueToken: Token): FilterNode {
    if (op !== 'eq' && op !== 'ne') {
      throw this.error(RULE_TYPE, `null cannot be compared with "${operator.text}"`, valueToken, {
        hint: 'use = null (absent) or != null (present)',
      });
    }
    const present = this.leaf({ kind: 'present', path: canonicalRulePath(word.text) }, word, undefined, operator.text);
    return op === 'ne' ? present : { kind: 'not', child: present };
  }

  private leaf(node: FilterNode, word: Token, valueToken: Token | undefined, operator: string): FilterNode {
    // For a call the word is `email.endsWith`: the path is what comes before the method.
    const writtenPath = isMethod(operator) ? word.text.slice(0, word.text.lastIndexOf('.')) : word.text;
    const source: LeafSource = { writtenPath, pathOffset: word.start, operator };
    if (valueToken !== undefined) source.valueOffset = valueToken.start;
    this.sources.set(node, source);
    return node;
  }

  /** The unquoted text a value was probably meant to be: up to whitespace, ")" or ",". */
  private rawValueAt(offset: number): string {
    return /^[^\s),]*/.exec(this.text.slice(offset))?.[0] ?? '';
  }

  private rawUntilClose(offset: number): string {
    return (/^[^)]*/.exec(this.text.slice(offset))?.[0] ?? '').trim();
  }

  private enter(token: Token): void {
    this.depth += 1;
    if (this.depth > MAX_FILTER_DEPTH) {
      throw this.error(RULE_SYNTAX, `the rule nests deeper than ${MAX_FILTER_DEPTH} levels`, token);
    }
  }

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private next(): Token {
    const token = this.tokens[this.index] as Token;
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  private isKeyword(token: Token | undefined, keyword: string): boolean {
    return token !== undefined && token.kind === 'word' && token.text.toLowerCase() === keyword;
  }

  private error(code: typeof RULE_SYNTAX | typeof RULE_TYPE, what: string, at: { start: number }, extra: { hint?: string } = {}) {
    return ruleError(code, what, this.text, at.start, extra);
  }
}

/** One and/or node; nested ones of the same kind (parentheses, `in` lists) are flattened. */
function combine(kind: 'and' | 'or', children: FilterNode[]): FilterNode {
  if (children.length === 1) return children[0] as FilterNode;
  return { kind, children: children.flatMap((child) => (child.kind === kind ? child.children : [child])) };
}

function isMethod(operator: string): boolean {
  return METHOD_NAMES.some((name) => name.toLowerCase() === operator.toLowerCase());
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the rule';
    case 'string':
      return `the string ${token.text}`;
    case 'word':
      return `"${token.text}"`;
    default:
      return `"${token.text}"`;
  }
}
