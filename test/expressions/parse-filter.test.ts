import { AppError } from '../../src/errors/app-error';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseFilter } from '../../src/expressions';

function parseError(text: string): AppError {
  try {
    parseFilter(text);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw new Error(`expected an AppError, got ${String(err)}`, { cause: err });
  }
  throw new Error(`expected "${text}" to be refused`);
}

describe('parseFilter', () => {
  it('parses a comparison with a JSON string value', () => {
    expect(parseFilter('userName eq "test_user@contoso.com"')).toEqual({
      kind: 'compare',
      op: 'eq',
      path: 'userName',
      value: 'test_user@contoso.com',
    });
  });

  it('reads operators and logical keywords in any case', () => {
    expect(parseFilter('userName EQ "a" AND active Eq true')).toEqual({
      kind: 'and',
      children: [
        { kind: 'compare', op: 'eq', path: 'userName', value: 'a' },
        { kind: 'compare', op: 'eq', path: 'active', value: true },
      ],
    });
  });

  it('gives "and" precedence over "or" and honours parentheses and not', () => {
    expect(parseFilter('title pr or userName sw "a" and not (active eq false)')).toEqual({
      kind: 'or',
      children: [
        { kind: 'present', path: 'title' },
        {
          kind: 'and',
          children: [
            { kind: 'compare', op: 'sw', path: 'userName', value: 'a' },
            { kind: 'not', child: { kind: 'compare', op: 'eq', path: 'active', value: false } },
          ],
        },
      ],
    });
  });

  it('reads a value filter', () => {
    expect(parseFilter('emails[type eq "work" and value co "@example.com"]')).toEqual({
      kind: 'valuePath',
      path: 'emails',
      filter: {
        kind: 'and',
        children: [
          { kind: 'compare', op: 'eq', path: 'type', value: 'work' },
          { kind: 'compare', op: 'co', path: 'value', value: '@example.com' },
        ],
      },
    });
  });

  it('reads Entra\'s emails[type eq "work"].value eq "x" as ONE element matching both conditions', () => {
    expect(parseFilter('emails[type eq "work"].value eq "x@y.com"')).toEqual({
      kind: 'valuePath',
      path: 'emails',
      filter: {
        kind: 'and',
        children: [
          { kind: 'compare', op: 'eq', path: 'type', value: 'work' },
          { kind: 'compare', op: 'eq', path: 'value', value: 'x@y.com' },
        ],
      },
    });
  });

  it('keeps the precedence of an "or" inside the brackets when a sub-attribute follows them', () => {
    expect(parseFilter('emails[type eq "work" or primary eq true].value pr and userName eq "a"')).toEqual({
      kind: 'and',
      children: [
        {
          kind: 'valuePath',
          path: 'emails',
          filter: {
            kind: 'and',
            children: [
              {
                kind: 'or',
                children: [
                  { kind: 'compare', op: 'eq', path: 'type', value: 'work' },
                  { kind: 'compare', op: 'eq', path: 'primary', value: true },
                ],
              },
              { kind: 'present', path: 'value' },
            ],
          },
        },
        { kind: 'compare', op: 'eq', path: 'userName', value: 'a' },
      ],
    });
  });

  it('does not mistake brackets and operators inside quoted strings for syntax', () => {
    expect(parseFilter('displayName eq "a]. value eq [b] and (c)"')).toEqual({
      kind: 'compare',
      op: 'eq',
      path: 'displayName',
      value: 'a]. value eq [b] and (c)',
    });
  });

  it('decodes string values with JSON escapes', () => {
    expect(parseFilter('title eq "say \\"hi\\" \\\\ bye \\u00e9"')).toEqual({
      kind: 'compare',
      op: 'eq',
      path: 'title',
      value: 'say "hi" \\ bye é',
    });
  });

  it('reads numbers, negative ones included, and booleans', () => {
    expect(parseFilter('level gt -5 and level le 10.5 and active eq false')).toEqual({
      kind: 'and',
      children: [
        { kind: 'compare', op: 'gt', path: 'level', value: -5 },
        { kind: 'compare', op: 'le', path: 'level', value: 10.5 },
        { kind: 'compare', op: 'eq', path: 'active', value: false },
      ],
    });
  });

  it('reads extension attribute paths with their URN', () => {
    expect(parseFilter('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales"')).toEqual({
      kind: 'compare',
      op: 'eq',
      path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
      value: 'Sales',
    });
  });

  describe('refuses with 400 invalidFilter', () => {
    it.each([
      ['a missing value', 'userName eq'],
      ['an unknown operator', 'userName equals "a"'],
      ['an unquoted word as value', 'userName eq alice'],
      ['an unterminated string', 'userName eq "alice'],
      ['an unbalanced parenthesis', '(userName eq "a"'],
      ['a stray closing parenthesis', 'userName eq "a")'],
      ['an unclosed bracket', 'emails[type eq "work"'],
      ['a dangling logical operator', 'userName eq "a" and'],
      ['two values', 'userName eq "a" "b"'],
      ['a nested value filter', 'emails[type[value eq "a"]]'],
      ['a sub-attribute after brackets without a comparison', 'emails[type eq "work"].value'],
      ['an empty filter', '   '],
      ['an invalid escape', 'userName eq "a\\qb"'],
    ])('%s', (_what, text) => {
      const err = parseError(text);
      expect(err.status).toBe(400);
      expect(err.scimType).toBe('invalidFilter');
      expect(err.message.length).toBeGreaterThan(10);
    });

    it('says where an unterminated string starts', () => {
      expect(parseError('userName eq "alice').message).toContain('position 13');
    });

    it('a filter longer than the limit', () => {
      const err = parseError(`userName eq "${'a'.repeat(MAX_FILTER_LENGTH)}"`);
      expect(err.scimType).toBe('invalidFilter');
      expect(err.code).toBe('SCIM_FILTER_TOO_LONG');
    });

    it('a filter nested deeper than the limit', () => {
      const depth = MAX_FILTER_DEPTH + 1;
      const err = parseError(`${'('.repeat(depth)}userName eq "a"${')'.repeat(depth)}`);
      expect(err.scimType).toBe('invalidFilter');
      expect(err.code).toBe('SCIM_FILTER_TOO_DEEP');
    });

    it('a long chain of "not" (depth of the tree)', () => {
      const err = parseError(`${'not '.repeat(MAX_FILTER_DEPTH + 1)}(userName eq "a")`);
      expect(err.code).toBe('SCIM_FILTER_TOO_DEEP');
    });
  });
});
