import { CORE_USER_URN } from '../../src/attributes/urns';
import { startAdminStack, expectError, expectStatus, type AdminStack } from './admin-fixtures';

/**
 * "Only an admin can grant admin privileges" (product doc 000) on every path, not only for the
 * default Admins group: a custom group that holds the Admin role (or inherits it) makes its
 * members admins, so a non-admin may not put anyone in it, nor hang a group below it.
 */
let s: AdminStack;
let adminRole: string;
beforeAll(async () => {
  s = await startAdminStack();
  adminRole = expectStatus(await s.admin.get('/roles'), 200).body.items.find((r: { system: string | null }) => r.system === 'admin').id;
});
afterAll(() => s.close());

let n = 0;
const unique = (name: string) => `${name} ${++n}`;

async function group(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  return expectStatus(await s.admin.post('/groups', { name: unique(name), ...extra }), 201).body.id;
}

/** A custom group holding the Admin role, with `manager` as a manager and Group Administrator of it. */
async function powerfulGroup(manager: string, extra: Record<string, unknown> = {}): Promise<string> {
  const g = await group('Ops admins', extra);
  expectStatus(await s.admin.post(`/groups/${g}/roles`, { roleId: adminRole }), 201);
  if ((extra.kind ?? 'static') === 'static') expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: manager, role: 'manager' }), 201);
  return g;
}

/** A plain group the caller manages, holding `user`: so the caller can see `user`. */
async function teamWith(manager: string, user: string): Promise<string> {
  const g = await group('Team');
  expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: manager, role: 'manager' }), 201);
  expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: user }), 201);
  return g;
}

async function isAdminInProduct(userId: string): Promise<boolean> {
  return expectStatus(await s.admin.post('/authorize', { userId, action: 'delete', target: 'Account' }), 200).body.allowed as boolean;
}

async function memberIds(groupId: string): Promise<string[]> {
  return expectStatus(await s.admin.get(`/groups/${groupId}/members`), 200).body.items.map((m: { userId: string }) => m.userId);
}

