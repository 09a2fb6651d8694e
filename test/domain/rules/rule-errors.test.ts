import { loadSchemaRegistry } from '../../../src/attributes/registry';
import { compileErrorOf } from './compile-error';

const view = loadSchemaRegistry().view('User');

const errorOf = (text: string) => compileErrorOf(view, text);

function expectError(text: string, code: string, message: string, details: Record<string, unknown>) {
  const err = errorOf(text);
  expect({ kind: err.kind, status: err.status, code: err.code, message: err.message, details: err.details }).toEqual({
    kind: 'badRequest',
    status: 400,
    code,
    message,
    details,
  });
}

describe('rule errors say where and what', () => {
  it('points at a word that is not an operator (a regex attempt) where it stands, not at the end', () => {
    expectError('email matches "^a.*@x.com$"', 'RULE_SYNTAX', 'invalid SCIM filter at 1:7: "matches" after "email" is not an operator (eq ne co sw ew gt lt ge le pr)', {
      line: 1,
      column: 7,
    });
  });

  it('names an unknown attribute with its position and the nearest known name', () => {
    expectError('deparment = "Sales"', 'RULE_UNKNOWN_ATTRIBUTE', 'unknown attribute "deparment" at 1:1 (did you mean "department"?)', {
      line: 1,
      column: 1,
      hint: 'did you mean "department"?',
    });
  });

  it('finds the unknown attribute on a later line and in SCIM syntax', () => {
    expectError('title = "Lead" AND\n  contry in "US","CA"', 'RULE_UNKNOWN_ATTRIBUTE', 'unknown attribute "contry" at 2:3 (did you mean "country"?)', {
      line: 2,
      column: 3,
      hint: 'did you mean "country"?',
    });
    expectError('title eq "x" and deparment eq "Sales"', 'RULE_UNKNOWN_ATTRIBUTE', 'unknown attribute "deparment" at 1:18 (did you mean "department"?)', {
      line: 1,
      column: 18,
      hint: 'did you mean "department"?',
    });
    expectError('emails[tpe eq "work"]', 'RULE_UNKNOWN_ATTRIBUTE', 'unknown attribute "tpe" at 1:8 (did you mean "type"?)', {
      line: 1,
      column: 8,
      hint: 'did you mean "type"?',
    });
  });

  it('suggests the qualified name of a sub-attribute written alone, and groups', () => {
    expect(errorOf('givenName = "Ann"').message).toBe('unknown attribute "givenName" at 1:1 (did you mean "name.givenName"?)');
    expect(errorOf('group = "Engineering"').message).toBe('unknown attribute "group" at 1:1 (did you mean "groups"?)');
    expect(errorOf('emial.endsWith("@x.com")').message).toBe('unknown attribute "emial" at 1:1 (did you mean "email"?)');
  });

  it('gives no suggestion when nothing is close', () => {
    expectError('favouriteColour = "red"', 'RULE_UNKNOWN_ATTRIBUTE', 'unknown attribute "favouriteColour" at 1:1', { line: 1, column: 1 });
  });

  it('points at the missing value after an operator', () => {
    expectError('department = ', 'RULE_SYNTAX', 'expected a value after "=" at 1:14', { line: 1, column: 14 });
    expectError('country in "US",', 'RULE_SYNTAX', 'expected a value after "," at 1:17', { line: 1, column: 17 });
  });

  it('asks for quotes around a bare word, as the product documents warn', () => {
    expectError('department = Sales', 'RULE_SYNTAX', 'expected a value after "=" at 1:14 (strings are quoted: "Sales")', {
      line: 1,
      column: 14,
      hint: 'strings are quoted: "Sales"',
    });
    expect(errorOf('email.endsWith(@company.com)').details).toEqual({ line: 1, column: 16, hint: 'strings are quoted: "@company.com"' });
    expect(errorOf('email.endsWith(company)').message).toBe("expected a quoted string as the argument of endsWith at 1:16 (use 'company' not company)");
  });

  it('names an unknown function with the nearest one, as the product documents warn', () => {
    expectError("email.ends_with('@company.com')", 'RULE_SYNTAX', 'unknown function "ends_with" at 1:7 (did you mean "endsWith"?)', {
      line: 1,
      column: 7,
      hint: 'did you mean "endsWith"?',
    });
  });

  it('reports an unterminated string where it starts', () => {
    expectError('title = "Lead AND active = true', 'RULE_SYNTAX', 'unterminated string starting at 1:9 (close it with ")', {
      line: 1,
      column: 9,
      hint: 'close it with "',
    });
  });

  it('reports unbalanced parentheses at the parenthesis', () => {
    expectError('(department = "Sales" OR title = "x"', 'RULE_SYNTAX', 'unbalanced parenthesis: "(" is not closed at 1:1 (add ")" at the end)', {
      line: 1,
      column: 1,
      hint: 'add ")" at the end',
    });
    expectError('department = "Sales")', 'RULE_SYNTAX', 'unbalanced parenthesis: ")" has no matching "(" at 1:21', { line: 1, column: 21 });
  });

  it('reports a missing operator, and points SCIM operators in a product rule to the SCIM form', () => {
    expect(errorOf('department "Sales" AND title = "x"').message).toMatch(/^expected an operator \(=, !=, in, .*\) after "department", found the string "Sales" at 1:12$/);
    const mixed = errorOf('department eq "Sales" AND country = "US"');
    expect(mixed.code).toBe('RULE_SYNTAX');
    expect(mixed.details).toMatchObject({ line: 1, column: 12 });
    expect(mixed.message).toContain('"eq" is SCIM filter syntax');
  });

  it('reports a dangling AND and an empty rule', () => {
    expectError('department = "Sales" AND', 'RULE_SYNTAX', 'expected a condition (<attribute> <operator> <value>) after "AND", found the end of the rule at 1:25', {
      line: 1,
      column: 25,
    });
    expectError('   ', 'RULE_SYNTAX', 'the rule is empty at 1:1', { line: 1, column: 1 });
  });

  it('wraps SCIM syntax errors with a position', () => {
    const err = errorOf('title eq "x" and');
    expect(err.code).toBe('RULE_SYNTAX');
    expect(err.message).toBe('invalid SCIM filter at 1:17: the filter ends where an expression was expected');
    expect(err.details).toEqual({ line: 1, column: 17 });
  });
});

