import { parse, type Filter } from 'scim2-parse-filter';
import { scimError } from '../errors/app-error';
import type { FilterLiteral, FilterNode } from './ast';

/** Longer filters are refused before parsing; no IdP sends anything close. */
export const MAX_FILTER_LENGTH = 4096;
/** Bound on parentheses/brackets and on the depth of the resulting tree. */
export const MAX_FILTER_DEPTH = 32;

/**
 * Parses SCIM filter text (RFC 7644 §3.4.2.2) into a FilterNode. Attribute paths are not checked
 * here (see bindFilter). Every failure is a 400 invalidFilter whose message says where and what.
 *
 * Parsing is done by `scim2-parse-filter` after a pre-pass over the text that
 *  - replaces every quoted string (and every free-standing number) by a placeholder string, so
 *    that values are decoded with real JSON rules (the library's own unescaping mangles
 *    backslashes and cannot read negative numbers followed by a space), and
 *  - rewrites `attr[valFilter].sub op value` into `attr[(valFilter) and sub op value]`. The
 *    library would turn the former into `attr[valFilter] and attr.sub op value`, which lets two
 *    different elements satisfy the two halves. Entra ID sends exactly this form
 *    (`emails[type eq "work"].value eq "x"`), and it means one element matching both.
 */
export function parseFilter(text: string): FilterNode {
  if (typeof text !== 'string') {
    throw scimError.invalidFilter('The filter must be a string');
  }
  if (text.length > MAX_FILTER_LENGTH) {
    throw scimError.invalidFilter(`The filter is ${text.length} characters long; at most ${MAX_FILTER_LENGTH} are accepted`, 'SCIM_FILTER_TOO_LONG');
  }
  if (text.trim() === '') {
    throw scimError.invalidFilter('The filter is empty');
  }
  const { rewritten, literals } = prepare(text);
  let parsed: Filter;
  try {
    parsed = parse(rewritten);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw scimError.invalidFilter(`Invalid filter "${text}": ${describeParserError(restoreLiterals(reason, literals))}`);
  }
  return convert(parsed, literals, false, 1);
}

const SUB_ATTRIBUTE_PRESENT = /^\.([A-Za-z][-\w]*)\s+(pr)(?=$|[\s)\]])/i;
const SUB_ATTRIBUTE_COMPARISON = /^\.([A-Za-z][-\w]*)\s+(eq|ne|co|sw|ew|gt|lt|ge|le)\s+/i;
const UNQUOTED_VALUE = /^[^\s()[\]"]+/;
const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?=$|[\s)\]])/;

interface Prepared {
  rewritten: string;
  /** Placeholder `"<index>"` in `rewritten` stands for `literals[index]`. */
  literals: FilterLiteral[];
}

function prepare(text: string): Prepared {
  const literals: FilterLiteral[] = [];
  const openBrackets: { outIndex: number; textIndex: number }[] = [];
  let out = '';
  let depth = 0;
  let i = 0;

  const placeholder = (value: FilterLiteral): string => {
    literals.push(value);
    return `"${literals.length - 1}"`;
  };
  /** Reads the JSON string starting at `start` (a '"'); returns its placeholder and end. */
  const readQuoted = (start: number): { token: string; end: number } => {
    let j = start + 1;
    while (j < text.length && text[j] !== '"') {
      j += text[j] === '\\' ? 2 : 1;
    }
    if (j >= text.length) {
      throw scimError.invalidFilter(`Unterminated string starting at position ${start + 1}`);
    }
    const raw = text.slice(start, j + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw scimError.invalidFilter(`Invalid string ${raw} at position ${start + 1}`);
    }
    return { token: placeholder(value as string), end: j + 1 };
  };

  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '"') {
      const { token, end } = readQuoted(i);
      out += token;
      i = end;
      continue;
    }
    if ((ch === '-' || (ch >= '0' && ch <= '9')) && (i === 0 || /[\s(]/.test(text[i - 1] as string))) {
      const number = NUMBER.exec(text.slice(i));
      if (number) {
        out += placeholder(Number(number[0]));
        i += number[0].length;
        continue;
      }
    }
    if (ch === '(' || ch === '[') {
      depth += 1;
      if (depth > MAX_FILTER_DEPTH) {
        throw scimError.invalidFilter(`The filter nests deeper than ${MAX_FILTER_DEPTH} levels (position ${i + 1})`, 'SCIM_FILTER_TOO_DEEP');
      }
      out += ch;
      if (ch === '[') openBrackets.push({ outIndex: out.length, textIndex: i });
      i += 1;
      continue;
    }
    if (ch === ')') {
      depth -= 1;
      if (depth < 0) throw scimError.invalidFilter(`Unbalanced ')' at position ${i + 1}`);
      out += ch;
      i += 1;
      continue;
    }
    if (ch === ']') {
      depth -= 1;
      const open = openBrackets.pop();
      if (open === undefined || depth < 0) {
        throw scimError.invalidFilter(`Unbalanced ']' at position ${i + 1}`);
      }
      const rest = text.slice(i + 1);
      if (!rest.startsWith('.')) {
        out += ch;
        i += 1;
        continue;
      }
      // attr[valFilter].sub op value  ->  attr[(valFilter) and sub op value]
      let condition: string;
      let consumed: number;
      const present = SUB_ATTRIBUTE_PRESENT.exec(rest);
      const comparison = present ? null : SUB_ATTRIBUTE_COMPARISON.exec(rest);
      if (present) {
        condition = `${present[1]} pr`;
        consumed = present[0].length;
      } else if (comparison) {
        const valueStart = i + 1 + comparison[0].length;
        let valueToken: string;
        let valueEnd: number;
        if (text[valueStart] === '"') {
          const quoted = readQuoted(valueStart);
          valueToken = quoted.token;
          valueEnd = quoted.end;
        } else {
          const unquoted = UNQUOTED_VALUE.exec(text.slice(valueStart));
          if (!unquoted) {
            throw scimError.invalidFilter(`Missing comparison value at position ${valueStart + 1}`);
          }
          const number = NUMBER.exec(unquoted[0]);
          valueToken = number ? placeholder(Number(number[0])) : unquoted[0];
          valueEnd = valueStart + unquoted[0].length;
        }
        condition = `${comparison[1]} ${comparison[2]} ${valueToken}`;
        consumed = valueEnd - (i + 1);
      } else {
        throw scimError.invalidFilter(`Expected "<sub-attribute> <operator> <value>" after "]." at position ${i + 2}`);
      }
      out = `${out.slice(0, open.outIndex)}(${out.slice(open.outIndex)}) and ${condition}]`;
      i += 1 + consumed;
      continue;
    }
    out += ch;
    i += 1;
  }

  const unclosed = openBrackets.pop();
  if (unclosed !== undefined) {
    throw scimError.invalidFilter(`Unclosed '[' at position ${unclosed.textIndex + 1}`);
  }
  if (depth > 0) throw scimError.invalidFilter(`Unclosed '(' in filter "${text}"`);
  return { rewritten: out, literals };
}

