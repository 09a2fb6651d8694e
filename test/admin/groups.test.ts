import { ancestorsOf, MAX_DEPTH } from '../../src/domain/groups/hierarchy';
import { GROUP_URN_FOR_TESTS, startAdminStack, expectError, expectStatus, type AdminStack } from './admin-fixtures';

let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

const names = (res: { body: { items: { name: string }[] } }) => res.body.items.map((g) => g.name);

describe('POST /admin/v1/groups', () => {
  it('when an admin creates a group, then it is active, static and listed with 0 members', async () => {
    const res = expectStatus(await s.admin.post('/groups', { name: 'Customer Support Team', description: 'Tier 1 and 2 support agents' }), 201);
    expect(res.body).toMatchObject({
      name: 'Customer Support Team',
      description: 'Tier 1 and 2 support agents',
      status: 'active',
      kind: 'static',
      audience: 'user',
      memberCount: 0,
      origin: 'internal',
      default: false,
    });
    expect(res.body.id).toMatch(/^grp_/);
    const list = expectStatus(await s.admin.get('/groups?q=support%20team'), 200);
    expect(names(list)).toEqual(['Customer Support Team']);
  });

  it('group names are unique per tenant ignoring case', async () => {
    expectStatus(await s.admin.post('/groups', { name: 'Sales EMEA' }), 201);
    expectError(await s.admin.post('/groups', { name: 'sales emea' }), 409, 'GROUP_NAME_TAKEN');
    const other = expectStatus(await s.admin.post('/groups', { name: 'Sales APAC' }), 201);
    expectError(await s.admin.patch(`/groups/${other.body.id}`, { name: 'SALES EMEA' }), 409, 'GROUP_NAME_TAKEN');
  });

  it('when the body has an unknown field or no name, then 400 names the field', async () => {
    const unknown = await s.admin.post('/groups', { name: 'X', colour: 'red' });
    expectError(unknown, 400, 'INVALID_REQUEST');
    expect(unknown.body.error.details.field).toBe('colour');
    expectError(await s.admin.post('/groups', { description: 'no name' }), 400, 'INVALID_REQUEST');
    expectError(await s.admin.post('/groups', { name: 'X', audience: 'partners' }), 400, 'INVALID_REQUEST');
  });

  it('when a member (not an admin) creates a group, then 403', async () => {
    const userId = await s.user('plain.member@example.com');
    expectError(await s.as(userId, 'member').post('/groups', { name: 'Not allowed' }), 403, 'FORBIDDEN');
  });

  it('a customer admin creates customer groups but not user groups', async () => {
    const ca = (await s.caller('customer-admin')).client;
    expectStatus(await ca.post('/groups', { name: 'Acme customers', audience: 'customer' }), 201);
    expectError(await ca.post('/groups', { name: 'Acme staff', audience: 'user' }), 403, 'FORBIDDEN');
  });

  it('when the owner is given, then the owner is a member (manager) of the new group', async () => {
    const owner = await s.user('owner.one@example.com');
    const res = expectStatus(await s.admin.post('/groups', { name: 'Owned group', ownerId: owner }), 201);
    expect(res.body).toMatchObject({ ownerId: owner, memberCount: 1 });
    const members = expectStatus(await s.admin.get(`/groups/${res.body.id}/members`), 200);
    expect(members.body.items).toEqual([expect.objectContaining({ userId: owner, role: 'manager', sources: ['owner'] })]);
  });

  it('when the owner is not a user of the tenant, then 404 USER_NOT_FOUND naming the field', async () => {
    const res = await s.admin.post('/groups', { name: 'Ghost owned', ownerId: 'usr_nobody' });
    expectError(res, 404, 'USER_NOT_FOUND');
    expect(res.body.error.details).toEqual({ userId: 'usr_nobody', field: 'ownerId' });
  });
});