describe('values are type-checked against the schema', () => {
  it('refuses a string for a boolean, at the value', () => {
    expectError('active = "yes"', 'RULE_TYPE', 'invalid comparison on "active" at 1:10: expected true or false, got "yes"', { line: 1, column: 10 });
  });

  it('refuses a string for an integer and a non-date for a dateTime', () => {
    expect(errorOf('level = "3"').message).toBe('invalid comparison on "level" at 1:9: expected a number, got "3"');
    expect(errorOf('hireDate > "last year"').code).toBe('RULE_TYPE');
  });

  it('refuses a substring call on a number, naming the call', () => {
    expect(errorOf("level.contains('3')").message).toBe('invalid comparison on "level" at 1:16: operator "contains" does not apply to a number');
  });

  it('refuses comparing a complex attribute itself', () => {
    expect(errorOf('name = "Ann"').code).toBe('RULE_TYPE');
  });

  it('refuses groups with anything but a group name and =, != or in', () => {
    expect(errorOf("groups.startsWith('Eng')").message).toContain('use =, != or in with');
    expect(errorOf('groups = 3').code).toBe('RULE_TYPE');
    expect(errorOf('groups.display eq "Eng"').code).toBe('RULE_TYPE');
    expect(errorOf('groups[display eq "Eng"]').code).toBe('RULE_TYPE');
    expect(errorOf('groups pr').code).toBe('RULE_TYPE');
    expect(errorOf('level > null').code).toBe('RULE_TYPE');
  });

  it('refuses attributes that are not stored with the user', () => {
    expect(errorOf('password = "x"').message).toBe('attribute "password" cannot be used in rules at 1:1: it is not stored with the user');
    expect(errorOf('meta.location eq "x"').code).toBe('RULE_UNKNOWN_ATTRIBUTE');
  });
});
