import { RULE_SYNTAX, ruleError } from './rule-errors';

/**
 * Tokens of the product documents' rule form (`department = "Sales" AND (country in "US","CA")`,
 * `email.endsWith('@support.company.com')`), each with its offset in the text for error positions.
 *
 * A word is an attribute path (URNs and dots included: `urn:…:enterprise:2.0:User:department`,
 * `name.givenName`, `email.endsWith` before a call), a keyword (AND OR NOT IN, any case) or a bare
 * literal (true, false, null). Strings take double or single quotes with JSON escapes (plus \').
 */
export type TokenKind = 'word' | 'string' | 'number' | 'operator' | '(' | ')' | '[' | ']' | ',' | 'end';

export interface Token {
  kind: TokenKind;
  /** The token as written (strings with their quotes). */
  text: string;
  /** Decoded value of a string or number token. */
  value?: string | number;
  /** 0-based offsets: [start, end). */
  start: number;
  end: number;
}

const OPERATORS = ['==', '!=', '<>', '<=', '>=', '=', '<', '>'] as const;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
const WORD = /[A-Za-z_$][A-Za-z0-9_$:.-]*/y;
const WORD_CHAR = /[A-Za-z0-9_$]/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const token = readString(text, i);
      tokens.push(token);
      i = token.end;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === '[' || ch === ']' || ch === ',') {
      tokens.push({ kind: ch, text: ch, start: i, end: i + 1 });
      i += 1;
      continue;
    }
    const operator = OPERATORS.find((op) => text.startsWith(op, i));
    if (operator !== undefined) {
      tokens.push({ kind: 'operator', text: operator, start: i, end: i + operator.length });
      i += operator.length;
      continue;
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      NUMBER.lastIndex = i;
      const number = NUMBER.exec(text);
      if (number && !WORD_CHAR.test(text[i + number[0].length] ?? '')) {
        tokens.push({ kind: 'number', text: number[0], value: Number(number[0]), start: i, end: i + number[0].length });
        i += number[0].length;
        continue;
      }
    }
    WORD.lastIndex = i;
    const word = WORD.exec(text);
    if (word) {
      tokens.push({ kind: 'word', text: word[0], start: i, end: i + word[0].length });
      i += word[0].length;
      continue;
    }
    const bare = /[^\s()[\],"'=!<>]+/y;
    bare.lastIndex = i;
    const run = bare.exec(text)?.[0] ?? ch;
    const hint = ch === '!' ? 'did you mean "!="?' : run.length > 1 ? `strings are quoted: "${run}"` : undefined;
    throw ruleError(RULE_SYNTAX, `unexpected character "${ch}"`, text, i, { hint });
  }
  tokens.push({ kind: 'end', text: '', start: text.length, end: text.length });
  return tokens;
}

function readString(text: string, start: number): Token {
  const quote = text[start] as string;
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === quote) {
      return { kind: 'string', text: text.slice(start, i + 1), value, start, end: i + 1 };
    }
    if (ch !== '\\') {
      value += ch;
      i += 1;
      continue;
    }
    const escaped = text[i + 1];
    const simple = escaped === undefined ? undefined : SIMPLE_ESCAPES[escaped];
    if (simple !== undefined) {
      value += simple;
      i += 2;
      continue;
    }
    const hex = escaped === 'u' ? /^[0-9a-fA-F]{4}/.exec(text.slice(i + 2, i + 6)) : null;
    if (hex) {
      value += String.fromCharCode(parseInt(hex[0], 16));
      i += 6;
      continue;
    }
    if (escaped === undefined) break;
    throw ruleError(RULE_SYNTAX, `invalid escape "\\${escaped}" in a string`, text, i, {
      hint: 'write a backslash as \\\\',
    });
  }
  throw ruleError(RULE_SYNTAX, 'unterminated string starting', text, start, {
    hint: `close it with ${quote}`,
  });
}
