/**
 * Regular expressions for auto-assignment rules (product doc 001, "Regex for email matching
 * (advanced)"), safe to run on anyone's input (DESIGN.md §7): a strict subset compiled to a
 * Thompson NFA and run by simulating every state at once, so a match costs at most
 * O(input length × states): there is no backtracking, hence no catastrophic backtracking.
 * The pattern is bounded (length, counted repetition, states); anything outside the subset is
 * refused with its position rather than read some other way.
 *
 * Subset: literals; `.`; classes `[a-z0-9._%+-]`, `[^…]`; `\d \w \s \D \W \S`; `\` before any
 * punctuation for itself; groups `( )` and `(?: )`; `|`; `* + ?` and `{n}` `{n,}` `{n,m}` (a lazy
 * `?` after them is accepted: it does not change whether a text matches); `^` as the first and `$`
 * as the last character. Not supported: backreferences, lookaround, named groups, `\b`, flags.
 * Matching searches the text (like RegExp.test) and, for rules on e-mail, ignores case.
 */
export const MAX_PATTERN_LENGTH = 256;
export const MAX_REPEAT = 50;
export const MAX_STATES = 2000;

export class SafeRegexError extends Error {
  /** 0-based offset in the pattern. */
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

type CharTest = (c: string) => boolean;

type Node = { t: 'char'; test: CharTest } | { t: 'seq'; items: Node[] } | { t: 'alt'; options: Node[] } | { t: 'repeat'; node: Node; min: number; max: number };

const DIGIT: CharTest = (c) => c >= '0' && c <= '9';
const WORD: CharTest = (c) => DIGIT(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const SPACE: CharTest = (c) => /\s/.test(c);
const CLASS_ESCAPES: Record<string, CharTest> = {
  d: DIGIT,
  w: WORD,
  s: SPACE,
  D: (c) => !DIGIT(c),
  W: (c) => !WORD(c),
  S: (c) => !SPACE(c),
};
const CONTROL_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r' };

class Parser {
  private i = 0;
  private anchoredEnd = false;
  /** Case folding is decided per character set, before any negation ([^a-z] must not match "A"). */
  constructor(
    private readonly p: string,
    private readonly fold: (t: CharTest) => CharTest,
  ) {}

  parse(): { node: Node; anchoredStart: boolean; anchoredEnd: boolean } {
    const anchoredStart = this.p.startsWith('^');
    if (anchoredStart) this.i = 1;
    const node = this.alt(0);
    if (this.i < this.p.length) {
      // Only a stray ")" stops alt at top level.
      throw new SafeRegexError(`unbalanced ")" at position ${this.i + 1}`, this.i);
    }
    return { node, anchoredStart, anchoredEnd: this.anchoredEnd };
  }

  private alt(depth: number): Node {
    const options = [this.seq(depth)];
    while (this.p[this.i] === '|') {
      this.i++;
      options.push(this.seq(depth));
    }
    return options.length === 1 ? options[0]! : { t: 'alt', options };
  }

  private seq(depth: number): Node {
    const items: Node[] = [];
    while (this.i < this.p.length) {
      const c = this.p[this.i]!;
      if (c === '|' || c === ')') break;
      if (c === '$') {
        if (this.i !== this.p.length - 1 || depth > 0) throw new SafeRegexError(`"$" is only allowed as the last character (position ${this.i + 1})`, this.i);
        this.anchoredEnd = true;
        this.i++;
        break;
      }
      const atom = this.atom(depth);
      items.push(this.quantified(atom));
    }
    return items.length === 1 ? items[0]! : { t: 'seq', items };
  }

  private atom(depth: number): Node {
    const start = this.i;
    const c = this.p[this.i]!;
    switch (c) {
      case '(': {
        this.i++;
        if (this.p[this.i] === '?') {
          if (this.p[this.i + 1] !== ':') throw new SafeRegexError(`lookaround and named groups are not supported (position ${start + 1}); use (…) or (?:…)`, start);
          this.i += 2;
        }
        const inner = this.alt(depth + 1);
        if (this.p[this.i] !== ')') throw new SafeRegexError(`unclosed "(" at position ${start + 1}`, start);
        this.i++;
        return inner;
      }
      case '[':
        return this.charClass();
      case '.':
        this.i++;
        return { t: 'char', test: (ch) => ch !== '\n' };
      case '\\':
        return { t: 'char', test: this.fold(this.escape(false)) };
      case '*':
      case '+':
      case '?':
      case '{':
        throw new SafeRegexError(`nothing to repeat before "${c}" at position ${start + 1}`, start);
      case '^':
        throw new SafeRegexError(`"^" is only allowed as the first character (position ${start + 1})`, start);
      default:
        this.i++;
        return { t: 'char', test: this.fold((ch) => ch === c) };
    }
  }

  /** After "\": a class escape (\d …), a control escape (\n), or punctuation standing for itself. */
  private escape(inClass: boolean): CharTest {
    const start = this.i;
    const e = this.p[this.i + 1];
    if (e === undefined) throw new SafeRegexError(`"\\" at the end of the pattern (position ${start + 1})`, start);
    this.i += 2;
    const cls = CLASS_ESCAPES[e];
    if (cls) return cls;
    const control = CONTROL_ESCAPES[e];
    if (control) return (ch) => ch === control;
    if (/[A-Za-z0-9]/.test(e)) {
      const what = /[1-9]/.test(e) ? 'backreferences are' : e === 'b' || e === 'B' ? (inClass ? '\\b is' : 'word boundaries (\\b) are') : `"\\${e}" is`;
      throw new SafeRegexError(`${what} not supported (position ${start + 1})`, start);
    }
    return (ch) => ch === e;
  }

  private charClass(): Node {
    const start = this.i;
    this.i++;
    const negated = this.p[this.i] === '^';
    if (negated) this.i++;
    const tests: CharTest[] = [];
    let first = true;
    for (;;) {
      if (this.i >= this.p.length) throw new SafeRegexError(`unclosed "[" at position ${start + 1}`, start);
      const c = this.p[this.i]!;
      if (c === ']' && !first) break;
      first = false;
      let low: string | undefined;
      let test: CharTest;
      if (c === '\\') {
        const before = this.i;
        test = this.escape(true);
        const e = this.p[before + 1]!;
        if (!CLASS_ESCAPES[e]) low = CONTROL_ESCAPES[e] ?? e;
      } else {
        this.i++;
        low = c;
        test = (ch) => ch === c;
      }
      // A range a-z (a "-" first, last or after a range is literal).
      if (low !== undefined && this.p[this.i] === '-' && this.p[this.i + 1] !== undefined && this.p[this.i + 1] !== ']') {
        const dash = this.i;
        this.i++;
        let high: string;
        if (this.p[this.i] === '\\') {
          const e = this.p[this.i + 1];
          if (e === undefined || /[A-Za-z0-9]/.test(e)) throw new SafeRegexError(`a range must end with a character (position ${dash + 1})`, dash);
          high = e;
          this.i += 2;
        } else {
          high = this.p[this.i]!;
          this.i++;
        }
        if (high < low) throw new SafeRegexError(`range out of order "${low}-${high}" at position ${dash}`, dash - 1);
        const from = low;
        test = (ch) => ch >= from && ch <= high;
      }
      tests.push(test);
    }
    this.i++; // "]"
    const any = this.fold((ch) => tests.some((t) => t(ch)));
    return { t: 'char', test: negated ? (ch) => ch !== '\n' && !any(ch) : any };
  }

  private quantified(atom: Node): Node {
    const start = this.i;
    const c = this.p[this.i];
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d{1,3})(,(\d{0,3}))?\}/.exec(this.p.slice(this.i));
      if (!m) throw new SafeRegexError(`malformed repetition at position ${start + 1}: use {n}, {n,} or {n,m}`, start);
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) throw new SafeRegexError(`repetition {${min},${max}} at position ${start + 1} has its bounds out of order`, start);
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) throw new SafeRegexError(`repetition at position ${start + 1} is above ${MAX_REPEAT}`, start);
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (this.p[this.i] === '?') this.i++; // lazy: the same set of matching texts
    const next = this.p[this.i];
    if (next === '*' || next === '+' || next === '{' || next === '?') {
      throw new SafeRegexError(`a repetition cannot be repeated at position ${this.i + 1}; group it: (…)${next}`, this.i);
    }
    return { t: 'repeat', node: atom, min, max };
  }
}

