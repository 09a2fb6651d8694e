import { z } from 'zod';
import { EMAIL, EMAIL_MAX } from '../../domain/email-address';

/**
 * The building blocks of the admin API's schemas (src/admin/contract/operation.ts): what today's
 * readers checked by hand, written once so that validation, types and the document agree.
 */

// Printable text: names and descriptions are shown in UIs and logs. The ends may carry white space
// (trimmed away); in between no control character (multiline text: tabs and line breaks allowed).
// eslint-disable-next-line no-control-regex -- the point: which control characters text may hold
const SINGLE_LINE = /^[\t-\r ]*[^\u0000-\u001f\u007f]*[\t-\r ]*$/;
// eslint-disable-next-line no-control-regex -- as above
const MULTILINE = /^[\t-\r ]*[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*[\t-\r ]*$/;

/**
 * The same text, not blank once trimmed, as one pattern (what the document states for required text,
 * so that a client or a fuzzer knows " " is refused): the white space at the start (ASCII, then the
 * other characters JavaScript's trim removes), one character trim keeps, then as above. Equivalent to
 * the pattern above plus "trimmed, at least one character" (test/admin/text-schema.test.ts).
 */
const TRIMMED_AWAY = '\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
/** `refused`: the control characters the text may not hold inside; `innerBlanks`: the ones it may (trimmed away when they lead). */
const nonBlank = (refused: string, innerBlanks: string): string => `^[\\t-\\r ]*[${innerBlanks}${TRIMMED_AWAY}]*[^\\t-\\r${TRIMMED_AWAY}${refused}][^${refused}]*[\\t-\\r ]*$`;
export const SINGLE_LINE_NON_BLANK = nonBlank('\\u0000-\\u001f\\u007f', '');
export const MULTILINE_NON_BLANK = nonBlank('\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f', '\\t\\n\\r');

/** Trimmed printable text of at most `max` characters; required text (`min` 1) must not be blank, and the document's pattern says so. */
export function text(max: number, opts: { multiline?: boolean; description?: string; min?: number } = {}) {
  // The length limit holds for the text as sent (so the document's maxLength is exact); blankness is judged trimmed.
  const trimmed = z
    .string()
    .regex(opts.multiline ? MULTILINE : SINGLE_LINE, { error: 'contains control characters' })
    .max(max)
    .trim();
  const base = opts.min ? trimmed.min(opts.min).meta({ pattern: opts.multiline ? MULTILINE_NON_BLANK : SINGLE_LINE_NON_BLANK }) : trimmed;
  return opts.description ? base.describe(opts.description) : base;
}

/** Required text: trimmed, not blank, at most `max` characters. */
export const requiredText = (max: number, opts: { multiline?: boolean; description?: string } = {}) => text(max, { ...opts, min: 1 });

/** An id given by the client (a group, user, role, resource…): 1-200 characters. */
export const id = (description?: string) => {
  const s = z.string().min(1).max(200);
  return description ? s.describe(description) : s;
};

/** Ids, at least one and at most `max`, duplicates ignored. */
export const idList = (max: number, description?: string) => {
  const s = z.array(id()).min(1).max(max);
  return description ? s.describe(description) : s;
};

/** An e-mail address (src/domain/email-address.ts: stated as its pattern, not `format: email`, which is RFC 5322 and refuses non-ASCII addresses this accepts). */
export const email = (description?: string) => {
  const s = z.string().max(EMAIL_MAX).regex(EMAIL, { error: 'is not an e-mail address' });
  return description ? s.describe(description) : s;
};

/** A query parameter holding a whole number in [min, max] (sent as text). */
export const intQuery = (min: number, max: number, description: string) => z.coerce.number().int().min(min).max(max).optional().describe(description);

/** Cursor paging: an opaque cursor and a page size up to `maxLimit`. */
export const cursorQuery = (maxLimit: number) => ({
  cursor: z.string().optional().describe('Continue after the last item of the previous page (nextCursor)'),
  limit: intQuery(1, maxLimit, `Page size (1-${maxLimit})`),
});

export const dateTime = () => z.string().meta({ format: 'date-time' });

/** A page of a cursor-paged list. */
export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') });

/** Dates leave the server as ISO text (JSON.stringify); answers are validated as they are sent. */
export const timestamp = () => z.string().meta({ format: 'date-time' });

/** An object the document describes as open (its keys are data, not contract). */
export const openObject = (description?: string) => {
  const s = z.looseObject({});
  return description ? s.describe(description) : s;
};
