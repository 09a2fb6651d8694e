import { AppError } from '../errors/app-error';

/** Stable codes of the rule language's 400s. */
export const RULE_SYNTAX = 'RULE_SYNTAX';
export const RULE_UNKNOWN_ATTRIBUTE = 'RULE_UNKNOWN_ATTRIBUTE';
export const RULE_TYPE = 'RULE_TYPE';
export type RuleErrorCode = typeof RULE_SYNTAX | typeof RULE_UNKNOWN_ATTRIBUTE | typeof RULE_TYPE;

/** `details` of every rule error: where (1-based) and, when there is one, what to write instead. */
export interface RuleErrorDetails {
  line: number;
  column: number;
  hint?: string;
}

/** 1-based line and column of a 0-based offset into `text` (columns count UTF-16 units). */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i += 1) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * A rule error reads "<what> at <line>:<column>" followed by the hint in parentheses, e.g.
 * `unknown attribute "deparment" at 1:1 (did you mean "department"?)`; `reason` (after a colon)
 * says why a value or operator does not fit.
 */
export function ruleError(code: RuleErrorCode, what: string, text: string, offset: number, extra: { hint?: string; reason?: string; cause?: unknown } = {}): AppError {
  const { line, column } = lineColumnAt(text, offset);
  const details: RuleErrorDetails = { line, column };
  if (extra.hint !== undefined) details.hint = extra.hint;
  const reason = extra.reason === undefined ? '' : `: ${extra.reason}`;
  const hint = extra.hint === undefined ? '' : ` (${extra.hint})`;
  return new AppError('badRequest', code, `${what} at ${line}:${column}${reason}${hint}`, {
    details,
    cause: extra.cause,
  });
}

/**
 * Edit distance ignoring case, counting an adjacent transposition as one edit (optimal string
 * alignment), since "emial" for "email" is as common a slip as a missing letter.
 */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const rows: number[][] = [Array.from({ length: y.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= x.length; i += 1) {
    const row = [i];
    const above = rows[i - 1] as number[];
    for (let j = 1; j <= y.length; j += 1) {
      const substitution = (above[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1);
      let best = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, substitution);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return (rows[x.length] as number[])[y.length] as number;
}

/**
 * The candidate `word` most likely stands for: one whose last dotted segment is `word` (a
 * sub-attribute written without its parent, `givenName`), else the nearest by edit distance
 * within a third of the word's length (at least 1). Ties go to the earlier candidate.
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const bySegment = candidates.find((c) => c.toLowerCase() !== lower && c.toLowerCase().split(/[.:]/).pop() === lower);
  if (bySegment !== undefined) return bySegment;
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - word.length) >= bestDistance) continue;
    const distance = editDistance(word, candidate);
    if (distance < bestDistance && distance > 0) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const suggestion = closestName(word, candidates);
  return suggestion === undefined ? undefined : `did you mean "${suggestion}"?`;
}
