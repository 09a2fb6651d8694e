import fc from 'fast-check';
import { compileRule, loadIdpGroupIds, resolveRuleGroups, ruleMongoQuery, rulePredicate, ruleSubject, type RuleSubject } from '../../../src/domain/rules';
import { loadSchemaRegistry } from '../../../src/attributes/registry';
import { openAppDatabase } from '../../helpers/database';
import { mapConcurrently } from '../../helpers/concurrency';

type AppDatabase = Awaited<ReturnType<typeof openAppDatabase>>;

/**
 * Property (DESIGN §3): on a real MongoDB-wire server, for generated users, IdP groups, memberships and rules
 * (mostly in the product documents' form, some in SCIM syntax, many testing `groups`), the
 * compiled Mongo query selects exactly the users the predicate accepts when it says it is exact,
 * and a superset otherwise; and never a user of another tenant. Few distinct values, mixed case
 * and missing attributes make rules match often and hit the edges.
 */

const registry = loadSchemaRegistry();
const view = registry.view('User');
const TENANT = 'ten_a';
const OTHER_TENANT = 'ten_b';

const TITLES = ['Support Lead', 'support lead', 'Engineer', 'Intern', ''];
const DISPLAY_NAMES = ['Ann Smith', 'ann smith', 'Bob'];
/** userName is unique per tenant: user i is named USER_NAMES[i % 5] + '.' + (i / 5 rounded down). */
const USER_NAMES = ['ann', 'Ann.Smith@Contoso.com', 'bob', 'a.b*c(d)', 'zoë'];
const USER_NAME_VALUES = [...USER_NAMES, 'ann.0', 'ANN.5', 'bob.2', 'zoë.1'];
const GIVEN_NAMES = ['Ann', 'ann', 'Zoë'];
const EMAIL_VALUES = ['ann@support.company.com', 'Ann@Support.Company.com', 'bob@x.org', 'carol@X.org'];
const EMAIL_TYPES = ['work', 'Work', 'home'];
const DEPARTMENTS = ['Sales', 'sales', 'Support', 'R&D'];
const COUNTRIES = ['US', 'us', 'CA', 'DE'];
const EXTERNAL_IDS = ['ext-1', 'EXT-1', 'ext-2'];
const TAGS = ['vip', 'VIP', 'beta'];
const LEVELS = [-1, 0, 1, 2, 7];
const HIRE_DATES = ['2020-01-01T00:00:00Z', '2021-05-05T10:00:00+02:00', '2023-12-31T23:59:59.999Z'];

/** IdP groups of the tenant; "ops" names two of them (displayName of one, externalId of another). */
const IDP_GROUPS = [
  { _id: 'grp_eng', displayName: 'Engineering', externalId: 'ENG' },
  { _id: 'grp_ops', displayName: 'Ops', externalId: 'ops-team' },
  { _id: 'grp_ops2', displayName: 'Ops Team', externalId: 'OPS' },
  { _id: 'grp_sales', displayName: 'Sales' },
  { _id: 'grp_empty', displayName: 'Empty', externalId: 'E-1' },
];
/** Same names, but not the tenant's IdP groups: must never count. */
const DECOY_GROUPS = [
  { _id: 'grp_internal_sales', tenantId: TENANT, origin: 'internal', displayName: 'Sales' },
  { _id: 'grp_other_eng', tenantId: OTHER_TENANT, origin: 'scim', displayName: 'Engineering', externalId: 'ENG' },
];
const GROUP_NAMES = ['Engineering', 'engineering', 'ENG', 'Ops', 'OPS', 'ops-team', 'Ops Team', 'Sales', 'Empty', 'e-1', 'Unknown'];
const SOURCE_SETS = [['scim'], ['scim'], ['manual'], ['rule:r1', 'scim'], ['rule:r2']];

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const withoutUndefined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const attrsArb = fc
  .record({
    externalId: optional(fc.constantFrom(...EXTERNAL_IDS)),
    displayName: optional(fc.constantFrom(...DISPLAY_NAMES)),
    title: optional(fc.constantFrom(...TITLES)),
    active: optional(fc.boolean()),
    name: optional(fc.record({ givenName: optional(fc.constantFrom(...GIVEN_NAMES)) }).map(withoutUndefined)),
    emails: optional(
      fc.array(fc.record({ value: optional(fc.constantFrom(...EMAIL_VALUES)), type: optional(fc.constantFrom(...EMAIL_TYPES)), primary: optional(fc.boolean()) }).map(withoutUndefined), {
        maxLength: 3,
      }),
    ),
    enterprise: optional(fc.record({ department: optional(fc.constantFrom(...DEPARTMENTS)) }).map(withoutUndefined)),
    custom: optional(
      fc
        .record({
          country: optional(fc.constantFrom(...COUNTRIES)),
          level: optional(fc.constantFrom(...LEVELS)),
          tags: optional(fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 2 })),
          hireDate: optional(fc.constantFrom(...HIRE_DATES)),
          contractor: optional(fc.boolean()),
        })
        .map(withoutUndefined),
    ),
  })
  .map(withoutUndefined);

