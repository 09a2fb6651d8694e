import fc from 'fast-check';
import { z } from 'zod';
import { MULTILINE_NON_BLANK, requiredText, SINGLE_LINE_NON_BLANK, text } from '../../src/admin/contract/schema-kit';

/**
 * Required text states "not blank once trimmed" in the document as a pattern (so schemathesis and
 * generated clients know " " is refused). The server checks it as "no control characters, trimmed,
 * at least one character": the two must accept exactly the same texts, which this checks on texts
 * drawn from the characters that matter (ASCII and Unicode blanks trim removes, control characters,
 * letters). Seeded: the seed is printed so that a failure can be replayed.
 */
const SEED = 20261207;
const ALPHABET = [' ', '\t', '\n', '\r', '\u000b', '\u000c', '\u0000', '\u001f', '\u007f', '\u0085', '\u00a0', '\u2028', '\u3000', '\ufeff', '\u200b', 'a', 'Z', '7', 'é', '-'];
const texts = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 8 }).map((chars) => chars.join(''));

const documented = (schema: z.ZodType): RegExp => {
  const pattern = (z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as { pattern?: string }).pattern;
  if (!pattern) throw new Error('no pattern in the document');
  return new RegExp(pattern);
};

describe('required text: the pattern the document states is what the server accepts', () => {
  beforeAll(() => console.log(`text-schema: fast-check seed ${SEED}`));

  it.each([
    ['single-line', requiredText(50), SINGLE_LINE_NON_BLANK],
    ['multiline', requiredText(50, { multiline: true }), MULTILINE_NON_BLANK],
  ])('%s: accepted exactly when the documented pattern matches', (_kind, schema, source) => {
    const pattern = documented(schema);
    expect(pattern.source).toBe(new RegExp(source).source);
    fc.assert(
      fc.property(texts, (t) => {
        expect(schema.safeParse(t).success).toBe(pattern.test(t));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('refuses blank text with the message it always gave, and states no non-blank pattern for optional text', () => {
    const issue = requiredText(50).safeParse(' \u00a0 ');
    expect(issue.success).toBe(false);
    expect(issue.error?.issues.map((i) => i.code)).toEqual(['too_small']);
    expect(documented(text(50)).test('   ')).toBe(true);
  });
});
