import type { FilterNode } from '../../src/expressions/ast';
import { looksLikeProductForm, parseRule, parseRuleExpression } from '../../src/expressions/parse-rule';

const eq = (path: string, value: string | number | boolean): FilterNode => ({ kind: 'compare', op: 'eq', path, value });

describe('parseRuleExpression, product documents form', () => {
  it('reads the design example with AND binding tighter than OR and "in" as an or of eq', () => {
    expect(parseRuleExpression('department = "Sales" AND (country in "US","CA" OR title != "Intern")')).toEqual({
      kind: 'and',
      children: [
        eq('department', 'Sales'),
        {
          kind: 'or',
          children: [eq('country', 'US'), eq('country', 'CA'), { kind: 'compare', op: 'ne', path: 'title', value: 'Intern' }],
        },
      ],
    });
  });

  it('reads the documented email.endsWith call as "emails.value ew"', () => {
    expect(parseRuleExpression("email.endsWith('@support.company.com')")).toEqual({
      kind: 'compare',
      op: 'ew',
      path: 'emails.value',
      value: '@support.company.com',
    });
  });

  it('reads startsWith and contains, with either quote, on any attribute path', () => {
    expect(parseRuleExpression('title.startsWith("Support")')).toEqual({ kind: 'compare', op: 'sw', path: 'title', value: 'Support' });
    expect(parseRuleExpression("name.familyName.contains('son')")).toEqual({
      kind: 'compare',
      op: 'co',
      path: 'name.familyName',
      value: 'son',
    });
    expect(parseRuleExpression("email.ENDSWITH ('@x.com')")).toEqual({ kind: 'compare', op: 'ew', path: 'emails.value', value: '@x.com' });
  });

  it('accepts AND, OR, NOT and IN in any case, and NOT IN', () => {
    expect(parseRuleExpression('not department = "Sales" and title = "A" or title = "B"')).toEqual({
      kind: 'or',
      children: [{ kind: 'and', children: [{ kind: 'not', child: eq('department', 'Sales') }, eq('title', 'A')] }, eq('title', 'B')],
    });
    expect(parseRuleExpression('country NOT IN "US", "CA"')).toEqual({
      kind: 'not',
      child: { kind: 'or', children: [eq('country', 'US'), eq('country', 'CA')] },
    });
  });

  it('accepts "in" lists in parentheses or brackets, and a single-item list', () => {
    const expected = { kind: 'or', children: [eq('country', 'US'), eq('country', 'CA')] };
    expect(parseRuleExpression('country in ("US", "CA")')).toEqual(expected);
    expect(parseRuleExpression('country in ["US","CA"]')).toEqual(expected);
    expect(parseRuleExpression('country in "US"')).toEqual(eq('country', 'US'));
  });

  it('reads numbers, booleans, ordering operators and null checks', () => {
    expect(parseRuleExpression('level >= 3 AND active = true AND contractor != false')).toEqual({
      kind: 'and',
      children: [{ kind: 'compare', op: 'ge', path: 'level', value: 3 }, eq('active', true), { kind: 'compare', op: 'ne', path: 'contractor', value: false }],
    });
    expect(parseRuleExpression('level < -1.5')).toEqual({ kind: 'compare', op: 'lt', path: 'level', value: -1.5 });
    expect(parseRuleExpression('manager = null')).toEqual({ kind: 'not', child: { kind: 'present', path: 'manager' } });
    expect(parseRuleExpression('manager != null')).toEqual({ kind: 'present', path: 'manager' });
  });

  it('decodes escapes in both quote styles', () => {
    expect(parseRuleExpression(`title = "say \\"hi\\" \\u00e9"`)).toEqual(eq('title', 'say "hi" é'));
    expect(parseRuleExpression(`title = 'O\\'Brien'`)).toEqual(eq('title', "O'Brien"));
    expect(parseRuleExpression(`title = 'a "quoted" word'`)).toEqual(eq('title', 'a "quoted" word'));
  });

  it('reads the groups attribute of SSO group mapping', () => {
    expect(parseRuleExpression('groups = "Engineering"')).toEqual(eq('groups', 'Engineering'));
    expect(parseRuleExpression('groups in "Eng","Ops"')).toEqual({ kind: 'or', children: [eq('groups', 'Eng'), eq('groups', 'Ops')] });
  });

  it('spans lines and keeps URN-qualified attribute paths whole', () => {
    const urn = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
    expect(parseRuleExpression(`${urn}:department = "Sales"\n  AND\n  title = "Lead"`)).toEqual({
      kind: 'and',
      children: [eq(`${urn}:department`, 'Sales'), eq('title', 'Lead')],
    });
  });
});

describe('parseRuleExpression, SCIM filter syntax', () => {
  it('reads the design example through parseFilter', () => {
    const parsed = parseRule('title sw "Support" and emails[type eq "work" and value ew "@support.example.com"]');
    expect(parsed.syntax).toBe('scim');
    expect(parsed.node).toEqual({
      kind: 'and',
      children: [
        { kind: 'compare', op: 'sw', path: 'title', value: 'Support' },
        {
          kind: 'valuePath',
          path: 'emails',
          filter: { kind: 'and', children: [eq('type', 'work'), { kind: 'compare', op: 'ew', path: 'value', value: '@support.example.com' }] },
        },
      ],
    });
  });

  it('reads groups eq and the email alias at top level only', () => {
    expect(parseRuleExpression('groups eq "Engineering"')).toEqual(eq('groups', 'Engineering'));
    expect(parseRuleExpression('email ew "@x.com"')).toEqual({ kind: 'compare', op: 'ew', path: 'emails.value', value: '@x.com' });
  });

  it('falls back to SCIM when capitals marked the product form but only SCIM reads the text', () => {
    const parsed = parseRule('title eq "x" AND NOT (active eq true)');
    expect(parsed.syntax).toBe('scim');
    expect(parsed.node).toEqual({ kind: 'and', children: [eq('title', 'x'), { kind: 'not', child: eq('active', true) }] });
  });
});

describe('choosing the front', () => {
  it.each([
    ['department = "Sales"', true],
    ['title != "Intern"', true],
    ['country in "US","CA"', true],
    ["email.endsWith('@x.com')", true],
    ['title eq "x" AND title pr', true],
    ['title eq "a = b" and title co "in"', false],
    ['title sw "Support" and emails[type eq "work"]', false],
    ['not (title pr)', false],
  ])('%s -> product form: %s', (text, product) => {
    expect(looksLikeProductForm(text)).toBe(product);
  });

  it('reads every issue and product document example', () => {
    const examples: [string, 'product' | 'scim'][] = [
      ['department = "Sales" AND (country in "US","CA" OR title != "Intern")', 'product'],
      ["email.endsWith('@support.company.com')", 'product'],
      ['title sw "Support" and emails[type eq "work" and value ew "@support.example.com"]', 'scim'],
      ['groups = "Engineering"', 'product'],
      ['groups in "Eng","Ops"', 'product'],
      ['groups eq "Engineering"', 'scim'],
    ];
    for (const [text, syntax] of examples) expect(parseRule(text).syntax).toBe(syntax);
  });
});