describe('only an admin grants admin, on every path', () => {
  it('a manager of a custom group holding the Admin role cannot add a member to it; an admin can', async () => {
    const manager = await s.user(`mgr${++n}@example.com`);
    const target = await s.user(`target${++n}@example.com`);
    const g = await powerfulGroup(manager);
    await teamWith(manager, target);
    expectStatus(await s.as(manager, 'member').get(`/users/${target}`), 200);

    const res = await s.as(manager, 'member').post(`/groups/${g}/members`, { userId: target });
    expectError(res, 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    expect(res.body.error.details).toMatchObject({ groupId: g, grantedBy: { groupId: g, roleId: adminRole } });
    expect(await isAdminInProduct(target)).toBe(false);

    expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: target }), 201);
    expect(await isAdminInProduct(target)).toBe(true);
  });

  it('inherited: a group below one that holds the Admin role is admin-granting too', async () => {
    const manager = await s.user(`mgr${++n}@example.com`);
    const target = await s.user(`target${++n}@example.com`);
    const parent = await powerfulGroup(manager);
    const child = await group('Ops child', { parentId: parent });
    expectStatus(await s.admin.post(`/groups/${child}/members`, { userId: manager, role: 'manager' }), 201);
    await teamWith(manager, target);
    expectError(await s.as(manager, 'member').post(`/groups/${child}/members`, { userId: target }), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    expect(await memberIds(child)).not.toContain(target);
  });

  it('a role as strong as Admin (every target at its highest level) counts as admin-level', async () => {
    const catalog = expectStatus(await s.admin.get('/permissions/catalog'), 200).body;
    const targets = catalog.targets as { name: string; levels: string[] }[];
    const everything = targets.map((t) => ({ target: t.name, level: t.levels[t.levels.length - 1] }));
    const superRole = expectStatus(await s.admin.post('/roles', { name: unique('Super'), privileges: everything }), 201).body.id;
    const manager = await s.user(`mgr${++n}@example.com`);
    const target = await s.user(`target${++n}@example.com`);
    const g = await group('Super team');
    expectStatus(await s.admin.post(`/groups/${g}/roles`, { roleId: superRole }), 201);
    expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: manager, role: 'manager' }), 201);
    await teamWith(manager, target);
    expectError(await s.as(manager, 'member').post(`/groups/${g}/members`, { userId: target }), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
  });

  it('CSV import: refused at preview, and at confirm when the group became admin-granting after the preview', async () => {
    const manager = await s.user(`mgr${++n}@example.com`);
    const email = `target${++n}@example.com`;
    const target = await s.user(email);
    const g = await powerfulGroup(manager);
    await teamWith(manager, target);
    const csv = `email,role\n${email},member`;
    expectError(await s.as(manager, 'member').post(`/groups/${g}/members/import`).set('Content-Type', 'text/csv').send(csv), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');

    const later = await group('Becomes powerful');
    expectStatus(await s.admin.post(`/groups/${later}/members`, { userId: manager, role: 'manager' }), 201);
    const preview = expectStatus(await s.as(manager, 'member').post(`/groups/${later}/members/import`).set('Content-Type', 'text/csv').send(csv), 201);
    expect(preview.body.summary.added).toBe(1);
    expectStatus(await s.admin.post(`/groups/${later}/roles`, { roleId: adminRole }), 201);
    expectError(await s.as(manager, 'member').post(`/groups/${later}/members/import/${preview.body.id}/confirm`), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    expect(await memberIds(later)).not.toContain(target);
  });

  it('invitations: a Group Administrator cannot invite into an admin-granting group, nor have an earlier invitation applied once it became one', async () => {
    const ga = await s.user(`ga${++n}@example.com`);
    const g = await powerfulGroup(ga);
    expectStatus(await s.admin.post(`/groups/${g}/administrators`, { userId: ga }), 201);
    expectError(await s.as(ga, 'member').post('/invitations', { email: `newcomer${++n}@example.com`, groupIds: [g] }), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');

    const plain = await group('Plain then powerful');
    expectStatus(await s.admin.post(`/groups/${plain}/members`, { userId: ga }), 201);
    expectStatus(await s.admin.post(`/groups/${plain}/administrators`, { userId: ga }), 201);
    const email = `invitee${++n}@example.com`;
    const inv = expectStatus(await s.as(ga, 'member').post('/invitations', { email, groupIds: [plain] }), 201).body;
    expectStatus(await s.admin.post(`/groups/${plain}/roles`, { roleId: adminRole }), 201);
    const created = await s.scim.post('/Users', { schemas: [CORE_USER_URN], userName: email, emails: [{ value: email }] });
    expect(created.status).toBe(201);
    expect(await memberIds(plain)).not.toContain(created.body.id);
    const after = expectStatus(await s.admin.get(`/invitations/${inv.id}`), 200).body;
    expect(after.result).toEqual([expect.objectContaining({ groupId: plain, outcome: 'skipped', reason: expect.stringContaining('admin') })]);
    expect(await isAdminInProduct(created.body.id)).toBe(false);
  });

  it('an admin invitation into an admin-granting group is applied', async () => {
    const g = await group('Admin-invited');
    expectStatus(await s.admin.post(`/groups/${g}/roles`, { roleId: adminRole }), 201);
    const email = `welcome${++n}@example.com`;
    expectStatus(await s.admin.post('/invitations', { email, groupIds: [g] }), 201);
    const created = await s.scim.post('/Users', { schemas: [CORE_USER_URN], userName: email, emails: [{ value: email }] });
    expect(await memberIds(g)).toContain(created.body.id);
  });

  it('role assignment: a non-admin cannot give a group the Admin role', async () => {
    const ga = await s.user(`ga${++n}@example.com`);
    const g = await group('Wants admin');
    expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: ga }), 201);
    expectStatus(await s.admin.post(`/groups/${g}/administrators`, { userId: ga }), 201);
    expectError(await s.as(ga, 'member').post(`/groups/${g}/roles`, { roleId: adminRole }), 403, 'FORBIDDEN');
    expectError(await s.as(ga, 'customer-admin').post(`/groups/${g}/roles`, { roleId: adminRole }), 403, 'FORBIDDEN');
    expect((expectStatus(await s.admin.get(`/groups/${g}/roles`), 200).body.roles as unknown[]).length).toBe(0);
  });

  it('parent change: a Group Administrator cannot hang their group below an admin-granting one (its members would inherit admin)', async () => {
    const ga = await s.user(`ga${++n}@example.com`);
    const member = await s.user(`member${++n}@example.com`);
    const powerful = await powerfulGroup(ga);
    const mine = await group('Mine');
    expectStatus(await s.admin.post(`/groups/${mine}/members`, { userId: ga }), 201);
    expectStatus(await s.admin.post(`/groups/${mine}/members`, { userId: member }), 201);
    expectStatus(await s.admin.post(`/groups/${mine}/administrators`, { userId: ga }), 201);

    const res = await s.as(ga, 'member').patch(`/groups/${mine}`, { parentId: powerful });
    expectError(res, 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    expect(res.body.error.details).toMatchObject({ groupId: mine, parentId: powerful, grantedBy: { groupId: powerful, roleId: adminRole } });
    expect(expectStatus(await s.admin.get(`/groups/${mine}`), 200).body.parentId).toBeNull();
    expect(await isAdminInProduct(member)).toBe(false);
    // Any other parent they administer is still the Group Administrator's to choose (one they are a
    // plain member of is not: issue 18 #5, test/admin/access-policy.test.ts).
    const harmless = await group('Harmless parent');
    expectStatus(await s.admin.post(`/groups/${harmless}/members`, { userId: ga }), 201);
    expectError(await s.as(ga, 'member').patch(`/groups/${mine}`, { parentId: harmless }), 403, 'FORBIDDEN');
    expectStatus(await s.admin.post(`/groups/${harmless}/administrators`, { userId: ga }), 201);
    expectStatus(await s.as(ga, 'member').patch(`/groups/${mine}`, { parentId: harmless }), 200);
    // An admin may.
    expectStatus(await s.admin.patch(`/groups/${mine}`, { parentId: powerful }), 200);
    expect(await isAdminInProduct(member)).toBe(true);
  });

  it('a customer admin cannot create a group below an admin-granting customer group', async () => {
    const customerAdmin = await s.user(`cadm${++n}@example.com`, { audience: 'customer' });
    const powerful = await group('Powerful customers', { audience: 'customer' });
    expectStatus(await s.admin.post(`/groups/${powerful}/roles`, { roleId: adminRole }), 201);
    expectError(await s.as(customerAdmin, 'customer-admin').post('/groups', { name: unique('Under powerful'), audience: 'customer', parentId: powerful }), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    // Nor add customers to it directly.
    const buyer = await s.user(`buyer${++n}@example.com`, { audience: 'customer' });
    expectError(await s.as(customerAdmin, 'customer-admin').post(`/groups/${powerful}/members`, { userId: buyer }), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
  });

  it('owner change, dynamic rule and unarchiving of an admin-granting group need an admin', async () => {
    const ga = await s.user(`ga${++n}@example.com`);
    const target = await s.user(`target${++n}@example.com`);
    const g = await powerfulGroup(ga);
    expectStatus(await s.admin.post(`/groups/${g}/administrators`, { userId: ga }), 201);
    await teamWith(ga, target);
    expectError(await s.as(ga, 'member').patch(`/groups/${g}`, { ownerId: target }), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    expect(await memberIds(g)).not.toContain(target);

    expectStatus(await s.admin.post(`/groups/${g}/archive`), 200);
    expectError(await s.as(ga, 'member').post(`/groups/${g}/unarchive`), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    expectStatus(await s.admin.post(`/groups/${g}/unarchive`), 200);

    const dyn = await group('Dynamic admins', { kind: 'dynamic', rule: { expression: 'title = "Nobody at all"' } });
    expectStatus(await s.admin.post(`/groups/${dyn}/roles`, { roleId: adminRole }), 201);
    // A Group Administrator must be a member: here one the group's rule put there (as the worker would).
    const matched = await s.user(`matched${++n}@example.com`);
    await s.runtime.deps.memberships.addSource(s.tenantId, dyn, [matched], 'dynamic', 'member');
    expectStatus(await s.admin.post(`/groups/${dyn}/administrators`, { userId: matched }), 201);
    expectError(await s.as(matched, 'member').patch(`/groups/${dyn}`, { rule: { expression: 'title pr' } }), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    expect(expectStatus(await s.admin.get(`/groups/${dyn}`), 200).body.rule.expression).toBe('title = "Nobody at all"');
  });
});
