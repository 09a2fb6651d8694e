import fc from 'fast-check';
import type { mongo } from 'mongoose';
import { compilePredicate, compileToMongo, parseFilter } from '../../src/expressions';
import { loadSchemaRegistry } from '../../src/attributes/registry';
import { openTestDatabase } from '../helpers/database';
import { mapConcurrently } from '../helpers/concurrency';

type TestDatabase = Awaited<ReturnType<typeof openTestDatabase>>;

/**
 * Property: on a real MongoDB-wire server, the Mongo query and the in-memory predicate select the same users
 * (exact queries), or the query selects a superset (narrowing queries, finished by the predicate).
 * Users come in the stored-document shape; the predicate sees the registry's SCIM JSON for them.
 * Few distinct values, mixed case and missing attributes make filters match often and hit edges.
 */

const registry = loadSchemaRegistry();
const view = registry.view('User');
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CUSTOM = 'urn:scim-sync:params:scim:schemas:extension:custom:2.0:User';

const USER_NAMES = ['ann', 'Ann.Smith@Contoso.com', 'ANN.SMITH@contoso.com', 'bob', 'Bob@x.org', 'carol', 'a.b*c(d)', 'zoë'];
const DISPLAY_NAMES = ['Ann Smith', 'ann smith', 'Bob', 'Carol X', ''];
const TITLES = ['Support Lead', 'support lead', 'Engineer', 'engineer II', ''];
const GIVEN_NAMES = ['Ann', 'ann', 'Bob', 'Zoë'];
const FAMILY_NAMES = ['Smith', 'SMITH', 'Jones'];
const EMAIL_VALUES = ['ann@contoso.com', 'Ann@Contoso.com', 'bob@x.org', 'carol@X.org', ''];
const EMAIL_TYPES = ['work', 'Work', 'home', 'other'];
const DEPARTMENTS = ['Sales', 'sales', 'Support', 'R&D'];
const EMPLOYEE_NUMBERS = ['007', 'A-1', 'a-1', '42'];
const EXTERNAL_IDS = ['ext-1', 'EXT-1', 'ext-2'];
const TAGS = ['vip', 'VIP', 'beta', 'emea'];
const LEVELS = [-1, 0, 1, 2, 7];
const INSTANTS = ['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.500Z', '2024-06-15T12:00:00.000Z', '2025-01-01T00:00:00.000Z'];
const HIRE_DATES = ['2020-01-01T00:00:00Z', '2021-05-05T10:00:00+02:00', '2023-12-31T23:59:59.999Z'];

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const withoutUndefined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const emailArb = fc
  .record({
    value: optional(fc.constantFrom(...EMAIL_VALUES)),
    type: optional(fc.constantFrom(...EMAIL_TYPES)),
    primary: optional(fc.boolean()),
  })
  .map(withoutUndefined);

const attrsArb = fc
  .record({
    userName: fc.constantFrom(...USER_NAMES),
    externalId: optional(fc.constantFrom(...EXTERNAL_IDS)),
    displayName: optional(fc.constantFrom(...DISPLAY_NAMES)),
    title: optional(fc.constantFrom(...TITLES)),
    active: optional(fc.boolean()),
    name: optional(fc.record({ givenName: optional(fc.constantFrom(...GIVEN_NAMES)), familyName: optional(fc.constantFrom(...FAMILY_NAMES)) }).map(withoutUndefined)),
    emails: optional(fc.array(emailArb, { maxLength: 3 })),
    enterprise: optional(
      fc
        .record({
          department: optional(fc.constantFrom(...DEPARTMENTS)),
          employeeNumber: optional(fc.constantFrom(...EMPLOYEE_NUMBERS)),
        })
        .map(withoutUndefined),
    ),
    custom: optional(
      fc
        .record({
          level: optional(fc.constantFrom(...LEVELS)),
          tags: optional(fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3 })),
          hireDate: optional(fc.constantFrom(...HIRE_DATES)),
        })
        .map(withoutUndefined),
    ),
  })
  .map(withoutUndefined);