const groupIdsArb = fc.subarray([...IDP_GROUPS.map((g) => g._id), 'grp_internal_sales'], { maxLength: 3 });

const generatedUserArb = fc.record({
  attrs: attrsArb,
  memberships: groupIdsArb.chain((ids) => fc.tuple(...ids.map((id) => fc.tuple(fc.constant(id), fc.constantFrom(...SOURCE_SETS))))),
});

// ---- rules ----------------------------------------------------------------------------------------

function nearArb(pool: readonly string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...pool), fc.constantFrom('same', 'upper', 'lower', 'head', 'tail')).map(([v, how]) => {
    if (how === 'upper') return v.toUpperCase();
    if (how === 'lower') return v.toLowerCase();
    if (how === 'head') return v.slice(0, Math.ceil(v.length / 2));
    if (how === 'tail') return v.slice(Math.floor(v.length / 2));
    return v;
  });
}

const quote = (v: string, single: boolean) => (single ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(v));
const keyword = (word: string) => fc.constantFrom(word, word.toLowerCase(), word[0] + word.slice(1).toLowerCase());

interface StringTarget {
  path: string;
  pool: readonly string[];
}
const STRING_TARGETS: StringTarget[] = [
  { path: 'title', pool: TITLES },
  { path: 'displayName', pool: DISPLAY_NAMES },
  { path: 'userName', pool: USER_NAME_VALUES },
  { path: 'externalId', pool: EXTERNAL_IDS },
  { path: 'name.givenName', pool: GIVEN_NAMES },
  { path: 'email', pool: EMAIL_VALUES },
  { path: 'emails.type', pool: EMAIL_TYPES },
  { path: 'department', pool: DEPARTMENTS },
  { path: 'country', pool: COUNTRIES },
  { path: 'tags', pool: TAGS },
];

const stringConditionArb = fc.constantFrom(...STRING_TARGETS).chain((t) =>
  fc.oneof(
    fc.tuple(fc.constantFrom('=', '!=', '<', '>='), nearArb(t.pool), fc.boolean()).map(([op, v, single]) => `${t.path} ${op} ${quote(v, single)}`),
    fc
      .tuple(keyword('IN'), fc.boolean(), fc.array(nearArb(t.pool), { minLength: 1, maxLength: 3 }))
      .map(([inWord, negated, vs]) => `${t.path} ${negated ? 'NOT ' : ''}${inWord} ${vs.map((v) => JSON.stringify(v)).join(',')}`),
    fc.tuple(fc.constantFrom('endsWith', 'startsWith', 'contains'), nearArb(t.pool), fc.boolean()).map(([method, v, single]) => `${t.path}.${method}(${quote(v, single)})`),
    fc.constantFrom(`${t.path} = null`, `${t.path} != null`),
  ),
);