describe('default groups', () => {
  it('every tenant starts with the default groups', async () => {
    const list = expectStatus(await s.admin.get('/groups?limit=200'), 200);
    expect(names(list)).toEqual(expect.arrayContaining(['Admins', 'Platform Users', 'Support', 'Customers', 'Customer Admins', 'Verified Customers']));
  });

  it('default groups cannot be renamed, changed, archived or deleted', async () => {
    const support = await s.defaultGroup('support');
    expectError(await s.admin.patch(`/groups/${support}`, { name: 'Helpdesk' }), 409, 'GROUP_DEFAULT_IMMUTABLE');
    expectError(await s.admin.delete(`/groups/${support}`), 409, 'GROUP_DEFAULT_IMMUTABLE');
    expectError(await s.admin.post(`/groups/${support}/archive`), 409, 'GROUP_DEFAULT_IMMUTABLE');
    expect(expectStatus(await s.admin.get(`/groups/${support}`), 200).body.name).toBe('Support');
  });

  it('Platform Users and Customers contain every active internal user and every customer automatically', async () => {
    const t = await startAdminStack();
    try {
      const a = await t.user('internal.a@example.com');
      await t.user('internal.b@example.com');
      await t.user('gone@example.com', { active: false });
      const c = await t.user('customer.c@example.com', { audience: 'customer' });
      const platform = await t.defaultGroup('platform-users');
      const customers = await t.defaultGroup('customers');
      expect(expectStatus(await t.admin.get(`/groups/${platform}`), 200).body).toMatchObject({ automatic: 'allInternal', memberCount: 2 });
      expect(expectStatus(await t.admin.get(`/groups/${customers}`), 200).body).toMatchObject({ automatic: 'allCustomers', memberCount: 1 });
      const members = expectStatus(await t.admin.get(`/groups/${customers}/members`), 200);
      expect(members.body.items).toEqual([expect.objectContaining({ userId: c, sources: ['automatic'] })]);
      const page = expectStatus(await t.admin.get(`/groups/${platform}/members?limit=1`), 200);
      expect(page.body.items).toHaveLength(1);
      expect(page.body.total).toBe(2);
      const next = expectStatus(await t.admin.get(`/groups/${platform}/members?limit=1&cursor=${page.body.nextCursor}`), 200);
      expect([page.body.items[0].userId, next.body.items[0].userId]).toContain(a);
      expect(next.body.nextCursor).toBeNull();
      // Nobody adds members to them by hand.
      expectError(await t.admin.post(`/groups/${platform}/members`, { userId: a }), 409, 'GROUP_AUTOMATIC_MEMBERS');
    } finally {
      await t.close();
    }
  });
});

describe('PATCH and DELETE /admin/v1/groups/:id', () => {
  it('an admin renames a custom group and changes its description', async () => {
    const g = expectStatus(await s.admin.post('/groups', { name: 'Beta testers' }), 201).body;
    const res = expectStatus(await s.admin.patch(`/groups/${g.id}`, { name: 'Beta Testers 2', description: 'Second wave' }), 200);
    expect(res.body).toMatchObject({ name: 'Beta Testers 2', description: 'Second wave' });
    expectError(await s.admin.patch(`/groups/${g.id}`, { audience: 'customer' }), 400, 'INVALID_REQUEST');
  });

  it('when a group is deleted, then its memberships go with it', async () => {
    const u = await s.user('deleted.group.member@example.com');
    const g = expectStatus(await s.admin.post('/groups', { name: 'Short lived' }), 201).body;
    expectStatus(await s.admin.post(`/groups/${g.id}/members`, { userId: u }), 201);
    expectStatus(await s.admin.delete(`/groups/${g.id}`), 204);
    expectError(await s.admin.get(`/groups/${g.id}`), 404, 'GROUP_NOT_FOUND');
    expect(await s.runtime.deps.models.Membership.countDocuments({ groupId: g.id })).toBe(0);
  });

  it('a group with child groups cannot be deleted', async () => {
    const parent = expectStatus(await s.admin.post('/groups', { name: 'Has children' }), 201).body;
    expectStatus(await s.admin.post('/groups', { name: 'A child', parentId: parent.id }), 201);
    expectError(await s.admin.delete(`/groups/${parent.id}`), 409, 'GROUP_HAS_CHILDREN');
  });
});

