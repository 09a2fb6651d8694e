import { compilePredicate, compileValueFilterPredicate, parseFilter } from '../../src/expressions';
import type { SchemaView } from '../../src/attributes/types';
import { USER_VIEWS } from './views';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const ann = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
  id: 'usr_1',
  externalId: 'Ext-1',
  userName: 'Ann.Smith@Contoso.com',
  displayName: 'Ann Smith',
  title: 'Support Lead',
  active: true,
  name: { givenName: 'Ann', familyName: 'Smith' },
  emails: [
    { value: 'ann@contoso.com', type: 'work', primary: true },
    { value: 'ANN@home.example', type: 'home' },
  ],
  [ENTERPRISE]: { department: 'Sales', manager: { value: 'usr_9' } },
  meta: { resourceType: 'User', created: '2024-01-10T08:00:00.000Z', lastModified: '2024-03-01T12:30:00.000Z' },
};

const bob = {
  id: 'usr_2',
  userName: 'bob',
  active: false,
  emails: [{ value: 'bob@contoso.com', type: 'home' }],
  meta: { created: '2024-02-01T00:00:00.000Z', lastModified: '2024-02-01T00:00:00.000Z' },
};

const empty = { id: 'usr_3', userName: 'nobody', title: '', name: {}, emails: [] };

describe.each(USER_VIEWS)('compilePredicate (%s)', (_name, view: SchemaView) => {
  const matches = (filter: string) => [ann, bob, empty].filter(compilePredicate(view, parseFilter(filter))).map((r) => r.id);

  it.each([
    ['eq ignores case when caseExact is false', 'userName eq "ann.smith@contoso.COM"', ['usr_1']],
    ['eq respects case when caseExact is true', 'externalId eq "ext-1"', []],
    ['eq on a caseExact attribute with the right case', 'externalId eq "Ext-1"', ['usr_1']],
    ['co', 'displayName co "N SM"', ['usr_1']],
    ['sw', 'userName sw "BO"', ['usr_2']],
    ['ew', 'userName ew "@contoso.com"', ['usr_1']],
    ['gt on strings (case folded)', 'userName gt "b"', ['usr_2', 'usr_3']],
    ['le on strings', 'userName le "bob"', ['usr_1', 'usr_2']],
    ['eq on a boolean', 'active eq true', ['usr_1']],
    ['eq on a boolean written as a string', 'active eq "FALSE"', ['usr_2']],
    ['ne matches when the value differs or is missing', 'active ne true', ['usr_2', 'usr_3']],
    ['ne on a missing attribute matches', 'title ne "x"', ['usr_1', 'usr_2', 'usr_3']],
    ['a multi-valued path matches when any value matches', 'emails.value eq "ann@home.example"', ['usr_1']],
    ['ne on a multi-valued path: no value equals', 'emails.type ne "home"', ['usr_3']],
    ['pr: present and non-empty', 'title pr', ['usr_1']],
    ['pr on a complex attribute needs a non-empty sub-attribute', 'name pr', ['usr_1']],
    ['pr on a multi-valued attribute needs an element', 'emails pr', ['usr_1', 'usr_2']],
    ['pr on a boolean that is false', 'active pr', ['usr_1', 'usr_2']],
    ['a missing attribute never matches gt', 'title gt "a"', ['usr_1']],
    ['dateTime compares as instants', 'meta.created lt "2024-01-31T00:00:00+01:00"', ['usr_1']],
    ['dateTime eq across zones', 'meta.lastModified eq "2024-03-01T13:30:00+01:00"', ['usr_1']],
    ['not', 'not (userName eq "bob")', ['usr_1', 'usr_3']],
    ['and / or', 'active eq true or (userName sw "b" and emails.type eq "home")', ['usr_1', 'usr_2']],
    ['an extension attribute by URN', `${ENTERPRISE}:department eq "sales"`, ['usr_1']],
    ['an extension sub-attribute', `${ENTERPRISE}:manager.value eq "usr_9"`, ['usr_1']],
    ['id', 'id eq "usr_2"', ['usr_2']],
  ])('%s: %s', (_what, filter, expected) => {
    expect(matches(filter)).toEqual(expected);
  });

  it('a value filter needs ONE element to satisfy every condition', () => {
    expect(matches('emails[type eq "home" and value sw "ann"]')).toEqual(['usr_1']);
    expect(matches('emails[type eq "work" and value eq "ANN@home.example"]')).toEqual([]);
    // The same conditions on the flattened paths are met by two different elements.
    expect(matches('emails.type eq "work" and emails.value eq "ANN@home.example"')).toEqual(['usr_1']);
  });

  it('Entra\'s emails[type eq "work"].value eq form is one element', () => {
    expect(matches('emails[type eq "work"].value eq "ANN@contoso.com"')).toEqual(['usr_1']);
    expect(matches('emails[type eq "work"].value eq "ann@home.example"')).toEqual([]);
  });

  it('a value filter with ne and not looks at each element', () => {
    expect(matches('emails[type ne "work"]')).toEqual(['usr_1', 'usr_2']);
    expect(matches('emails[not (type eq "home")]')).toEqual(['usr_1']);
  });

  it('reads a stored dateTime without a zone as UTC, like the filter value', () => {
    const hireDate = 'urn:scim-sync:params:scim:schemas:extension:custom:2.0:User:hireDate';
    const hired = { id: 'usr_4', 'urn:scim-sync:params:scim:schemas:extension:custom:2.0:User': { hireDate: '2022-03-03T03:03:03' } };
    const predicate = compilePredicate(view, parseFilter(`${hireDate} eq "2022-03-03T04:03:03+01:00"`));
    expect(predicate(hired)).toBe(true);
    expect(compilePredicate(view, parseFilter(`${hireDate} gt "2022-03-03T03:03:03"`))(hired)).toBe(false);
  });

  it('compileValueFilterPredicate tests one element with paths relative to it', () => {
    const emails = view.resolve('emails');
    if (!emails) throw new Error('emails must resolve');
    const isWork = compileValueFilterPredicate(view, emails, parseFilter('type eq "WORK" and primary eq true'));
    expect(ann.emails.map(isWork)).toEqual([true, false]);
    expect(isWork('not an element')).toBe(false);
  });

  it('compileValueFilterPredicate refuses unknown sub-attributes', () => {
    const emails = view.resolve('emails');
    if (!emails) throw new Error('emails must resolve');
    expect(() => compileValueFilterPredicate(view, emails, parseFilter('kind eq "work"'))).toThrow(/kind/);
  });
});