const otherConditionArb = fc.oneof(
  fc.tuple(fc.constantFrom('active', 'contractor', 'emails.primary'), fc.constantFrom('=', '!='), fc.constantFrom('true', 'false', '"True"')).map(([path, op, v]) => `${path} ${op} ${v}`),
  fc.tuple(fc.constantFrom('=', '!=', '<', '<=', '>', '>='), fc.constantFrom(...LEVELS, 1.5)).map(([op, v]) => `level ${op} ${v}`),
  fc.tuple(fc.constantFrom('=', '!=', '<', '>'), fc.constantFrom(...HIRE_DATES)).map(([op, v]) => `hireDate ${op} "${v}"`),
  fc.constantFrom('manager = null', 'name != null', 'emails != null'),
);

const groupsConditionArb = fc.oneof(
  fc.tuple(fc.constantFrom('=', '!='), fc.constantFrom(...GROUP_NAMES)).map(([op, name]) => `groups ${op} "${name}"`),
  fc
    .tuple(fc.boolean(), fc.array(fc.constantFrom(...GROUP_NAMES), { minLength: 1, maxLength: 3 }))
    .map(([negated, names]) => `groups ${negated ? 'not in' : 'in'} ${names.map((n) => JSON.stringify(n)).join(', ')}`),
);

const conditionArb = fc.oneof(stringConditionArb, stringConditionArb, otherConditionArb, groupsConditionArb, groupsConditionArb);

const productRuleArb: fc.Arbitrary<string> = fc.letrec<{ rule: string }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    conditionArb,
    conditionArb,
    fc.tuple(tie('rule'), fc.constantFrom('AND', 'OR', 'and', 'Or'), tie('rule')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    fc.tuple(tie('rule'), fc.constantFrom('AND', 'OR'), tie('rule')).map(([a, op, b]) => `${a} ${op} ${b}`),
    tie('rule').map((a) => `NOT (${a})`),
  ),
})).rule;

/** SCIM syntax with groups and value filters, so both fronts meet the same compilers. */
const SCIM_CONDITIONS = ['title pr', 'emails[type eq "work" and value ew "@support.company.com"]', 'not (active eq false)'];
const scimRuleArb = fc.oneof(
  fc.tuple(fc.constantFrom('eq', 'ne'), fc.constantFrom(...GROUP_NAMES), fc.constantFrom(...SCIM_CONDITIONS)).map(([op, name, other]) => `groups ${op} "${name}" and ${other}`),
  fc.tuple(fc.constantFrom(...GROUP_NAMES), fc.constantFrom(...DEPARTMENTS)).map(([name, d]) => `groups eq "${name}" or department eq "${d}"`),
);

const RULE_COUNT = 300;

