import { compileToMongo, escapeRegex, parseFilter } from '../../src/expressions';
import type { SchemaView } from '../../src/attributes/types';
import { GROUP_VIEWS, USER_VIEWS } from './views';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe.each(USER_VIEWS)('compileToMongo on Users (%s)', (_name, view: SchemaView) => {
  const compile = (filter: string) => compileToMongo(view, parseFilter(filter));

  describe('the filters IdPs send are exact and index-friendly', () => {
    it('Entra/Okta userName eq uses the lower-cased shadow', () => {
      expect(compile('userName eq "Test_User@Contoso.com"')).toEqual({
        query: { 'lc.userName': 'test_user@contoso.com' },
        exact: true,
        unservedAttributes: [],
      });
    });

    it('Entra externalId eq compares exactly (caseExact)', () => {
      expect(compile('externalId eq "0a1B-2c"')).toMatchObject({ query: { 'attrs.externalId': '0a1B-2c' }, exact: true });
    });

    it('Entra emails[type eq "work"].value eq is exact: index-friendly flattened paths and $elemMatch on one element', () => {
      expect(compile('emails[type eq "work"].value eq "X@Y.com"')).toEqual({
        query: {
          $and: [
            { 'attrs.emails.type': { $regex: '^work\\z', $options: 'i' } },
            { 'lc.emails': 'x@y.com' },
            {
              'attrs.emails': {
                $elemMatch: {
                  $and: [{ type: { $regex: '^work\\z', $options: 'i' } }, { value: { $regex: '^X@Y\\.com\\z', $options: 'i' } }],
                },
              },
            },
          ],
        },
        exact: true,
        unservedAttributes: [],
      });
    });

    it('userName eq ... and active eq true', () => {
      expect(compile('userName eq "a" and active eq true')).toMatchObject({
        query: { $and: [{ 'lc.userName': 'a' }, { 'attrs.active': true }] },
        exact: true,
      });
    });
  });

  it('sw on a shadow is an anchored, case-sensitive prefix regex on lower-cased text', () => {
    expect(compile('userName sw "Ann."').query).toEqual({ 'lc.userName': { $regex: '^ann\\.' } });
  });

  it('co/sw/ew/eq without a shadow use escaped, anchored, case-insensitive regexes', () => {
    expect(compile('title co "a.b*(c)"').query).toEqual({ 'attrs.title': { $regex: 'a\\.b\\*\\(c\\)', $options: 'i' } });
    expect(compile('title sw "^x"').query).toEqual({ 'attrs.title': { $regex: '^\\^x', $options: 'i' } });
    expect(compile('title ew "$"').query).toEqual({ 'attrs.title': { $regex: '\\$\\z', $options: 'i' } });
    expect(compile('title eq "Lead"').query).toEqual({ 'attrs.title': { $regex: '^Lead\\z', $options: 'i' } });
  });

  it('ne is not(eq), which also matches documents without the attribute', () => {
    expect(compile('externalId ne "x"')).toMatchObject({ query: { $nor: [{ 'attrs.externalId': 'x' }] }, exact: true });
    expect(compile('title ne "Lead"').query).toEqual({
      $nor: [{ 'attrs.title': { $regex: '^Lead\\z', $options: 'i' } }],
    });
  });

  it('case-insensitive ordering without a shadow narrows to everything', () => {
    expect(compile('title gt "m"')).toMatchObject({ query: {}, exact: false });
    expect(compile('userName gt "M"')).toMatchObject({ query: { 'lc.userName': { $gt: 'm' } }, exact: true });
  });

  it('meta dates compare as BSON Dates', () => {
    expect(compile('meta.lastModified ge "2024-05-01T10:00:00+02:00"')).toMatchObject({
      query: { updatedAt: { $gte: new Date('2024-05-01T08:00:00Z') } },
      exact: true,
    });
    expect(compile('meta.created pr').query).toEqual({ createdAt: { $type: 'date' } });
  });

  it('pr asks for a non-empty value of the attribute type; on a complex attribute, for any sub-attribute', () => {
    expect(compile('title pr').query).toEqual({ 'attrs.title': { $gt: '' } });
    expect(compile('active pr').query).toEqual({ 'attrs.active': { $in: [true, false] } });
    const name = compile('name pr');
    expect(name.exact).toBe(true);
    expect(name.query).toMatchObject({ $or: expect.arrayContaining([{ 'attrs.name.givenName': { $gt: '' } }]) });
  });

  it('a value filter with one condition is that condition on the flattened path', () => {
    expect(compile('emails[type eq "work"]')).toMatchObject({
      query: { 'attrs.emails.type': { $regex: '^work\\z', $options: 'i' } },
      exact: true,
    });
    expect(compile('emails[type eq "work" or primary eq true]')).toMatchObject({
      query: { $or: [{ 'attrs.emails.type': { $regex: '^work\\z', $options: 'i' } }, { 'attrs.emails.primary': true }] },
      exact: true,
    });
  });

  it('an element-level negation is $nor inside $elemMatch', () => {
    expect(compile('emails[type ne "work"]')).toEqual({
      query: { 'attrs.emails': { $elemMatch: { $nor: [{ type: { $regex: '^work\\z', $options: 'i' } }] } } },
      exact: true,
      unservedAttributes: [],
    });
    expect(compile('emails[not (type eq "work")] and active eq true')).toMatchObject({
      query: { $and: [{ 'attrs.emails': { $elemMatch: { $nor: [{ type: { $regex: '^work\\z', $options: 'i' } }] } } }, { 'attrs.active': true }] },
      exact: true,
    });
  });

  it('a negation inside a single-valued complex attribute narrows (it would match documents without it)', () => {
    expect(compile('name[not (givenName eq "a")]')).toMatchObject({ query: {}, exact: false });
    expect(compile('name[givenName eq "a" and familyName eq "b"]')).toMatchObject({ exact: true });
  });

  it('not of an exact query is $nor; not of a narrowing query narrows to everything', () => {
    expect(compile('not (active eq true)')).toMatchObject({ query: { $nor: [{ 'attrs.active': true }] }, exact: true });
    expect(compile('not (emails[type eq "work" and value eq "a"])')).toMatchObject({ exact: true });
    expect(compile('not (title gt "m")')).toMatchObject({ query: {}, exact: false });
  });

  it('or with a narrowing branch stays a superset', () => {
    expect(compile('title gt "m" or active eq true')).toMatchObject({ query: {}, exact: false });
  });

  it('extension attributes live under attrs.<storageKey>', () => {
    expect(compile(`${ENTERPRISE}:employeeNumber eq "007"`).query).toEqual({
      'attrs.enterprise.employeeNumber': { $regex: '^007\\z', $options: 'i' },
    });
    expect(compile(`${ENTERPRISE}:manager.value eq "usr_9"`).query).toEqual({
      'attrs.enterprise.manager.value': 'usr_9',
    });
  });

  it('attributes not stored on the document are reported and narrow to everything', () => {
    expect(compile('groups.value eq "grp_1"')).toEqual({ query: {}, exact: false, unservedAttributes: ['groups.value'] });
    expect(compile('meta.resourceType eq "User"')).toMatchObject({ query: {}, exact: false });
  });

  it('never emits operators that evaluate code or join', () => {
    const text = JSON.stringify(
      ['emails[type eq "work" and value co "x"] or not (title ne "a")', 'userName ne "a" and meta.created gt "2020-01-01T00:00:00Z"', 'name pr and emails[not (primary eq true)]'].map(
        (f) => compile(f).query,
      ),
    );
    expect(text).not.toMatch(/\$(where|expr|lookup|function|accumulator)/);
  });
});

describe.each(GROUP_VIEWS)('compileToMongo on Groups (%s)', (_name, view: SchemaView) => {
  it('Entra displayName eq on groups uses the shadow', () => {
    expect(compileToMongo(view, parseFilter('displayName eq "Group1"'))).toMatchObject({
      query: { 'lc.displayName': 'group1' },
      exact: true,
    });
  });

  it('members are not on the group document', () => {
    expect(compileToMongo(view, parseFilter('members[value eq "usr_1"]')).unservedAttributes).toEqual(['members']);
  });
});

describe('escapeRegex', () => {
  it('escapes every regex metacharacter', () => {
    const special = '\\^$.*+?()[]{}|';
    expect(new RegExp(`^${escapeRegex(special)}$`).test(special)).toBe(true);
  });
});
