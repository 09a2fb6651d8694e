import { createTenant } from '../../src/domain/tenants';
import { AccessEvents, accessEvents } from '../../src/domain/access-events';
import { PermissionEngine, permissionEngine } from '../../src/domain/permissions/engine';
import type { AuditEventDoc } from '../../src/persistence/models';
import { startAdminStack, expectError, expectStatus, type AdminClient, type AdminStack } from './admin-fixtures';

let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

let seq = 0;
const unique = (prefix: string) => `${prefix}-${++seq}`;

async function group(name: string, parentId?: string): Promise<string> {
  const res = expectStatus(await s.admin.post('/groups', { name: unique(name), ...(parentId ? { parentId } : {}) }), 201);
  return res.body.id as string;
}

async function role(privileges: { target: string; level: string }[], name = 'role'): Promise<string> {
  return expectStatus(await s.admin.post('/roles', { name: unique(name), privileges }), 201).body.id as string;
}

async function addMember(groupId: string, userId: string) {
  expectStatus(await s.admin.post(`/groups/${groupId}/members`, { userId }), 201);
}

async function removeMember(groupId: string, userId: string) {
  expectStatus(await s.admin.delete(`/groups/${groupId}/members/${userId}`), 200);
}

async function assignRole(groupId: string, roleId: string) {
  expectStatus(await s.admin.post(`/groups/${groupId}/roles`, { roleId }), 201);
}

async function authorize(body: Record<string, unknown>, client: AdminClient = s.admin) {
  return expectStatus(await client.post('/authorize', body), 200).body as { allowed: boolean; level: string; reason: { code: string; message: string; source?: Record<string, unknown> } };
}

describe('default roles', () => {
  it('every new tenant has the default roles seeded', async () => {
    const res = expectStatus(await s.admin.get('/roles'), 200);
    const names = res.body.items.filter((r: { default: boolean }) => r.default).map((r: { name: string }) => r.name);
    expect(names.sort()).toEqual(['Admin', 'Configure', 'Customer Support', 'Limited Support', 'ReadOnly', 'Train', 'View Only']);
  });

  it('default roles cannot be deleted or renamed, and the Admin role keeps everything', async () => {
    const roles = expectStatus(await s.admin.get('/roles'), 200).body.items as { id: string; system: string }[];
    const admin = roles.find((r) => r.system === 'admin')!;
    const train = roles.find((r) => r.system === 'train')!;
    expectError(await s.admin.delete(`/roles/${train.id}`), 409, 'ROLE_DEFAULT_UNDELETABLE');
    expectError(await s.admin.patch(`/roles/${train.id}`, { name: 'Coach' }), 409, 'ROLE_DEFAULT_IMMUTABLE');
    expectError(await s.admin.patch(`/roles/${admin.id}`, { privileges: [] }), 409, 'ROLE_DEFAULT_IMMUTABLE');
    expectStatus(await s.admin.patch(`/roles/${train.id}`, { description: 'Trains agents' }), 200);
  });
});