// ---- Thompson NFA ----

type State = { kind: 'char'; test: CharTest; out: number } | { kind: 'split'; out: number[] } | { kind: 'match' };

class Builder {
  readonly states: State[] = [];

  private add(s: State): number {
    if (this.states.length >= MAX_STATES) throw new SafeRegexError(`the pattern is too complex (more than ${MAX_STATES} states); simplify its repetitions`, 0);
    this.states.push(s);
    return this.states.length - 1;
  }

  /** Compiles `node` so that it continues to `next`; returns its entry state. */
  build(node: Node, next: number): number {
    switch (node.t) {
      case 'char':
        return this.add({ kind: 'char', test: node.test, out: next });
      case 'seq': {
        let entry = next;
        for (let k = node.items.length - 1; k >= 0; k--) entry = this.build(node.items[k]!, entry);
        return entry;
      }
      case 'alt':
        return this.add({ kind: 'split', out: node.options.map((o) => this.build(o, next)) });
      case 'repeat': {
        let entry = next;
        if (node.max === Infinity) {
          // Loop: split → (node → back to split) | next.
          const loop = this.add({ kind: 'split', out: [] });
          const body = this.build(node.node, loop);
          (this.states[loop] as { out: number[] }).out = [body, next];
          entry = loop;
        } else {
          // x{0,k}: each optional copy reads x and goes on to the next one, or skips to `next`.
          for (let k = node.max - node.min; k > 0; k--) entry = this.add({ kind: 'split', out: [this.build(node.node, entry), next] });
        }
        for (let k = node.min; k > 0; k--) entry = this.build(node.node, entry);
        return entry;
      }
    }
  }
}

