import { compileRule, loadIdpGroupIds, resolveRuleGroups, ruleMongoQuery } from '../../../src/domain/rules';
import { loadSchemaRegistry } from '../../../src/attributes/registry';
import { openAppDatabase } from '../../helpers/database';

type AppDatabase = Awaited<ReturnType<typeof openAppDatabase>>;

const view = loadSchemaRegistry().view('User');
const now = new Date('2024-01-01T00:00:00Z');

function group(_id: string, tenantId: string, origin: 'scim' | 'internal', displayName: string, externalId?: string) {
  const attrs: Record<string, unknown> = { displayName };
  if (externalId !== undefined) attrs.externalId = externalId;
  return { _id, tenantId, origin, attrs, lc: { displayName: displayName.toLowerCase() }, version: 1, sync: { version: 1 }, createdAt: now, updatedAt: now };
}

function membership(groupId: string, userId: string, tenantId: string, sources: string[]) {
  return { _id: `${groupId}|${userId}`, tenantId, groupId, userId, role: 'member', sources, createdAt: now, updatedAt: now };
}

function user(_id: string, tenantId: string) {
  return { _id, tenantId, attrs: { userName: _id }, lc: { userName: _id, emails: [] }, version: 1, sync: { version: 1 }, createdAt: now, updatedAt: now };
}

describe('resolving the IdP groups rules name', () => {
  let db: AppDatabase;

  beforeAll(async () => {
    db = await openAppDatabase();
    await db.models.Group.collection.insertMany([
      group('grp_eng', 't1', 'scim', 'Engineering', 'ENG-01'),
      group('grp_ops', 't1', 'scim', 'Ops', 'x-1'),
      group('grp_ops2', 't1', 'scim', 'Operations', 'OPS'),
      group('grp_rd', 't1', 'scim', 'R&D (EU)', 'a.b*c'),
      group('grp_int', 't1', 'internal', 'Engineering'),
      group('grp_t2', 't2', 'scim', 'Engineering', 'ENG-01'),
    ] as never[]);
    await db.models.Membership.collection.insertMany([
      membership('grp_eng', 'u1', 't1', ['scim']),
      membership('grp_eng', 'u2', 't1', ['manual']),
      membership('grp_ops', 'u3', 't1', ['rule:r1', 'scim']),
      membership('grp_ops2', 'u4', 't1', ['scim']),
      membership('grp_rd', 'u1', 't1', ['scim']),
      membership('grp_int', 'u5', 't1', ['manual']),
      membership('grp_t2', 'u6', 't2', ['scim']),
    ] as never[]);
    await db.models.User.collection.insertMany([user('u1', 't1'), user('u2', 't1'), user('u3', 't1'), user('u4', 't1'), user('u5', 't1'), user('u6', 't2')] as never[]);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('maps names to IdP groups by displayName or externalId, ignoring case, within the tenant', async () => {
    const rules = [compileRule(view, 'groups = "engineering"'), compileRule(view, 'groups in "ops","Eng-01","missing","r&d (eu)","A.B*C"')];
    const resolved = await resolveRuleGroups(db.models, 't1', rules);
    expect(Object.fromEntries([...resolved.groupIdsByName].map(([name, ids]) => [name, [...ids].sort()]))).toEqual({
      engineering: ['grp_eng'],
      ops: ['grp_ops', 'grp_ops2'],
      'eng-01': ['grp_eng'],
      missing: [],
      'r&d (eu)': ['grp_rd'],
      'a.b*c': ['grp_rd'],
    });
    expect(resolved.memberUserIdsByGroupId).toBeUndefined();
  });

  it('with members, counts only memberships the IdP holds (source scim)', async () => {
    const resolved = await resolveRuleGroups(db.models, 't1', compileRule(view, 'groups in "Engineering","ops"'), { members: true });
    expect(Object.fromEntries(resolved.memberUserIdsByGroupId ?? [])).toEqual({ grp_eng: ['u1'], grp_ops: ['u3'], grp_ops2: ['u4'] });
  });

  it('gives a Mongo query that finds exactly those users', async () => {
    const rule = compileRule(view, 'groups in "Engineering","ops"');
    const { query, exact } = ruleMongoQuery(rule, { tenantId: 't1', groups: await resolveRuleGroups(db.models, 't1', rule, { members: true }) });
    const found = await db.models.User.collection.find(query as never, { projection: { _id: 1 } }).toArray();
    expect(exact).toBe(true);
    expect(found.map((u) => u._id).sort()).toEqual(['u1', 'u3', 'u4']);
  });

  it('resolves nothing for rules without groups', async () => {
    const resolved = await resolveRuleGroups(db.models, 't1', [compileRule(view, 'title = "x"')], { members: true });
    expect(resolved.groupIdsByName.size).toBe(0);
    expect(resolved.memberUserIdsByGroupId?.size).toBe(0);
  });

  it('loads the IdP group ids of users, for the predicate', async () => {
    const ids = await loadIdpGroupIds(db.models, 't1', ['u1', 'u2', 'u3', 'u6']);
    expect(Object.fromEntries([...ids].map(([userId, set]) => [userId, [...set].sort()]))).toEqual({
      u1: ['grp_eng', 'grp_rd'],
      u2: [],
      u3: ['grp_ops'],
      u6: [],
    });
  });
});