describe('roles', () => {
  it('the catalogue is served with its levels and dependencies', async () => {
    const res = expectStatus(await (await s.caller('member')).client.get('/permissions/catalog'), 200);
    expect(res.body.levels).toEqual(['hide', 'view', 'use', 'edit', 'create', 'delete']);
    const bulk = res.body.targets.find((t: { name: string }) => t.name === 'Account Bulk Statuses');
    expect(bulk.dependencies[0].requires.map((r: { target: string }) => r.target)).toEqual(['Platform Calling Plan', 'Platform Groups', 'Platform Users']);
  });

  it('a role is created with canonical target names and the levels each level implies', async () => {
    const res = expectStatus(await s.admin.post('/roles', { name: unique('Tier 1'), privileges: [{ target: 'ticket', level: 'create' }] }), 201);
    expect(res.body.privileges).toEqual([{ target: 'Ticket', level: 'create', implies: ['view', 'edit', 'create'] }]);
    expect(res.body.default).toBe(false);
  });

  it('a grant breaking a dependency is refused naming the missing privilege', async () => {
    const res = await s.admin.post('/roles', {
      name: unique('Bulk'),
      privileges: [
        { target: 'Account Bulk Statuses', level: 'edit' },
        { target: 'Product', level: 'view' },
        { target: 'Platform Calling Plan', level: 'view' },
        { target: 'Platform Users', level: 'view' },
      ],
    });
    expectError(res, 400, 'PERMISSION_DEPENDENCY_MISSING');
    expect(res.body.error.message).toContain('view on "Platform Groups"');
    expect(res.body.error.details.missing).toEqual([{ target: 'Platform Groups', level: 'view', requiredBy: { target: 'Account Bulk Statuses', level: 'edit' } }]);
    // The same rule on a change of an existing role.
    const id = await role([{ target: 'Account Bulk Statuses', level: 'view' }]);
    expectError(await s.admin.patch(`/roles/${id}`, { privileges: [{ target: 'Account Bulk Statuses', level: 'edit' }] }), 400, 'PERMISSION_DEPENDENCY_MISSING');
  });

  it('only admins manage roles', async () => {
    const member = (await s.caller('member')).client;
    expectError(await member.post('/roles', { name: unique('Mine'), privileges: [] }), 403, 'FORBIDDEN');
    const id = await role([{ target: 'Ticket', level: 'view' }]);
    expectError(await member.patch(`/roles/${id}`, { description: 'x' }), 403, 'FORBIDDEN');
    expectError(await member.delete(`/roles/${id}`), 403, 'FORBIDDEN');
    expectError(await (await s.caller('customer', { audience: 'customer' })).client.get('/roles'), 403, 'FORBIDDEN');
  });

  it('role names are unique per tenant ignoring case', async () => {
    const name = unique('Auditors');
    expectStatus(await s.admin.post('/roles', { name, privileges: [] }), 201);
    expectError(await s.admin.post('/roles', { name: name.toUpperCase(), privileges: [] }), 409, 'ROLE_NAME_TAKEN');
    const other = await role([], 'Renamed');
    expectError(await s.admin.patch(`/roles/${other}`, { name: name.toLowerCase() }), 409, 'ROLE_NAME_TAKEN');
  });

  it('a role still assigned cannot be deleted until it is revoked', async () => {
    const g = await group('Deletable');
    const id = await role([{ target: 'Issue', level: 'view' }]);
    await assignRole(g, id);
    const res = await s.admin.delete(`/roles/${id}`);
    expectError(res, 409, 'ROLE_IN_USE');
    expect(res.body.error.details.groups).toEqual([g]);
    expectStatus(await s.admin.delete(`/groups/${g}/roles/${id}`), 204);
    expectStatus(await s.admin.delete(`/roles/${id}`), 204);
    expectError(await s.admin.get(`/roles/${id}`), 404, 'ROLE_NOT_FOUND');
  });
});