describe('archive and unarchive', () => {
  it('archived groups are left out of assignment choices and take no new members until unarchived', async () => {
    const u = await s.user('archive.member@example.com');
    const g = expectStatus(await s.admin.post('/groups', { name: 'Seasonal team' }), 201).body;
    expect(expectStatus(await s.admin.post(`/groups/${g.id}/archive`), 200).body.status).toBe('archived');
    const assignable = expectStatus(await s.admin.get('/groups?assignable=true&limit=200'), 200);
    expect(names(assignable)).not.toContain('Seasonal team');
    expect(names(expectStatus(await s.admin.get('/groups?status=archived'), 200))).toEqual(['Seasonal team']);
    expectError(await s.admin.post(`/groups/${g.id}/members`, { userId: u }), 409, 'GROUP_ARCHIVED');
    expectError(await s.admin.post('/groups', { name: 'Under archived', parentId: g.id }), 409, 'GROUP_ARCHIVED');
    expect(expectStatus(await s.admin.post(`/groups/${g.id}/unarchive`), 200).body.status).toBe('active');
    expectStatus(await s.admin.post(`/groups/${g.id}/members`, { userId: u }), 201);
  });
});

describe('hierarchy', () => {
  it('ancestorsOf lists the parent chain nearest first', async () => {
    const root = expectStatus(await s.admin.post('/groups', { name: 'H root' }), 201).body;
    const mid = expectStatus(await s.admin.post('/groups', { name: 'H mid', parentId: root.id }), 201).body;
    const leaf = expectStatus(await s.admin.post('/groups', { name: 'H leaf', parentId: mid.id }), 201).body;
    expect(await ancestorsOf(s.runtime.deps.models, s.tenantId, leaf.id)).toEqual([mid.id, root.id]);
    expect(names(expectStatus(await s.admin.get(`/groups?parentId=${root.id}`), 200))).toEqual(['H mid']);
  });

  it('a parent cycle is refused', async () => {
    const a = expectStatus(await s.admin.post('/groups', { name: 'Cycle A' }), 201).body;
    const b = expectStatus(await s.admin.post('/groups', { name: 'Cycle B', parentId: a.id }), 201).body;
    const c = expectStatus(await s.admin.post('/groups', { name: 'Cycle C', parentId: b.id }), 201).body;
    const res = await s.admin.patch(`/groups/${a.id}`, { parentId: c.id });
    expectError(res, 400, 'GROUP_PARENT_CYCLE');
    expect(res.body.error.message).toMatch(/cycle/);
    expectError(await s.admin.patch(`/groups/${a.id}`, { parentId: a.id }), 400, 'GROUP_PARENT_CYCLE');
    expect(expectStatus(await s.admin.get(`/groups/${a.id}`), 200).body.parentId).toBeNull();
  });

  it(`a hierarchy deeper than ${MAX_DEPTH} levels is refused`, async () => {
    let parentId: string | undefined;
    for (let level = 1; level <= MAX_DEPTH; level++) {
      const body: Record<string, unknown> = { name: `Depth ${level}` };
      if (parentId) body.parentId = parentId;
      parentId = expectStatus(await s.admin.post('/groups', body), 201).body.id;
    }
    const res = await s.admin.post('/groups', { name: 'Depth too deep', parentId });
    expectError(res, 400, 'GROUP_DEPTH_EXCEEDED');
    expect(res.body.error.details).toMatchObject({ maxDepth: MAX_DEPTH });
    // Moving a two-level subtree under level 4 would make six levels too.
    const top = expectStatus(await s.admin.post('/groups', { name: 'Subtree top' }), 201).body;
    expectStatus(await s.admin.post('/groups', { name: 'Subtree child', parentId: top.id }), 201);
    const level4 = expectStatus(await s.admin.get('/groups?q=depth%204'), 200).body.items[0].id;
    expectError(await s.admin.patch(`/groups/${top.id}`, { parentId: level4 }), 400, 'GROUP_DEPTH_EXCEEDED');
  });

  it('an unknown parent is refused with GROUP_PARENT_NOT_FOUND', async () => {
    expectError(await s.admin.post('/groups', { name: 'Orphan', parentId: 'grp_missing' }), 400, 'GROUP_PARENT_NOT_FOUND');
  });
});

