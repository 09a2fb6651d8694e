import type { mongo } from 'mongoose';
import { compilePredicate, compileToMongo, parseFilter } from '../../src/expressions';
import { loadSchemaRegistry } from '../../src/attributes/registry';
import type { ResourceTypeName } from '../../src/attributes/types';
import { openTestDatabase } from '../helpers/database';

type TestDatabase = Awaited<ReturnType<typeof openTestDatabase>>;

/**
 * The lookups Entra ID and Okta actually send (ANCHORS §1c), run end to end on the database the way
 * the list endpoint will: the compiled query, then the predicate when the query only narrows.
 */
const registry = loadSchemaRegistry();

interface Stored {
  _id: string;
  attrs: Record<string, unknown>;
  lc: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

function stored(type: ResourceTypeName, _id: string, attrs: Record<string, unknown>): Stored {
  const at = new Date('2024-01-01T00:00:00Z');
  return { _id, attrs, lc: registry.shadows(type, attrs), createdAt: at, updatedAt: at };
}

const USERS = [
  stored('User', 'u1', {
    userName: 'Test_User@contoso.com',
    externalId: '7a1f-0001',
    active: true,
    emails: [
      { value: 'test_user@contoso.com', type: 'work', primary: true },
      { value: 'X@Y.com', type: 'home' },
    ],
  }),
  stored('User', 'u2', {
    userName: 'x@y.com',
    externalId: '7A1F-0001',
    active: false,
    emails: [{ value: 'x@y.com', type: 'work' }],
  }),
  stored('User', 'u3', { userName: 'a', active: true }),
];

const GROUPS = [stored('Group', 'g1', { displayName: 'Group1' }), stored('Group', 'g2', { displayName: 'Group10' })];

describe('IdP lookups against the database', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase();
    await db.connection.db!.collection<Stored>('users').insertMany(USERS);
    await db.connection.db!.collection<Stored>('groups').insertMany(GROUPS);
  });

  afterAll(async () => {
    await db?.close();
  });

  async function lookup(type: ResourceTypeName, filter: string): Promise<string[]> {
    const view = registry.view(type);
    const node = parseFilter(filter);
    const { query, exact } = compileToMongo(view, node);
    const collection: mongo.Collection<Stored> = db.connection.db!.collection<Stored>(type === 'User' ? 'users' : 'groups');
    const candidates = await collection.find(query).sort({ _id: 1 }).toArray();
    if (exact) return candidates.map((d) => d._id);
    const predicate = compilePredicate(view, node);
    return candidates.filter((d) => predicate({ ...registry.toScim(type, d.attrs), id: d._id })).map((d) => d._id);
  }

  it.each([
    ['Entra/Okta userName eq, in another case', 'User', 'userName eq "test_user@CONTOSO.com"', ['u1']],
    ['Entra externalId eq (case-exact)', 'User', 'externalId eq "7a1f-0001"', ['u1']],
    ['Entra work email: one element must be the work one', 'User', 'emails[type eq "work"].value eq "x@y.com"', ['u2']],
    ['Entra group by displayName', 'Group', 'displayName eq "group1"', ['g1']],
    ['userName and active', 'User', 'userName eq "a" and active eq true', ['u3']],
    ['deactivated users', 'User', 'active eq false', ['u2']],
  ] as const)('%s: %s', async (_what, type, filter, expected) => {
    expect(await lookup(type, filter)).toEqual(expected);
  });
});