export interface SafeRegex {
  readonly pattern: string;
  test(text: string): boolean;
}

/** Compiles a pattern of the subset, or throws SafeRegexError with its position. */
export function compileSafeRegex(pattern: string, opts: { ignoreCase?: boolean } = {}): SafeRegex {
  if (pattern.length === 0) throw new SafeRegexError('the pattern is empty', 0);
  if (pattern.length > MAX_PATTERN_LENGTH) throw new SafeRegexError(`the pattern is longer than ${MAX_PATTERN_LENGTH} characters`, MAX_PATTERN_LENGTH);
  const ignoreCase = opts.ignoreCase === true;
  const fold = (t: CharTest): CharTest => (ignoreCase ? (ch) => t(ch) || t(ch.toLowerCase()) || t(ch.toUpperCase()) : t);
  const { node, anchoredStart, anchoredEnd } = new Parser(pattern, fold).parse();
  const builder = new Builder();
  const match = builder.states.length;
  builder.states.push({ kind: 'match' });
  const start = builder.build(node, match);
  const states = builder.states;

  return {
    pattern,
    test(text: string): boolean {
      const input = text;
      const mark = new Int32Array(states.length).fill(-1);
      let current: number[] = [];
      let step = 0;
      // Adds a state and everything reachable from it without reading (splits), once per step.
      const addTo = (list: number[], s: number): boolean => {
        const stack = [s];
        while (stack.length) {
          const k = stack.pop()!;
          if (mark[k] === step) continue;
          mark[k] = step;
          const st = states[k]!;
          if (st.kind === 'split') for (let j = st.out.length - 1; j >= 0; j--) stack.push(st.out[j]!);
          else if (st.kind === 'match') {
            if (!anchoredEnd) return true;
            list.push(k);
          } else list.push(k);
        }
        return false;
      };
      if (addTo(current, start)) return true;
      for (let pos = 0; pos < input.length; pos++) {
        const ch = input[pos]!;
        step++;
        const next: number[] = [];
        for (const k of current) {
          const st = states[k]!;
          if (st.kind === 'char' && st.test(ch)) {
            if (addTo(next, st.out)) return true;
          }
        }
        // Unanchored: a match may start at every position.
        if (!anchoredStart && addTo(next, start)) return true;
        current = next;
      }
      return anchoredEnd && current.some((k) => states[k]!.kind === 'match');
    },
  };
}