interface StoredUser {
  _id: string;
  tenantId: string;
  attrs: Record<string, unknown>;
  lc: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

const storedUserArb = fc.record({ attrs: attrsArb, created: fc.constantFrom(...INSTANTS), modified: fc.constantFrom(...INSTANTS) }).map(({ attrs, created, modified }) => ({
  tenantId: 'tenant-1',
  attrs,
  lc: registry.shadows('User', attrs),
  createdAt: new Date(created),
  updatedAt: new Date(modified),
}));

function toScimJson(user: StoredUser): Record<string, unknown> {
  return {
    ...registry.toScim('User', user.attrs),
    id: user._id,
    meta: { resourceType: 'User', created: user.createdAt.toISOString(), lastModified: user.updatedAt.toISOString() },
  };
}

// ---- filters ------------------------------------------------------------------------------------

/** A value near the pool: as is, re-cased, or a piece of it (for co/sw/ew). */
function stringValueArb(pool: readonly string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...pool), fc.constantFrom('same', 'upper', 'lower', 'head', 'tail', 'middle')).map(([v, how]) => {
    switch (how) {
      case 'upper':
        return v.toUpperCase();
      case 'lower':
        return v.toLowerCase();
      case 'head':
        return v.slice(0, Math.ceil(v.length / 2));
      case 'tail':
        return v.slice(Math.floor(v.length / 2));
      case 'middle':
        return v.slice(1, -1);
      default:
        return v;
    }
  });
}

const STRING_OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr'] as const;
const ORDERED_OPS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'pr'] as const;
const BOOLEAN_OPS = ['eq', 'ne', 'pr'] as const;

type Kind = 'string' | 'boolean' | 'integer' | 'dateTime';
interface Target {
  path: string;
  kind: Kind;
  pool?: readonly string[];
}

const TOP_LEVEL: Target[] = [
  { path: 'userName', kind: 'string', pool: USER_NAMES },
  { path: 'displayName', kind: 'string', pool: DISPLAY_NAMES },
  { path: 'title', kind: 'string', pool: TITLES },
  { path: 'externalId', kind: 'string', pool: EXTERNAL_IDS },
  { path: 'id', kind: 'string', pool: ['u001', 'u002', 'U003', 'u1'] },
  { path: 'name.givenName', kind: 'string', pool: GIVEN_NAMES },
  { path: 'name.familyName', kind: 'string', pool: FAMILY_NAMES },
  { path: 'emails.value', kind: 'string', pool: EMAIL_VALUES },
  { path: 'emails.type', kind: 'string', pool: EMAIL_TYPES },
  { path: 'emails.primary', kind: 'boolean' },
  { path: 'active', kind: 'boolean' },
  { path: `${ENTERPRISE}:department`, kind: 'string', pool: DEPARTMENTS },
  { path: `${ENTERPRISE}:employeeNumber`, kind: 'string', pool: EMPLOYEE_NUMBERS },
  { path: `${CUSTOM}:tags`, kind: 'string', pool: TAGS },
  { path: `${CUSTOM}:level`, kind: 'integer' },
  { path: `${CUSTOM}:hireDate`, kind: 'dateTime', pool: HIRE_DATES },
  { path: 'meta.created', kind: 'dateTime', pool: INSTANTS },
  { path: 'meta.lastModified', kind: 'dateTime', pool: INSTANTS },
];

const EMAIL_SUBS: Target[] = [
  { path: 'value', kind: 'string', pool: EMAIL_VALUES },
  { path: 'type', kind: 'string', pool: EMAIL_TYPES },
  { path: 'primary', kind: 'boolean' },
];

function comparisonArb(targets: Target[]): fc.Arbitrary<string> {
  return fc.constantFrom(...targets).chain((target) => {
    switch (target.kind) {
      case 'boolean':
        return fc.tuple(fc.constantFrom(...BOOLEAN_OPS), fc.constantFrom('true', 'false', '"True"', '"false"')).map(([op, v]) => (op === 'pr' ? `${target.path} pr` : `${target.path} ${op} ${v}`));
      case 'integer':
        return fc.tuple(fc.constantFrom(...ORDERED_OPS), fc.constantFrom(...LEVELS, 1.5)).map(([op, v]) => (op === 'pr' ? `${target.path} pr` : `${target.path} ${op} ${v}`));
      case 'dateTime':
        return fc.tuple(fc.constantFrom(...ORDERED_OPS), fc.constantFrom(...(target.pool ?? []))).map(([op, v]) => (op === 'pr' ? `${target.path} pr` : `${target.path} ${op} ${JSON.stringify(v)}`));
      case 'string':
        return fc.tuple(fc.constantFrom(...STRING_OPS), stringValueArb(target.pool ?? ['x'])).map(([op, v]) => (op === 'pr' ? `${target.path} pr` : `${target.path} ${op} ${JSON.stringify(v)}`));
    }
  });
}