describe('GET /admin/v1/groups', () => {
  it('sorts by member count using counts, and paginates', async () => {
    const t = await startAdminStack();
    try {
      const users = [await t.user('m1@example.com'), await t.user('m2@example.com'), await t.user('m3@example.com')];
      const sizes: Record<string, number> = { 'Zeta small': 1, 'Alpha big': 3, 'Mid two': 2 };
      for (const [name, size] of Object.entries(sizes)) {
        const g = expectStatus(await t.admin.post('/groups', { name }), 201).body;
        for (const u of users.slice(0, size)) expectStatus(await t.admin.post(`/groups/${g.id}/members`, { userId: u }), 201);
      }
      const custom = (res: { body: { items: { name: string; memberCount: number }[] } }) => res.body.items.filter((g) => g.name in sizes).map((g) => `${g.name}:${g.memberCount}`);
      expect(custom(expectStatus(await t.admin.get('/groups?sort=-memberCount&limit=200'), 200))).toEqual(['Alpha big:3', 'Mid two:2', 'Zeta small:1']);
      expect(custom(expectStatus(await t.admin.get('/groups?sort=memberCount&limit=200'), 200))).toEqual(['Zeta small:1', 'Mid two:2', 'Alpha big:3']);
      const first = expectStatus(await t.admin.get('/groups?sort=name&limit=2&page=1'), 200);
      const second = expectStatus(await t.admin.get('/groups?sort=name&limit=2&page=2'), 200);
      expect(first.body.total).toBe(11);
      expect(names(first)).toEqual(['Admins', 'Agent and Automations Admin']);
      expect(names(second)).toEqual(['All Users', 'Alpha big']);
      expectError(await t.admin.get('/groups?sort=size'), 400, 'INVALID_REQUEST');
    } finally {
      await t.close();
    }
  });

  it('lists identity-provider groups separately (origin=scim), read-only', async () => {
    const created = await s.scim.post('/Groups', { schemas: [GROUP_URN_FOR_TESTS], displayName: 'Okta Engineering' });
    expect(created.status).toBe(201);
    expect(names(expectStatus(await s.admin.get('/groups?q=okta'), 200))).toEqual([]);
    const scim = expectStatus(await s.admin.get('/groups?origin=scim&q=okta'), 200);
    expect(scim.body.items).toEqual([expect.objectContaining({ name: 'Okta Engineering', origin: 'scim', readOnly: true })]);
    expectError(await s.admin.patch(`/groups/${created.body.id}`, { name: 'Renamed' }), 409, 'GROUP_READ_ONLY');
    expectError(await s.admin.delete(`/groups/${created.body.id}`), 409, 'GROUP_READ_ONLY');
  });
});

describe('dynamic groups', () => {
  it('carry a rule, kept as the rules engine rule dyn_<groupId>, and refuse manual member changes', async () => {
    const u = await s.user('dynamic.candidate@example.com');
    const g = expectStatus(await s.admin.post('/groups', { name: 'EMEA staff', kind: 'dynamic', rule: { expression: 'region = "EMEA"' } }), 201).body;
    expect(g).toMatchObject({ kind: 'dynamic', rule: { expression: 'region = "EMEA"', ruleId: `dyn_${g.id}` } });
    const stored = (await s.runtime.deps.models.Rule.collection.findOne({ _id: `dyn_${g.id}` } as never)) as { expression?: string; targetGroupId?: string } | null;
    expect(stored).toMatchObject({ expression: 'region = "EMEA"', targetGroupId: g.id });
    const res = await s.admin.post(`/groups/${g.id}/members`, { userId: u });
    expectError(res, 409, 'GROUP_DYNAMIC_MEMBERS');
    expect(res.body.error.message).toMatch(/dynamic/);

    expectStatus(await s.admin.patch(`/groups/${g.id}`, { rule: { expression: 'region = "APAC"' } }), 200);
    expect(await s.runtime.deps.models.Rule.collection.findOne({ _id: `dyn_${g.id}` } as never)).toMatchObject({ expression: 'region = "APAC"' });
    // Deleting the group stops its rule.
    expectStatus(await s.admin.delete(`/groups/${g.id}`), 204);
    expect(await s.runtime.deps.models.Rule.collection.findOne({ _id: `dyn_${g.id}` } as never)).toMatchObject({ enabled: false, deletedAt: expect.any(Date) });
  });

  it('a rule that does not parse is refused before anything is created', async () => {
    const res = await s.admin.post('/groups', { name: 'Broken rule', kind: 'dynamic', rule: { expression: 'region ==== ' } });
    expect(res.status).toBe(400);
    expect(names(expectStatus(await s.admin.get('/groups?q=broken%20rule'), 200))).toEqual([]);
  });

  it('only dynamic groups carry a rule', async () => {
    expectError(await s.admin.post('/groups', { name: 'Static with rule', rule: { expression: 'region = "EMEA"' } }), 400, 'INVALID_REQUEST');
  });
});