describe('effective permissions and authorize', () => {
  it('create implies edit and view', async () => {
    const user = await s.user(`creator-${seq}@example.com`);
    const g = await group('Creators');
    await addMember(g, user);
    await assignRole(g, await role([{ target: 'Ticket', level: 'create' }]));
    for (const action of ['view', 'edit', 'create']) expect((await authorize({ userId: user, action, target: 'Ticket' })).allowed).toBe(true);
    const denied = await authorize({ userId: user, action: 'delete', target: 'Ticket' });
    expect(denied).toMatchObject({ allowed: false, level: 'create', reason: { code: 'LEVEL_TOO_LOW' } });
  });

  it("a child group inherits its parent's roles", async () => {
    const user = await s.user(`child-${seq}@example.com`);
    const parent = await group('Support');
    const child = await group('Tier 2', parent);
    const r = await role([{ target: 'Opportunity', level: 'edit' }], 'Seller');
    await assignRole(parent, r);
    await addMember(child, user);
    const answer = await authorize({ userId: user, action: 'edit', target: 'Opportunity' });
    expect(answer.allowed).toBe(true);
    expect(answer.reason.code).toBe('INHERITED_GROUP_ROLE');
    expect(answer.reason.source).toMatchObject({ role: { id: r }, group: { id: parent }, inheritedBy: { id: child } });
    const listed = expectStatus(await s.admin.get(`/groups/${child}/roles`), 200).body;
    expect(listed.roles).toEqual([]);
    expect(listed.inherited).toEqual([expect.objectContaining({ id: r, inheritedFrom: expect.objectContaining({ id: parent }) })]);
  });

  it('removing a user from a group removes only what that group granted', async () => {
    const user = await s.user(`two-groups-${seq}@example.com`);
    const a = await group('Editors');
    const b = await group('Viewers');
    await assignRole(a, await role([{ target: 'Ticket', level: 'edit' }]));
    await assignRole(
      b,
      await role([
        { target: 'Ticket', level: 'view' },
        { target: 'Account', level: 'view' },
      ]),
    );
    const own = await role([{ target: 'Contacts', level: 'view' }]);
    expectStatus(await s.admin.post(`/users/${user}/roles`, { roleId: own }), 201);
    expect(expectStatus(await s.admin.get(`/users/${user}/roles`), 200).body.roles.map((r: { id: string }) => r.id)).toEqual([own]);
    await addMember(a, user);
    await addMember(b, user);
    expect((await authorize({ userId: user, action: 'view', target: 'Account' })).allowed).toBe(true);

    await removeMember(b, user);
    expect((await authorize({ userId: user, action: 'view', target: 'Account' })).allowed).toBe(false);
    const ticket = await authorize({ userId: user, action: 'edit', target: 'Ticket' });
    expect(ticket).toMatchObject({ allowed: true, reason: { code: 'GROUP_ROLE', source: { group: { id: a } } } });
    expect(await authorize({ userId: user, action: 'view', target: 'Contacts' })).toMatchObject({ allowed: true, reason: { code: 'USER_ROLE' } });
    const perms = expectStatus(await s.admin.get(`/users/${user}/permissions`), 200).body;
    expect(perms.groups.map((g: { id: string }) => g.id)).not.toContain(b);
    expect(perms.targets.find((t: { target: string }) => t.target === 'Ticket')).toMatchObject({ level: 'edit', implies: ['view', 'edit'] });
  });

  it('authorize answer changes immediately after a membership change', async () => {
    const user = await s.user(`mover-${seq}@example.com`);
    const g = await group('Workspace owners');
    await assignRole(g, await role([{ target: 'Workspaces', level: 'delete' }]));
    const ask = () => authorize({ userId: user, action: 'delete', target: 'Workspaces' });
    expect((await ask()).allowed).toBe(false); // cached now
    await addMember(g, user);
    expect((await ask()).allowed).toBe(true);
    await removeMember(g, user);
    expect((await ask()).allowed).toBe(false);
  });

  it('answers change immediately when a role, an assignment or the hierarchy changes', async () => {
    const user = await s.user(`changes-${seq}@example.com`);
    const top = await group('Top');
    const g = await group('Bottom');
    await addMember(g, user);
    const r = await role([{ target: 'Issue', level: 'view' }]);
    const ask = async (action = 'view') => (await authorize({ userId: user, action, target: 'Issue' })).allowed;
    expect(await ask()).toBe(false);
    await assignRole(top, r);
    expect(await ask()).toBe(false);
    expectStatus(await s.admin.patch(`/groups/${g}`, { parentId: top }), 200);
    expect(await ask()).toBe(true);
    expectStatus(await s.admin.patch(`/roles/${r}`, { privileges: [{ target: 'Issue', level: 'edit' }] }), 200);
    expect(await ask('edit')).toBe(true);
    expectStatus(await s.admin.delete(`/groups/${top}/roles/${r}`), 204);
    expect(await ask()).toBe(false);
  });

  it('an archived group gives nothing and takes no new roles, at once', async () => {
    const user = await s.user(`archived-${seq}@example.com`);
    const g = await group('To archive');
    await assignRole(g, await role([{ target: 'Reports', level: 'view' }]));
    await addMember(g, user);
    const ask = async () => (await authorize({ userId: user, action: 'view', target: 'Reports' })).allowed;
    expect(await ask()).toBe(true);
    expectStatus(await s.admin.post(`/groups/${g}/archive`), 200);
    expect(await ask()).toBe(false);
    expectError(await s.admin.post(`/groups/${g}/roles`, { roleId: await role([{ target: 'Issue', level: 'view' }]) }), 409, 'GROUP_ARCHIVED');
    expectStatus(await s.admin.post(`/groups/${g}/unarchive`), 200);
    expect(await ask()).toBe(true);
  });

  it('a member of the default Admins group has everything', async () => {
    const user = await s.user(`an-admin-${seq}@example.com`);
    await addMember(await s.defaultGroup('admins'), user);
    const answer = await authorize({ userId: user, action: 'delete', target: 'Account Bulk Statuses' });
    expect(answer).toMatchObject({ allowed: true, level: 'edit', reason: { code: 'ADMIN' } });
    // …and, holding a member token, may ask about other users.
    const other = await s.user(`asked-about-${seq}@example.com`);
    expect((await authorize({ userId: other, action: 'view', target: 'Ticket' }, s.as(user, 'member'))).allowed).toBe(false);
  });

  it("the answer is about the subject, never the caller: the same for an operator token and the subject's own admin token", async () => {
    const x = await s.user(`subject-${seq}@example.com`);
    const g = await group('Viewers of Accounts');
    await assignRole(g, await role([{ target: 'Account', level: 'view' }]));
    await addMember(g, x);
    const own = s.as(x, 'admin');
    for (const question of [
      { action: 'delete', target: 'Account' },
      { action: 'view', target: 'Account' },
    ]) {
      const byOperator = await authorize({ userId: x, ...question });
      const byThemselves = await authorize({ userId: x, ...question }, own);
      expect(byThemselves).toEqual(byOperator);
    }
    expect((await authorize({ userId: x, action: 'delete', target: 'Account' }, own)).allowed).toBe(false);
    const viaOperator = expectStatus(await s.admin.get(`/users/${x}/permissions`), 200).body;
    const viaThemselves = expectStatus(await own.get(`/users/${x}/permissions`), 200).body;
    expect(viaThemselves).toEqual(viaOperator);
    expect(viaThemselves.admin).toBeNull();
  });

  it('an allowed question is explained by what was asked, then what grants it', async () => {
    const user = await s.user(`explained-${seq}@example.com`);
    const g = await group('Account editors');
    await assignRole(g, await role([{ target: 'Account', level: 'edit' }]));
    await addMember(g, user);
    const answer = await authorize({ userId: user, action: 'view', target: 'Account' });
    expect(answer.reason.message).toMatch(/^Allowed: view on "Account" \(edit from role ".*" of group "Account editors/);
  });

  it('a user may ask about themselves, not about others, unless an admin', async () => {
    const me = await s.user(`me-${seq}@example.com`);
    const other = await s.user(`other-${seq}@example.com`);
    const client = s.as(me, 'member');
    expectStatus(await client.get(`/users/${me}/permissions`), 200);
    expectError(await client.get(`/users/${other}/permissions`), 403, 'FORBIDDEN');
    expectError(await client.post('/authorize', { userId: other, action: 'view', target: 'Ticket' }), 403, 'FORBIDDEN');
  });

  it('malformed questions are refused with a reason', async () => {
    const user = await s.user(`asker-${seq}@example.com`);
    expectError(await s.admin.post('/authorize', { userId: user, action: 'fly', target: 'Ticket' }), 400, 'AUTHORIZE_INVALID');
    expectError(await s.admin.post('/authorize', { userId: user, action: 'view', target: 'Spaceship' }), 400, 'PERMISSION_TARGET_UNKNOWN');
    expectError(await s.admin.post('/authorize', { userId: user, action: 'view' }), 400, 'AUTHORIZE_INVALID');
    expectError(await s.admin.post('/authorize', { userId: 'usr_nobody', action: 'view', target: 'Ticket' }), 404, 'USER_NOT_FOUND');
  });

  it('a deactivated user has nothing', async () => {
    const user = await s.user(`leaver-${seq}@example.com`, { active: false });
    const own = await role([{ target: 'Contacts', level: 'view' }]);
    expectStatus(await s.admin.post(`/users/${user}/roles`, { roleId: own }), 201);
    expect((await authorize({ userId: user, action: 'view', target: 'Contacts' })).reason.code).toBe('USER_INACTIVE');
  });
});

describe('resources', () => {
  it('a resource assigned to a group at a level gives its members that level on it', async () => {
    const user = await s.user(`agent-user-${seq}@example.com`);
    const g = await group('Agent users');
    await addMember(g, user);
    const agent = expectStatus(await s.admin.post('/resources', { type: 'agent', name: unique('Billing bot') }), 201).body.id as string;
    expectError(await s.admin.post(`/groups/${g}/resources`, { resourceId: agent, level: 'delete' }), 400, 'INVALID_REQUEST');
    expect((await authorize({ userId: user, action: 'view', resource: agent })).reason.code).toBe('NO_GRANT');
    const assigned = expectStatus(await s.admin.post(`/groups/${g}/resources`, { resourceId: agent, level: 'view' }), 201).body;
    expect(assigned.items).toEqual([expect.objectContaining({ resourceId: agent, level: 'view', outcome: 'created' })]);
    expect(await authorize({ userId: user, action: 'view', resource: agent })).toMatchObject({ allowed: true, reason: { code: 'GROUP_RESOURCE' } });
    expect((await authorize({ userId: user, action: 'edit', resource: agent })).allowed).toBe(false);
    expectStatus(await s.admin.post(`/groups/${g}/resources`, { resourceId: agent, level: 'edit' }), 200);
    expect((await authorize({ userId: user, action: 'edit', resource: agent })).allowed).toBe(true);
    const listed = expectStatus(await s.admin.get(`/groups/${g}/resources`), 200).body;
    expect(listed.resources).toEqual([expect.objectContaining({ id: agent, level: 'edit', inheritedFrom: null })]);
    expectStatus(await s.admin.delete(`/groups/${g}/resources/${agent}`), 204);
    expect((await authorize({ userId: user, action: 'view', resource: agent })).allowed).toBe(false);
  });

  it('a child group inherits its parent group’s resources, and deleting a resource removes its grants', async () => {
    const user = await s.user(`ds-user-${seq}@example.com`);
    const parent = await group('Data');
    const child = await group('Data team', parent);
    await addMember(child, user);
    const ds = expectStatus(await s.admin.post('/resources', { type: 'data source', name: unique('Warehouse') }), 201).body.id as string;
    expectStatus(await s.admin.post(`/groups/${parent}/resources`, { resourceIds: [ds], level: 'view' }), 201);
    expect((await authorize({ userId: user, action: 'view', resource: ds })).reason.code).toBe('INHERITED_GROUP_RESOURCE');
    expectStatus(await s.admin.delete(`/resources/${ds}`), 204);
    expectError(await s.admin.post('/authorize', { userId: user, action: 'view', resource: ds }), 404, 'RESOURCE_NOT_FOUND');
    expect(expectStatus(await s.admin.get(`/groups/${parent}/resources`), 200).body.resources).toEqual([]);
  });

  it('data sources are assigned at view, use or edit (product doc 001), each implying the ones below', async () => {
    const viewer = await s.user(`ds-viewer-${seq}@example.com`);
    const querier = await s.user(`ds-querier-${seq}@example.com`);
    const viewers = await group('DS viewers');
    const queriers = await group('DS queriers');
    await addMember(viewers, viewer);
    await addMember(queriers, querier);
    const ds = expectStatus(await s.admin.post('/resources', { type: 'data source', name: unique('Lake') }), 201).body.id as string;
    expectStatus(await s.admin.post(`/groups/${viewers}/resources`, { resourceIds: [ds], level: 'view' }), 201);
    const assigned = expectStatus(await s.admin.post(`/groups/${queriers}/resources`, { resourceIds: [ds], level: 'use' }), 201);
    expect(JSON.stringify(assigned.body)).toContain('"use"');
    expect((await authorize({ userId: querier, action: 'use', resource: ds })).allowed).toBe(true);
    expect((await authorize({ userId: querier, action: 'view', resource: ds })).allowed).toBe(true);
    const edit = await authorize({ userId: querier, action: 'edit', resource: ds });
    expect(edit).toMatchObject({ allowed: false, level: 'use', reason: { code: 'LEVEL_TOO_LOW' } });
    const viewOnly = await authorize({ userId: viewer, action: 'use', resource: ds });
    expect(viewOnly).toMatchObject({ allowed: false, reason: { code: 'LEVEL_TOO_LOW', message: expect.stringContaining('needs use or above') } });
    // A role can give use on every data source; Ticket offers no use level.
    const roleId = expectStatus(await s.admin.post('/roles', { name: unique('Query all data'), privileges: [{ target: 'data source', level: 'use' }] }), 201).body.id;
    const role = expectStatus(await s.admin.get(`/roles/${roleId}`), 200).body;
    expect(role.privileges).toEqual([{ target: 'data source', level: 'use', implies: ['view', 'use'] }]);
    expectError(await s.admin.post('/roles', { name: unique('Use tickets'), privileges: [{ target: 'Ticket', level: 'use' }] }), 400, 'PERMISSION_LEVEL_NOT_OFFERED');
    expect((await authorize({ userId: viewer, action: 'use', target: 'Ticket' })).reason.code).toBe('LEVEL_NOT_OFFERED');
  });

  it('an agent given at view may be used ("View & Use", product doc 001)', async () => {
    const user = await s.user(`agent-user-${seq}@example.com`);
    const g = await group('Agent users');
    await addMember(g, user);
    const agent = expectStatus(await s.admin.post('/resources', { type: 'agent', name: unique('Helper') }), 201).body.id as string;
    expectStatus(await s.admin.post(`/groups/${g}/resources`, { resourceIds: [agent], level: 'view' }), 201);
    expect((await authorize({ userId: user, action: 'use', resource: agent })).allowed).toBe(true);
    expect((await authorize({ userId: user, action: 'edit', resource: agent })).allowed).toBe(false);
  });

  it('level errors read naturally: "An agent can be assigned at …"', async () => {
    const g = await group('Agent grammar');
    const agent = expectStatus(await s.admin.post('/resources', { type: 'agent', name: unique('Grammar agent') }), 201).body.id;
    const res = await s.admin.post(`/groups/${g}/resources`, { resourceId: agent, level: 'delete' });
    expectError(res, 400, 'INVALID_REQUEST');
    expect(res.body.error.message).toBe('An agent can be assigned at view, edit');
  });

  it('only admins create agents and data sources', async () => {
    const member = (await s.caller('member')).client;
    expectError(await member.post('/resources', { type: 'agent', name: unique('Rogue') }), 403, 'FORBIDDEN');
    const list = expectStatus(await member.get('/resources'), 200).body;
    expect(list.items).toEqual([]);
  });
});

describe('tenancy', () => {
  it('a token for another tenant sees nothing', async () => {
    const user = await s.user(`tenant-one-${seq}@example.com`);
    const g = await group('Tenant one group');
    const r = await role([{ target: 'Ticket', level: 'view' }]);
    await assignRole(g, r);
    const other = await createTenant(s.runtime.deps.models, unique('other-tenant'));
    const outsider = s.operator(other.tenantId);
    expectError(await outsider.get(`/users/${user}/permissions`), 404, 'USER_NOT_FOUND');
    expectError(await outsider.post('/authorize', { userId: user, action: 'view', target: 'Ticket' }), 404, 'USER_NOT_FOUND');
    expectError(await outsider.get(`/roles/${r}`), 404, 'ROLE_NOT_FOUND');
    expectError(await outsider.get(`/groups/${g}/roles`), 404, 'GROUP_NOT_FOUND');
    expectError(await outsider.post(`/groups/${g}/roles`, { roleId: r }), 404, 'GROUP_NOT_FOUND');
    const theirRoles = expectStatus(await outsider.get('/roles'), 200).body.items as { id: string }[];
    expect(theirRoles.map((x) => x.id)).not.toContain(r);
    expect(theirRoles).toHaveLength(7);
  });
});

describe('audit', () => {
  it('every role and grant change is audited with the admin as actor', async () => {
    const g = await group('Audited');
    const r = await role([{ target: 'Ticket', level: 'view' }]);
    await assignRole(g, r);
    expectStatus(await s.admin.patch(`/roles/${r}`, { privileges: [{ target: 'Ticket', level: 'edit' }] }), 200);
    expectStatus(await s.admin.delete(`/groups/${g}/roles/${r}`), 204);
    const agent = expectStatus(await s.admin.post('/resources', { type: 'agent', name: unique('Audited bot') }), 201).body.id as string;
    expectStatus(await s.admin.post(`/groups/${g}/resources`, { resourceId: agent, level: 'view' }), 201);
    expectStatus(await s.admin.delete(`/groups/${g}/resources/${agent}`), 204);
    const events = (await s.runtime.deps.models.AuditEvent.collection.find({ tenantId: s.tenantId, 'object.id': { $in: [g, r, agent] } } as never).toArray()) as unknown as AuditEventDoc[];
    const actions = events.map((e) => e.action);
    for (const a of ['role.created', 'role.updated', 'group.role.assigned', 'group.role.revoked', 'resource.created', 'group.resource.assigned', 'group.resource.revoked']) {
      expect(actions).toContain(a);
    }
    for (const e of events.filter((x) => x.action.includes('role') || x.action.includes('resource'))) expect(e.actor).toEqual({ type: 'admin', id: 'admin-operator' });
    const updated = events.find((e) => e.action === 'role.updated')!;
    expect(updated.before).toMatchObject({ privileges: [{ target: 'Ticket', level: 'view' }] });
    expect(updated.after).toMatchObject({ privileges: [{ target: 'Ticket', level: 'edit' }] });
  });
});

describe('the cache across processes', () => {
  it('another replica never serves a stale answer: the tenant access version tells it to recompute', async () => {
    const models = s.runtime.deps.models;
    // A second engine with its own event bus stands for another API process on the same database.
    const replica = new PermissionEngine(models, new AccessEvents());
    try {
      const user = await s.user(`replica-${seq}@example.com`);
      const g = await group('Replicated');
      await assignRole(g, await role([{ target: 'Account', level: 'view' }]));
      const ask = async () => (await replica.authorize(s.tenantId, { userId: user, action: 'view', target: 'Account' })).allowed;
      expect(await ask()).toBe(false);
      expect(await ask()).toBe(false);
      expect(replica.stats.hits).toBeGreaterThan(0);
      const before = await accessVersion();
      // The membership change is reported on this process's bus only; the version bump follows it.
      await addMember(g, user);
      await waitFor(async () => (await accessVersion()) > before);
      expect(await ask()).toBe(true);
      expect(replica.stats.tenantResets).toBeGreaterThan(0);
    } finally {
      replica.close();
    }
  });

  it('a grant change made in this process patches the loaded grant data instead of reloading it', async () => {
    const engine = permissionEngine(s.runtime.deps.models);
    const user = await s.user(`patched-${seq}@example.com`);
    const g = await group('Patched');
    await addMember(g, user);
    await settled();
    const ask = async () => (await engine.authorize(s.tenantId, { userId: user, action: 'edit', target: 'Contacts' })).allowed;
    expect(await ask()).toBe(false);
    const loads = engine.stats.grantLoads;
    const r = await role([{ target: 'Contacts', level: 'edit' }]);
    await assignRole(g, r);
    expect(await ask()).toBe(true);
    expectStatus(await s.admin.patch(`/roles/${r}`, { privileges: [{ target: 'Contacts', level: 'view' }] }), 200);
    expect(await ask()).toBe(false);
    expect(engine.stats.grantLoads).toBe(loads);
  });

  it('a bulk membership change reported without user ids refreshes every cached user', async () => {
    const user = await s.user(`bulk-${seq}@example.com`);
    const g = await group('Bulk');
    await assignRole(g, await role([{ target: 'Ticket', level: 'delete' }]));
    const ask = async () => (await authorize({ userId: user, action: 'delete', target: 'Ticket' })).allowed;
    expect(await ask()).toBe(false);
    // As a rule run writes many memberships and reports the group only.
    await s.runtime.deps.memberships.addSource(s.tenantId, g, [user], 'rule:bulk');
    accessEvents.emit({ tenantId: s.tenantId, kind: 'membership', groupId: g });
    expect(await ask()).toBe(true);
  });

  it('a change made in this process keeps the unaffected cached users (precise invalidation)', async () => {
    const engine = permissionEngine(s.runtime.deps.models);
    const bystander = await s.user(`bystander-${seq}@example.com`);
    const mover = await s.user(`precise-${seq}@example.com`);
    const g = await group('Precise');
    await engine.authorize(s.tenantId, { userId: bystander, action: 'view', target: 'Ticket' });
    await engine.authorize(s.tenantId, { userId: mover, action: 'view', target: 'Ticket' });
    const version = await accessVersion();
    await addMember(g, mover);
    await waitFor(async () => (await accessVersion()) > version); // the bump that follows the event
    const before = { ...engine.stats };
    await engine.authorize(s.tenantId, { userId: bystander, action: 'view', target: 'Ticket' });
    await engine.authorize(s.tenantId, { userId: mover, action: 'view', target: 'Ticket' });
    expect(engine.stats.hits - before.hits).toBe(1);
    expect(engine.stats.misses - before.misses).toBe(1);
  });
});

async function accessVersion(): Promise<number> {
  const doc = (await s.runtime.deps.models.Tenant.collection.findOne({ _id: s.tenantId } as never)) as { accessVersion?: number } | null;
  return doc?.accessVersion ?? 0;
}

/** Waits until the version bumps that follow bus events (not awaited by their writers) are done. */
async function settled(): Promise<void> {
  let last = await accessVersion();
  for (;;) {
    await new Promise((r) => setTimeout(r, 30));
    const now = await accessVersion();
    if (now === last) return;
    last = now;
  }
}

async function waitFor(check: () => Promise<unknown>, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met in time');
}
