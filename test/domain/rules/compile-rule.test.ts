import { compileRule, MAX_MEMBER_IDS_IN_QUERY, ruleMongoQuery, rulePredicate, ruleSubject, type RuleGroups } from '../../../src/domain/rules';
import { benchRuleEvaluation } from '../../../src/domain/rules/bench';
import { loadSchemaRegistry } from '../../../src/attributes/registry';

const view = loadSchemaRegistry().view('User');
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CUSTOM = 'urn:scim-sync:params:scim:schemas:extension:custom:2.0:User';

const ann = {
  id: 'usr_ann',
  externalId: 'EXT-1',
  userName: 'ann@company.com',
  title: 'Support Lead',
  active: true,
  emails: [
    { value: 'Ann@Support.Company.com', type: 'work' },
    { value: 'ann@home.example', type: 'home' },
  ],
  [ENTERPRISE]: { department: 'Sales' },
  [CUSTOM]: { country: 'ca', level: 3, hireDate: '2021-05-05T10:00:00+02:00' },
};
const bob = { id: 'usr_bob', userName: 'bob', emails: [] };

const groups: RuleGroups = {
  groupIdsByName: new Map([
    ['engineering', ['grp_eng']],
    ['ops', ['grp_ops', 'grp_ops_legacy']],
    ['nobody', []],
  ]),
  memberUserIdsByGroupId: new Map([
    ['grp_eng', ['usr_ann']],
    ['grp_ops', ['usr_bob']],
    ['grp_ops_legacy', ['usr_bob', 'usr_carol']],
  ]),
};
const ctx = { tenantId: 'ten_1', groups };

function matches(text: string, scim: Record<string, unknown>, idpGroupIds: string[] = []): boolean {
  return rulePredicate(compileRule(view, text), ctx)(ruleSubject(scim, new Set(idpGroupIds)));
}

describe('compileRule', () => {
  it('lists the attributes a rule depends on, canonical and qualified', () => {
    const rule = compileRule(view, 'department = "Sales" AND (country in "US","CA" OR title != "Intern") AND email.endsWith("@x.com")');
    expect(rule.attributes).toEqual(['emails.value', 'title', `${ENTERPRISE}:department`, `${CUSTOM}:country`]);
    expect(rule.usesGroups).toBe(false);
    expect(rule.syntax).toBe('product');
  });

  it('marks rules that test IdP groups and lists the names they test', () => {
    const rule = compileRule(view, 'groups in "Engineering","OPS" OR groups = "ops"');
    expect(rule.usesGroups).toBe(true);
    expect(rule.groupNames).toEqual(['engineering', 'ops']);
    expect(rule.attributes).toEqual(['groups']);
    expect(compileRule(view, 'groups eq "Engineering" and emails[type eq "work"]').attributes).toEqual(['emails.type', 'groups']);
  });
});

describe('rulePredicate', () => {
  it('follows caseExact: department ignores case, externalId does not', () => {
    expect(matches('department = "SALES"', ann)).toBe(true);
    expect(matches('externalId = "ext-1"', ann)).toBe(false);
    expect(matches('externalId = "EXT-1"', ann)).toBe(true);
  });

  it('treats != as not(=): true when the attribute is absent', () => {
    expect(matches('title != "Intern"', ann)).toBe(true);
    expect(matches('title != "support lead"', ann)).toBe(false);
    expect(matches('title != "Intern"', bob)).toBe(true);
  });

  it('reads "in" as any of the values', () => {
    expect(matches('country in "US","CA"', ann)).toBe(true);
    expect(matches('country in "US","DE"', ann)).toBe(false);
    expect(matches('country not in "US","DE"', ann)).toBe(true);
  });

  it('matches email calls against any of the user emails, ignoring case', () => {
    expect(matches("email.endsWith('@support.company.com')", ann)).toBe(true);
    expect(matches("email.startsWith('ANN@HOME')", ann)).toBe(true);
    expect(matches("email.contains('@nowhere')", ann)).toBe(false);
    expect(matches("email.endsWith('@support.company.com')", bob)).toBe(false);
  });

  it('evaluates the design example', () => {
    const rule = 'department = "Sales" AND (country in "US","CA" OR title != "Intern")';
    expect(matches(rule, ann)).toBe(true);
    expect(matches(rule, { ...ann, [ENTERPRISE]: { department: 'Support' } })).toBe(false);
    expect(matches(rule, { ...ann, title: 'Intern', [CUSTOM]: { country: 'DE' } })).toBe(false);
  });

  it('compares numbers, booleans, dateTimes as instants, and null checks', () => {
    expect(matches('level >= 3 AND active = true', ann)).toBe(true);
    expect(matches('level > 3', ann)).toBe(false);
    expect(matches('hireDate < "2021-05-05T08:00:01Z"', ann)).toBe(true);
    expect(matches('hireDate > "2021-05-05T08:00:00Z"', ann)).toBe(false);
    expect(matches('manager = null', ann)).toBe(true);
    expect(matches('title != null', bob)).toBe(false);
  });

  it('evaluates SCIM value filters on one element', () => {
    expect(matches('emails[type eq "work" and value ew "@support.company.com"]', ann)).toBe(true);
    expect(matches('emails[type eq "home" and value ew "@support.company.com"]', ann)).toBe(false);
  });

  it('tests IdP groups by the resolved group ids of the subject', () => {
    expect(matches('groups = "Engineering"', ann, ['grp_eng'])).toBe(true);
    expect(matches('groups eq "engineering"', ann, ['grp_ops'])).toBe(false);
    expect(matches('groups = "Ops"', bob, ['grp_ops_legacy'])).toBe(true);
    expect(matches('groups != "Ops"', bob, ['grp_eng'])).toBe(true);
    expect(matches('groups = "Nobody"', bob, ['grp_eng'])).toBe(false);
    expect(matches('groups = "Never Resolved"', bob, ['grp_eng'])).toBe(false);
  });

  it('evaluates the same predicate on successive subjects without mixing their values', () => {
    const predicate = rulePredicate(compileRule(view, 'department = "Sales"'), ctx);
    const other = rulePredicate(compileRule(view, 'department != "Sales"'), ctx);
    const subjects = [ann, bob, ann, bob].map((scim) => ruleSubject(scim));
    expect(subjects.map((s) => [predicate(s), other(s)])).toEqual([
      [true, false],
      [false, true],
      [true, false],
      [false, true],
    ]);
  });

  it('needs the group resolution for a rule that tests groups', () => {
    expect(() => rulePredicate(compileRule(view, 'groups = "Engineering"'), { tenantId: 'ten_1' })).toThrow(/resolveRuleGroups/);
  });
});