const presentComplexArb = fc.constantFrom('name pr', 'emails pr', `${ENTERPRISE}:manager pr`);

const elementFilterArb: fc.Arbitrary<string> = fc.letrec<{ el: string }>((tie) => ({
  el: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparisonArb(EMAIL_SUBS),
    fc.tuple(tie('el'), fc.constantFrom('and', 'or'), tie('el')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('el').map((a) => `not (${a})`),
  ),
})).el;

const valuePathArb = fc.oneof(
  elementFilterArb.map((f) => `emails[${f}]`),
  // Entra's form: emails[type eq "work"].value eq "x"
  fc.tuple(comparisonArb(EMAIL_SUBS.slice(1)), comparisonArb([EMAIL_SUBS[0] as Target])).map(([inner, outer]) => `emails[${inner}].${outer}`),
);

const filterArb: fc.Arbitrary<string> = fc.letrec<{ f: string }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparisonArb(TOP_LEVEL),
    comparisonArb(TOP_LEVEL),
    valuePathArb,
    presentComplexArb,
    fc.tuple(tie('f'), fc.constantFrom('and', 'or'), tie('f')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('f').map((a) => `not (${a})`),
  ),
})).f;

const FILTER_COUNT = 1000;

// ---- the property -------------------------------------------------------------------------------

describe('the Mongo and predicate compilers agree', () => {
  let db: TestDatabase;
  let users: mongo.Collection<StoredUser>;
  let scimUsers: { id: string; json: Record<string, unknown> }[];

  beforeAll(async () => {
    db = await openTestDatabase();
    users = db.connection.db!.collection<StoredUser>('users');
    const generated = fc.sample(storedUserArb, { numRuns: 200, seed: 7 });
    const stored: StoredUser[] = generated.map((u, i) => ({ _id: `u${String(i).padStart(3, '0')}`, ...u }));
    // A few edge cases the generator may miss.
    stored.push(
      // Shadows as the registry derives them (userName compared after trimming: 'bob\n' is 'bob').
      {
        _id: 'U003',
        tenantId: 'tenant-1',
        attrs: { userName: 'edge', title: 'x\ny' },
        lc: registry.shadows('User', { userName: 'edge', title: 'x\ny' }),
        createdAt: new Date(INSTANTS[0] as string),
        updatedAt: new Date(INSTANTS[1] as string),
      },
      {
        _id: 'u1',
        tenantId: 'tenant-1',
        attrs: { userName: 'bob\n', emails: [{}] },
        lc: registry.shadows('User', { userName: 'bob\n', emails: [{}] }),
        createdAt: new Date(INSTANTS[2] as string),
        updatedAt: new Date(INSTANTS[3] as string),
      },
    );
    await users.insertMany(stored);
    scimUsers = stored.map((u) => ({ id: u._id, json: toScimJson(u) }));
  });

  afterAll(async () => {
    await db?.close();
  });

  it('on generated users and filters', async () => {
    // Filters are drawn with fast-check (seeded, reproducible) and checked concurrently, since
    // each is a database round trip; failures are reported shortest first.
    const filters = [...new Set(fc.sample(filterArb, { numRuns: FILTER_COUNT, seed: 20240601 }))];
    const outcomes = await mapConcurrently(filters, 6, async (text) => {
      const node = parseFilter(text);
      const { query, exact } = compileToMongo(view, node);
      const predicate = compilePredicate(view, node);
      const fromMongo = new Set((await users.find(query, { projection: { _id: 1 } }).toArray()).map((d) => d._id));
      const fromPredicate = scimUsers.filter((u) => predicate(u.json)).map((u) => u.id);
      const missing = fromPredicate.filter((id) => !fromMongo.has(id));
      const extra = exact ? [...fromMongo].filter((id) => !fromPredicate.includes(id)) : [];
      return { text, query, exact, matched: fromPredicate.length, missing, extra };
    });

    const failures = outcomes
      .filter((o) => o.missing.length > 0 || o.extra.length > 0)
      .sort((a, b) => a.text.length - b.text.length)
      .slice(0, 5);
    expect(failures).toEqual([]);
    // The generator is useful only if most filters are exact and many match something.
    expect(outcomes.filter((o) => o.exact).length).toBeGreaterThan(filters.length / 2);
    expect(outcomes.filter((o) => o.matched > 0).length).toBeGreaterThan(filters.length / 3);
  });
});
