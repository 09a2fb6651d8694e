import { compileSafeRegex, MAX_PATTERN_LENGTH, SafeRegexError } from '../../src/expressions/safe-regex';

/** The subset agrees with JavaScript's RegExp where both apply, and runs in linear time. */
const agree: [string, string[]][] = [
  ['^[a-z0-9._%+-]+@support\\.example\\.com$', ['ann@support.example.com', 'ann@example.com', 'a.b+c@support.example.com', '@support.example.com', 'ann@support.example.com.evil']],
  ['@(eu|us)\\.example\\.com$', ['x@eu.example.com', 'x@us.example.com', 'x@ca.example.com', 'x@eu.example.co']],
  ['^\\w+\\.\\w+@', ['ann.lee@x.io', 'annlee@x.io', '_a.b@']],
  ['^a{2,3}b?$', ['a', 'aa', 'aaa', 'aaaa', 'aab', 'aaab', 'ab']],
  ['^(?:ab)*c$', ['c', 'abc', 'ababc', 'abac']],
  ['[^0-9]', ['123', '12a', '']],
  ['x{2,}', ['x', 'xx', 'axxxb']],
  ['^$', ['', 'a']],
  ['a.c', ['abc', 'a\nc', 'ac']],
  ['\\d{3}-\\d{4}', ['555-1234', '55-1234']],
  ['^(a|ab)(c|bcd)(d*)$', ['abcd', 'acd', 'abcdd']],
];

describe('safe regex subset', () => {
  it.each(agree)('%s agrees with RegExp', (pattern, inputs) => {
    const safe = compileSafeRegex(pattern);
    const js = new RegExp(pattern);
    for (const input of inputs) expect([input, safe.test(input)]).toEqual([input, js.test(input)]);
  });

  it('ignores case when asked, classes and negated classes included', () => {
    const r = compileSafeRegex('^[A-Z]+@EXAMPLE\\.com$', { ignoreCase: true });
    expect(r.test('Ann@example.COM')).toBe(true);
    expect(compileSafeRegex('^[^a-z]+$', { ignoreCase: true }).test('ABC')).toBe(false);
    expect(compileSafeRegex('^[^a-z]+$', { ignoreCase: true }).test('123')).toBe(true);
  });

  it('a pattern that makes a backtracking engine explode runs in linear time', () => {
    const evil = compileSafeRegex('^(a+)+$');
    const text = `${'a'.repeat(5000)}!`;
    const started = Date.now();
    expect(evil.test(text)).toBe(false);
    expect(compileSafeRegex('^(a|a)*b$').test('a'.repeat(5000))).toBe(false);
    // A backtracking engine needs 2^5000 steps here; the NFA simulation a few milliseconds.
    expect(Date.now() - started).toBeLessThan(2000);
  });

  const refused: [string, RegExp, number][] = [
    ['(a', /unclosed "\(" at position 1/, 0],
    ['a)', /unbalanced "\)" at position 2/, 1],
    ['*a', /nothing to repeat before "\*" at position 1/, 0],
    ['[a-', /unclosed "\[" at position 1/, 0],
    ['(a)\\1', /backreferences are not supported \(position 4\)/, 3],
    ['(?=a)b', /lookaround and named groups are not supported \(position 1\)/, 0],
    ['\\bword', /word boundaries/, 0],
    ['a{1,999}', /repetition at position 2 is above 50/, 1],
    ['a{3,1}', /out of order/, 1],
    ['a**', /cannot be repeated at position 3/, 2],
    ['a$b', /"\$" is only allowed as the last character \(position 2\)/, 1],
    ['a^', /"\^" is only allowed as the first character \(position 2\)/, 1],
    ['[z-a]', /range out of order "z-a"/, 1],
    ['', /empty/, 0],
  ];
  it.each(refused)('refuses %s with the position', (pattern, message, position) => {
    let err: unknown;
    try {
      compileSafeRegex(pattern);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SafeRegexError);
    expect((err as SafeRegexError).message).toMatch(message);
    expect((err as SafeRegexError).position).toBe(position);
  });

  it('bounds the pattern: length and states', () => {
    expect(() => compileSafeRegex('a'.repeat(MAX_PATTERN_LENGTH + 1))).toThrow(/longer than 256/);
    expect(() => compileSafeRegex('((a{50}){50}){50}')).toThrow(/too complex/);
  });
});