describe('ruleMongoQuery', () => {
  it('scopes every query by tenant', () => {
    expect(ruleMongoQuery(compileRule(view, 'title = "Lead"'), ctx)).toEqual({
      query: { tenantId: 'ten_1', 'attrs.title': { $regex: '^Lead\\z', $options: 'i' } },
      exact: true,
    });
    expect(ruleMongoQuery(compileRule(view, 'title pr or not (title pr)'), ctx).query).toMatchObject({ tenantId: 'ten_1' });
  });

  it('turns groups into the member ids of every group so named', () => {
    expect(ruleMongoQuery(compileRule(view, 'groups = "ops"'), ctx)).toEqual({
      query: { tenantId: 'ten_1', _id: { $in: ['usr_bob', 'usr_carol'] } },
      exact: true,
    });
    expect(ruleMongoQuery(compileRule(view, 'groups != "Engineering"'), ctx)).toEqual({
      query: { tenantId: 'ten_1', $nor: [{ _id: { $in: ['usr_ann'] } }] },
      exact: true,
    });
    expect(ruleMongoQuery(compileRule(view, 'groups = "Unknown"'), ctx).query).toEqual({ tenantId: 'ten_1', _id: { $in: [] } });
  });

  it('says when it only narrows, so the caller finishes with the predicate', () => {
    // Value filters are exact ($elemMatch); case-insensitive ordering without a shadow needs collation.
    expect(ruleMongoQuery(compileRule(view, 'emails[type eq "work" and value ew "@x.com"]'), ctx).exact).toBe(true);
    expect(ruleMongoQuery(compileRule(view, 'title gt "m"'), ctx).exact).toBe(false);
    const huge: RuleGroups = {
      groupIdsByName: new Map([['all', ['grp_all']]]),
      memberUserIdsByGroupId: new Map([['grp_all', Array.from({ length: MAX_MEMBER_IDS_IN_QUERY + 1 }, (_, i) => `u${i}`)]]),
    };
    expect(ruleMongoQuery(compileRule(view, 'groups = "All" AND title = "x"'), { tenantId: 't', groups: huge })).toEqual({
      query: { tenantId: 't', 'attrs.title': { $regex: '^x\\z', $options: 'i' } },
      exact: false,
    });
  });

  it('needs the members of the groups a rule tests', () => {
    const rule = compileRule(view, 'groups = "Engineering"');
    expect(() => ruleMongoQuery(rule, { tenantId: 't', groups: { groupIdsByName: groups.groupIdsByName } })).toThrow(/members: true/);
  });
});

describe('benchRuleEvaluation', () => {
  it('reports the time per user for the number of rules asked', () => {
    const result = benchRuleEvaluation({ rules: 100, users: 20, rounds: 1 });
    expect(result.rules).toBe(100);
    expect(result.usPerUser).toBeGreaterThan(0);
  });
});