/** Rephrases the library's messages in terms a client can act on. */
function describeParserError(message: string): string {
  const notJson = /^\[(.*)\((\w+)\)\] is not json$/.exec(message);
  if (notJson) {
    return notJson[2] === 'EOT' ? 'a comparison value is missing at the end' : `${notJson[1]} is not a valid value (strings are quoted; other values are true, false, null or numbers)`;
  }
  if (/^Unexpected token\s+\(EOT\)$/.test(message)) return 'the filter ends where an expression was expected';
  const trailing = /^unexpected EOT .*\[([^\]]*)\]/.exec(message);
  if (trailing) return `unexpected ${trailing[1]} after a complete expression`;
  const operator = /^Unexpected token (\S+) (\S+) as valFilter operator$/.exec(message);
  if (operator) return `"${operator[2]}" after "${operator[1]}" is not an operator (eq ne co sw ew gt lt ge le pr)`;
  return message;
}

function restoreLiterals(message: string, literals: FilterLiteral[]): string {
  return message.replace(/"(\d+)"/g, (whole, index: string) => {
    const literal = literals[Number(index)];
    return literal === undefined ? whole : JSON.stringify(literal);
  });
}

function convert(filter: Filter, literals: FilterLiteral[], insideValuePath: boolean, depth: number): FilterNode {
  if (depth > MAX_FILTER_DEPTH) {
    throw scimError.invalidFilter(`The filter nests deeper than ${MAX_FILTER_DEPTH} levels`, 'SCIM_FILTER_TOO_DEEP');
  }
  switch (filter.op) {
    case '[]':
      if (insideValuePath) {
        // RFC 7644 §3.4.2.2 grammar: a valFilter holds attrExp/logExp/not, never another valuePath.
        throw scimError.invalidFilter(`Value filters cannot be nested ("${filter.attrPath}[...]")`);
      }
      return {
        kind: 'valuePath',
        path: filter.attrPath,
        filter: convert(filter.valFilter, literals, true, depth + 1),
      };
    case 'and':
    case 'or':
      return {
        kind: filter.op,
        children: filter.filters.map((child) => convert(child, literals, insideValuePath, depth + 1)),
      };
    case 'not':
      return { kind: 'not', child: convert(filter.filter, literals, insideValuePath, depth + 1) };
    case 'pr':
      return { kind: 'present', path: filter.attrPath };
    default: {
      let value = filter.compValue;
      if (typeof value === 'string') {
        // Every string literal went through a placeholder (see prepare).
        const literal = literals[Number(value)];
        if (literal === undefined) {
          throw scimError.invalidFilter(`Unexpected value ${JSON.stringify(value)} for "${filter.attrPath}"`);
        }
        value = literal;
      }
      return { kind: 'compare', op: filter.op, path: filter.attrPath, value };
    }
  }
}
