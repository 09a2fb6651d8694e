import { AppError } from '../../src/errors/app-error';
import { bindFilter, compileToMongo, compilePredicate, parseFilter } from '../../src/expressions';
import type { SchemaView } from '../../src/attributes/types';
import { GROUP_VIEWS, USER_VIEWS } from './views';

function refusal(view: SchemaView, text: string): AppError {
  try {
    bindFilter(view, parseFilter(text));
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error(`expected "${text}" to be refused`);
}

describe.each(USER_VIEWS)('binding a User filter (%s)', (_name, view) => {
  it('resolves attribute names case-insensitively, extension paths included', () => {
    const bound = bindFilter(view, parseFilter('USERNAME eq "a" and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:Department eq "Sales"'));
    expect(bound.kind).toBe('and');
    if (bound.kind !== 'and') return;
    const [first, second] = bound.children;
    expect(first?.kind === 'compare' && first.target.attribute.mongoPath).toBe('attrs.userName');
    expect(second?.kind === 'compare' && second.target.attribute.mongoPath).toBe('attrs.enterprise.department');
  });

  it('accepts the strings "true"/"false" in any case for a boolean', () => {
    const bound = bindFilter(view, parseFilter('active eq "False"'));
    expect(bound).toMatchObject({ kind: 'compare', operand: { type: 'boolean', value: false } });
  });

  it('reads a dateTime value as an instant, a missing zone meaning UTC', () => {
    const bound = bindFilter(view, parseFilter('meta.lastModified gt "2024-05-01T10:00:00"'));
    expect(bound).toMatchObject({
      kind: 'compare',
      operand: { type: 'dateTime', instant: Date.UTC(2024, 4, 1, 10), value: '2024-05-01T10:00:00.000Z' },
    });
  });

  it.each([
    ['an unknown attribute', 'nickname2 eq "a"', 'nickname2'],
    ['an unknown sub-attribute', 'name.middle eq "a"', 'name.middle'],
    ['an unknown attribute inside a value filter', 'emails[kind eq "work"]', 'kind'],
    ['an unknown extension attribute', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:shoeSize eq "9"', 'shoeSize'],
    ['a path one level too deep', 'name.givenName.first eq "a"', 'name.givenName.first'],
  ])('refuses %s, naming it', (_what, text, named) => {
    const err = refusal(view, text);
    expect(err.status).toBe(400);
    expect(err.scimType).toBe('invalidFilter');
    expect(err.code).toBe('SCIM_FILTER_UNKNOWN_ATTRIBUTE');
    expect(err.message).toContain(named);
  });

  it.each([
    ['a number for a string', 'userName eq 5'],
    ['a string for a boolean', 'active eq "yes"'],
    ['a number for a boolean', 'active eq 1'],
    ['an ordering operator on a boolean', 'active gt true'],
    ['a substring operator on a boolean', 'active co "t"'],
    ['an ordering operator on binary', 'x509Certificates.value gt "MII"'],
    ['an unparsable dateTime', 'meta.created gt "yesterday"'],
    ['a date without a time', 'meta.created gt "2024-01-01"'],
    ['a substring operator on a dateTime', 'meta.created sw "2024"'],
    ['a comparison on a complex attribute', 'name eq "Ann"'],
    ['a comparison on a multi-valued complex attribute', 'emails co "example.com"'],
    ['null', 'title eq null'],
    ['a value filter on a simple attribute', 'userName[value eq "a"]'],
  ])('refuses %s', (_what, text) => {
    const err = refusal(view, text);
    expect(err.status).toBe(400);
    expect(err.scimType).toBe('invalidFilter');
  });

  it('refuses through every compiler, not only bindFilter', () => {
    const node = parseFilter('shoeSize eq "9"');
    expect(() => compileToMongo(view, node)).toThrow(AppError);
    expect(() => compilePredicate(view, node)).toThrow(AppError);
  });
});

describe('binding numbers and custom attributes (registry)', () => {
  const [, view] = USER_VIEWS[0] as [string, SchemaView];

  it('refuses a string for an integer and a substring operator on a number', () => {
    expect(refusal(view, 'urn:scim-sync:params:scim:schemas:extension:custom:2.0:User:level eq "3"').scimType).toBe('invalidFilter');
    expect(refusal(view, 'urn:scim-sync:params:scim:schemas:extension:custom:2.0:User:level co 3').scimType).toBe('invalidFilter');
  });
});

describe.each(GROUP_VIEWS)('binding a Group filter (%s)', (_name, view) => {
  it('refuses User attributes on groups', () => {
    expect(refusal(view, 'userName eq "a"').code).toBe('SCIM_FILTER_UNKNOWN_ATTRIBUTE');
  });
});
