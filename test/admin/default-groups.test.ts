import { seedDefaults } from '../../src/domain/tenants';
import type { GroupDoc } from '../../src/persistence/models';
import { CORE_USER_URN, CUSTOM_USER_URN } from '../../src/attributes/urns';
import { startAdminStack, expectError, expectStatus, type AdminStack } from './admin-fixtures';

let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

type AuditItem = { action: string; actor: { type: string; id: string }; object: { id: string }; before?: Record<string, unknown>; after?: Record<string, unknown> };

async function automaticEvents(userId: string): Promise<AuditItem[]> {
  const items = expectStatus(await s.admin.get('/audit?actor=system:automatic&limit=200'), 200).body.items as AuditItem[];
  return items.filter((e) => (e.after?.userId ?? e.before?.userId) === userId);
}

describe('default groups of product doc 003', () => {
  it('a new tenant has All Users (every active internal user, automatic) and Agent and Automations Admin (holding Configure)', async () => {
    const groups = expectStatus(await s.admin.get('/groups?limit=200'), 200).body.items as { name: string; system: string; automatic: string | null; default: boolean; id: string }[];
    expect(
      groups
        .filter((g) => g.default)
        .map((g) => g.name)
        .sort(),
    ).toEqual(['Admins', 'Agent and Automations Admin', 'All Users', 'Customer Admins', 'Customers', 'Platform Users', 'Support', 'Verified Customers'].sort());
    expect(groups.find((g) => g.system === 'all-users')).toMatchObject({ name: 'All Users', automatic: 'allInternal' });
    const agents = groups.find((g) => g.system === 'agent-automations-admins')!;
    expect(agents.automatic).toBeNull();
    const roles = expectStatus(await s.admin.get(`/groups/${agents.id}/roles`), 200).body.roles as { system: string }[];
    expect(roles.map((r) => r.system)).toEqual(['configure']);

    const internal = await s.user('all.users.member@example.com');
    const customer = await s.user('not.in.all.users@example.com', { audience: 'customer' });
    const allUsers = await s.defaultGroup('all-users');
    const members = expectStatus(await s.admin.get(`/groups/${allUsers}/members?limit=500`), 200).body.items as { userId: string; sources: string[] }[];
    expect(members).toContainEqual(expect.objectContaining({ userId: internal, sources: ['automatic'] }));
    expect(members.map((m) => m.userId)).not.toContain(customer);
    expect(expectStatus(await s.admin.get(`/users/${internal}`), 200).body.groups).toContainEqual(
      expect.objectContaining({ groupId: allUsers, groupName: 'All Users', role: 'member', sources: ['automatic'] }),
    );
    expectError(await s.admin.post(`/groups/${allUsers}/members`, { userId: internal }), 409, 'GROUP_AUTOMATIC_MEMBERS');
  });

  it('what All Users holds reaches every active internal user', async () => {
    const allUsers = await s.defaultGroup('all-users');
    const readOnly = (expectStatus(await s.admin.get('/roles'), 200).body.items as { id: string; system: string }[]).find((r) => r.system === 'read-only')!.id;
    const u = await s.user('reads.everything@example.com');
    expect(expectStatus(await s.admin.post('/authorize', { userId: u, action: 'view', target: 'Ticket' }), 200).body.allowed).toBe(false);
    expectStatus(await s.admin.post(`/groups/${allUsers}/roles`, { roleId: readOnly }), 201);
    expect(expectStatus(await s.admin.post('/authorize', { userId: u, action: 'view', target: 'Ticket' }), 200).body.allowed).toBe(true);
    expectStatus(await s.admin.delete(`/groups/${allUsers}/roles/${readOnly}`), 204);
  });

  it('automatic memberships are audited, naming the user change that caused them', async () => {
    const created = await s.scim.post('/Users', { schemas: [CORE_USER_URN], userName: 'audited.automatic@example.com', active: true });
    const userId = created.body.id as string;
    const [allUsers, platform, customers] = await Promise.all(['all-users', 'platform-users', 'customers'].map((k) => s.defaultGroup(k)));
    const joined = await automaticEvents(userId);
    expect(joined.map((e) => [e.action, e.object.id]).sort()).toEqual(
      [
        ['membership.added', allUsers],
        ['membership.added', platform],
      ].sort(),
    );
    const creation = expectStatus(await s.admin.get(`/audit?action=user.created&objectId=${userId}`), 200).body.items[0];
    expect(joined[0]!.after).toMatchObject({ userId, source: 'automatic', trigger: { eventId: creation.id, action: 'user.created' } });

    // Becoming a customer moves them from the internal automatic groups to Customers.
    const patch = (value: unknown, path: string) => s.scim.patch(`/Users/${userId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path, value }] });
    expectStatus(await patch('customer', `${CUSTOM_USER_URN}:audience`), 200);
    const moved = (await automaticEvents(userId)).filter((e) => !joined.some((j) => j.object.id === e.object.id && j.action === e.action));
    expect(moved.map((e) => [e.action, e.object.id]).sort()).toEqual(
      [
        ['membership.added', customers],
        ['membership.removed', allUsers],
        ['membership.removed', platform],
      ].sort(),
    );
    // Deactivation ends the automatic membership; the trigger names the attribute.
    expectStatus(await patch(false, 'active'), 200);
    const left = (await automaticEvents(userId)).find((e) => e.action === 'membership.removed' && e.object.id === customers)!;
    expect(left.after).toMatchObject({ membershipEnded: true, trigger: { action: 'user.patched', attributes: ['active'] } });
  });

  it('a tenant created before these defaults gets them at the next start, once, and keeps a custom group of the same name', async () => {
    const models = s.runtime.deps.models;
    await models.Group.collection.deleteMany({ tenantId: s.tenantId, system: { $in: ['all-users', 'agent-automations-admins'] } });
    expectStatus(await s.admin.post('/groups', { name: 'All Users' }), 201);
    const seeded = await seedDefaults(models, s.tenantId);
    expect(seeded).toEqual({ created: ['agent-automations-admins'], skipped: ['All Users'] });
    expect(await seedDefaults(models, s.tenantId)).toEqual({ created: [], skipped: ['All Users'] });
    const docs = (await models.Group.collection.find({ tenantId: s.tenantId, system: 'agent-automations-admins' } as never).toArray()) as unknown as GroupDoc[];
    expect(docs).toHaveLength(1);
  });
});