describe('the rule compilers agree', () => {
  let db: AppDatabase;
  let subjects: { id: string; subject: RuleSubject }[];
  let otherTenantIds: Set<string>;

  beforeAll(async () => {
    db = await openAppDatabase();
    const now = new Date('2024-01-01T00:00:00Z');
    const groupDoc = (g: { _id: string; displayName: string; externalId?: string }, tenantId: string, origin: string) => ({
      _id: g._id,
      tenantId,
      origin,
      attrs: g.externalId === undefined ? { displayName: g.displayName } : { displayName: g.displayName, externalId: g.externalId },
      lc: { displayName: g.displayName.toLowerCase() },
      version: 1,
      sync: { version: 1 },
      createdAt: now,
      updatedAt: now,
    });
    await db.models.Group.collection.insertMany([...IDP_GROUPS.map((g) => groupDoc(g, TENANT, 'scim')), ...DECOY_GROUPS.map((g) => groupDoc(g, g.tenantId, g.origin))] as never[]);

    const generated = fc.sample(generatedUserArb, { numRuns: 200, seed: 4242 });
    const users = generated.map((g, i) => {
      const attrs = { userName: `${USER_NAMES[i % 5]}.${Math.floor(i / 5)}`, ...g.attrs };
      return {
        _id: `usr_${String(i).padStart(3, '0')}`,
        tenantId: i % 10 === 9 ? OTHER_TENANT : TENANT,
        attrs,
        lc: registry.shadows('User', attrs),
        version: 1,
        sync: { version: 1 },
        createdAt: now,
        updatedAt: now,
      };
    });
    const memberships = generated.flatMap((g, i) => {
      const user = users[i]!;
      // The other tenant's users are in its own Engineering group (same name, same externalId).
      const pairs = user.tenantId === OTHER_TENANT ? [['grp_other_eng', ['scim']] as const] : g.memberships;
      return pairs.map(([groupId, sources]) => ({
        _id: `${groupId}|${user._id}`,
        tenantId: user.tenantId,
        groupId,
        userId: user._id,
        role: 'member',
        sources: [...sources],
        createdAt: now,
        updatedAt: now,
      }));
    });
    await db.models.User.collection.insertMany(users as never[]);
    await db.models.Membership.collection.insertMany(memberships as never[]);

    const tenantUsers = users.filter((u) => u.tenantId === TENANT);
    otherTenantIds = new Set(users.filter((u) => u.tenantId === OTHER_TENANT).map((u) => u._id));
    const idpGroupIds = await loadIdpGroupIds(
      db.models,
      TENANT,
      tenantUsers.map((u) => u._id),
    );
    subjects = tenantUsers.map((u) => ({
      id: u._id,
      subject: ruleSubject(
        {
          ...registry.toScim('User', u.attrs),
          id: u._id,
          meta: { resourceType: 'User', created: u.createdAt.toISOString(), lastModified: u.updatedAt.toISOString() },
        },
        idpGroupIds.get(u._id),
      ),
    }));
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('generates users in IdP groups', () => {
    expect(subjects.filter((s) => s.subject.idpGroupIds.size > 0).length).toBeGreaterThan(20);
  });

  it('on generated users, memberships and rules in both syntaxes', async () => {
    const texts = [...new Set([...fc.sample(productRuleArb, { numRuns: RULE_COUNT, seed: 20240917 }), ...fc.sample(scimRuleArb, { numRuns: 40, seed: 7 })])];
    const rules = texts.map((text) => compileRule(view, text));
    // As the worker does: one resolution for all the tenant's rules.
    const groups = await resolveRuleGroups(db.models, TENANT, rules, { members: true });
    const outcomes = await mapConcurrently(rules, 6, async (rule) => {
      const text = rule.text;
      const { query, exact } = ruleMongoQuery(rule, { tenantId: TENANT, groups });
      const predicate = rulePredicate(rule, { tenantId: TENANT, groups });
      const found = await db.models.User.collection.find(query as never, { projection: { _id: 1 } }).toArray();
      const fromMongo = new Set(found.map((d) => String(d._id)));
      const fromPredicate = subjects.filter((s) => predicate(s.subject)).map((s) => s.id);
      const missing = fromPredicate.filter((id) => !fromMongo.has(id));
      const extra = exact ? [...fromMongo].filter((id) => !fromPredicate.includes(id)) : [];
      const leaked = [...fromMongo].filter((id) => otherTenantIds.has(id));
      return { text, syntax: rule.syntax, usesGroups: rule.usesGroups, exact, matched: fromPredicate.length, missing, extra, leaked, query };
    });

    const failures = outcomes
      .filter((o) => o.missing.length > 0 || o.extra.length > 0 || o.leaked.length > 0)
      .sort((a, b) => a.text.length - b.text.length)
      .slice(0, 5);
    expect(failures).toEqual([]);
    // The generators are useful only if they exercise what the property is about.
    const count = (pred: (o: (typeof outcomes)[number]) => boolean) => outcomes.filter(pred).length;
    expect(count((o) => o.exact)).toBeGreaterThan(texts.length / 2);
    expect(count((o) => o.matched > 0 && o.matched < subjects.length)).toBeGreaterThan(texts.length / 3);
    expect(count((o) => o.usesGroups && o.exact && o.matched > 0)).toBeGreaterThan(40);
    expect(count((o) => o.syntax === 'scim')).toBeGreaterThan(10);
  }, 180_000);
});
