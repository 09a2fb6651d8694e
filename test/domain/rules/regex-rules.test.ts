import { compileRule, ruleMongoQuery, rulePredicate, ruleSubject } from '../../../src/domain/rules';
import { loadSchemaRegistry } from '../../../src/attributes/registry';
import { compileErrorOf } from './compile-error';

/** Auto-assignment by regular expression on e-mail (product doc 001, "Regex for email matching (advanced)"). */
const view = loadSchemaRegistry().view('User');
const ctx = { tenantId: 'ten_1' };
const user = (...emails: string[]) => ruleSubject({ id: 'usr_1', userName: 'u', emails: emails.map((value) => ({ value })) });
const matches = (text: string, ...emails: string[]) => rulePredicate(compileRule(view, text), ctx)(user(...emails));

const errorOf = (text: string) => compileErrorOf(view, text);

describe("email.matches('…')", () => {
  it('matches any of the addresses, ignoring case as e-mail comparisons do', () => {
    const rule = "email.matches('^[a-z]+\\\\.[a-z]+@(eu|us)\\\\.support\\\\.example\\\\.com$')";
    expect(matches(rule, 'Ann.Lee@EU.support.example.com')).toBe(true);
    expect(matches(rule, 'home@example.org', 'bob.ray@us.support.example.com')).toBe(true);
    expect(matches(rule, 'annlee@eu.support.example.com')).toBe(false);
    expect(matches(rule, 'ann.lee@eu.support.example.com.evil.io')).toBe(false);
    expect(matches(rule)).toBe(false);
  });

  it('combines with the rest of the language and reads the e-mail attribute', () => {
    const compiled = compileRule(view, 'email.matches(\'@partner\\\\.io$\') AND NOT title = "Intern"');
    expect(compiled.attributes).toContain('emails.value');
    expect(rulePredicate(compiled, ctx)(ruleSubject({ id: 'u', userName: 'u', emails: [{ value: 'x@partner.io' }] }))).toBe(true);
    expect(rulePredicate(compiled, ctx)(ruleSubject({ id: 'u', userName: 'u', title: 'Intern', emails: [{ value: 'x@partner.io' }] }))).toBe(false);
  });

  it('never reaches MongoDB as $regex: the query narrows and the predicate decides', () => {
    const { query, exact } = ruleMongoQuery(compileRule(view, "email.matches('^(a+)+$')"), ctx);
    expect(exact).toBe(false);
    expect(JSON.stringify(query)).not.toContain('$regex');
    expect(query).toEqual({ tenantId: 'ten_1', 'attrs.emails.value': { $type: 'string' } });
  });

  it('a catastrophic-backtracking pattern runs in linear time over a long address', () => {
    const started = Date.now();
    expect(matches("email.matches('^(a|aa)+$')", `${'a'.repeat(3000)}!`)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a bad pattern is a 400 naming its position in the rule text', () => {
    const err = errorOf("email.matches('^(ab')");
    expect(err.code).toBe('RULE_TYPE');
    expect(err.message).toMatch(/^invalid regular expression at 1:17: unclosed "\(" at position 2/);
    expect(err.details).toMatchObject({ line: 1, column: 17 });
    // Positions count the escapes as written: `\\\\d` is two characters of the rule for one of the pattern.
    expect(errorOf("email.matches('\\\\d+(?=x)')").details).toMatchObject({ line: 1, column: 20 });
    expect(errorOf("email.matches('(a)\\\\1')").message).toMatch(/backreferences are not supported/);
    expect(errorOf(`email.matches('${'a'.repeat(300)}')`).message).toMatch(/longer than 256/);
  });

  it('applies to text attributes only', () => {
    expect(errorOf("active.matches('true')").code).toBe('RULE_TYPE');
    expect(errorOf("emial.matches('x')").code).toBe('RULE_UNKNOWN_ATTRIBUTE');
  });
});
