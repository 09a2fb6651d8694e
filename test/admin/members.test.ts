import { GROUP_URN_FOR_TESTS, startAdminStack, expectError, expectStatus, type AdminStack } from './admin-fixtures';

let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

async function newGroup(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  return expectStatus(await s.admin.post('/groups', { name, ...extra }), 201).body.id;
}

describe('/admin/v1/groups/:id/members', () => {
  it('an admin adds a member with a role, lists them and changes the role', async () => {
    const u = await s.user('alice@example.com');
    const g = await newGroup('Tier 1 Support');
    const added = expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: u, role: 'member' }), 201);
    expect(added.body).toMatchObject({ userId: u, role: 'member', sources: ['manual'], user: { userName: 'alice@example.com', emails: ['alice@example.com'] } });
    expectError(await s.admin.post(`/groups/${g}/members`, { userId: u }), 409, 'MEMBERSHIP_EXISTS');
    expect(expectStatus(await s.admin.patch(`/groups/${g}/members/${u}`, { role: 'manager' }), 200).body.role).toBe('manager');
    const list = expectStatus(await s.admin.get(`/groups/${g}/members`), 200);
    expect(list.body).toMatchObject({ total: 1, nextCursor: null, items: [{ userId: u, role: 'manager' }] });
    expect(expectStatus(await s.admin.get(`/groups/${g}`), 200).body.memberCount).toBe(1);
  });

  it('POST, PATCH and DELETE of a member answer the same Member shape', async () => {
    const u = await s.user('same.shape@example.com');
    const g = await newGroup('Same shapes');
    const shape = { userId: u, role: expect.any(String), sources: expect.any(Array), user: expect.objectContaining({ id: u, userName: 'same.shape@example.com' }) };
    expect(expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: u }), 201).body).toEqual(shape);
    expect(expectStatus(await s.admin.patch(`/groups/${g}/members/${u}`, { role: 'manager' }), 200).body).toEqual({ ...shape, role: 'manager' });
    expect(expectStatus(await s.admin.delete(`/groups/${g}/members/${u}`), 200).body).toEqual({ ...shape, role: 'manager', sources: [], removedSources: ['manual'], membershipEnded: true });
  });

  it('a member is added by e-mail as well as by id (case-insensitive), within what the caller can see', async () => {
    const u = await s.user('by.email@example.com');
    const g = await newGroup('Added by e-mail');
    const added = expectStatus(await s.admin.post(`/groups/${g}/members`, { email: 'By.Email@Example.com', role: 'manager' }), 201);
    expect(added.body).toMatchObject({ userId: u, role: 'manager', sources: ['manual'] });
    expectError(await s.admin.post(`/groups/${g}/members`, { email: 'nobody.here@example.com' }), 404, 'USER_NOT_FOUND');
    expectError(await s.admin.post(`/groups/${g}/members`, { userId: u, email: 'by.email@example.com' }), 400, 'INVALID_REQUEST');
    expectError(await s.admin.post(`/groups/${g}/members`, { email: 'not-an-address' }), 400, 'INVALID_REQUEST');
    // Two users sharing an address: ambiguous, and both named (the admin sees them).
    const twin1 = await s.user('twin.one', { email: 'shared@example.com' });
    const twin2 = await s.user('twin.two', { email: 'shared@example.com' });
    const ambiguous = await s.admin.post(`/groups/${g}/members`, { email: 'shared@example.com' });
    expectError(ambiguous, 409, 'USER_EMAIL_AMBIGUOUS');
    expect(ambiguous.body.error.details.userIds.sort()).toEqual([twin1, twin2].sort());
    // A manager reaches by e-mail only the users they can see; anyone else reads as unknown.
    const manager = await s.user('email.manager@example.com');
    expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: manager, role: 'manager' }), 201);
    await s.user('hidden.from.manager@example.com');
    expectError(await s.as(manager, 'member').post(`/groups/${g}/members`, { email: 'hidden.from.manager@example.com' }), 404, 'USER_NOT_FOUND');
  });

  it('when the user does not exist, then 404 USER_NOT_FOUND', async () => {
    const g = await newGroup('Nobody joins');
    expectError(await s.admin.post(`/groups/${g}/members`, { userId: 'usr_missing' }), 404, 'USER_NOT_FOUND');
  });

  it('customer groups hold customers only, user groups internal users only', async () => {
    const customer = await s.user('buyer@example.com', { audience: 'customer' });
    const g = await newGroup('Internal only');
    expectError(await s.admin.post(`/groups/${g}/members`, { userId: customer }), 400, 'GROUP_AUDIENCE_MISMATCH');
    const verified = await s.defaultGroup('verified-customers');
    expectStatus(await s.admin.post(`/groups/${verified}/members`, { userId: customer }), 201);
  });

  it('owner cannot be removed from their group', async () => {
    const owner = await s.user('owner@example.com');
    const g = await newGroup('Owned', { ownerId: owner });
    const res = await s.admin.delete(`/groups/${g}/members/${owner}`);
    expectError(res, 409, 'GROUP_OWNER_NOT_REMOVABLE');
    // Not even when an admin also added them by hand.
    expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: owner }), 201);
    expectError(await s.admin.delete(`/groups/${g}/members/${owner}`), 409, 'GROUP_OWNER_NOT_REMOVABLE');
    // After a change of owner, the former owner can be removed.
    const next = await s.user('next.owner@example.com');
    expectStatus(await s.admin.patch(`/groups/${g}`, { ownerId: next }), 200);
    const removed = expectStatus(await s.admin.delete(`/groups/${g}/members/${owner}`), 200);
    expect(removed.body).toMatchObject({ membershipEnded: true });
    const members = expectStatus(await s.admin.get(`/groups/${g}/members`), 200).body.items.map((m: { userId: string; sources: string[] }) => [m.userId, m.sources]);
    expect(members).toEqual([[next, ['owner']]]);
  });

  it('changing the owner keeps the previous owner as a plain member, and the change is audited', async () => {
    const first = await s.user('first.owner@example.com');
    const second = await s.user('second.owner@example.com');
    const g = await newGroup('Changing hands', { ownerId: first });
    expectStatus(await s.admin.patch(`/groups/${g}`, { ownerId: second }), 200);
    const members = expectStatus(await s.admin.get(`/groups/${g}/members`), 200).body.items.map((m: { userId: string; role: string; sources: string[] }) => [m.userId, m.role, m.sources]);
    expect(members.sort()).toEqual(
      [
        [first, 'member', ['manual']],
        [second, 'manager', ['owner']],
      ].sort(),
    );
    const audit = expectStatus(await s.admin.get(`/audit?action=group.owner.changed&objectId=${g}`), 200).body.items;
    expect(audit).toEqual([expect.objectContaining({ before: { ownerId: first }, after: { ownerId: second, previousOwner: { userId: first, role: 'member', sources: ['manual'] } } })]);
    // Now an ordinary member: removable.
    expect(expectStatus(await s.admin.delete(`/groups/${g}/members/${first}`), 200).body.membershipEnded).toBe(true);
  });

  it("an IdP group is read-only: no members, roles, resources or projects from the admin API, and SCIM shows only the IdP's members", async () => {
    const pushed = await s.user('pushed.by.idp@example.com');
    const outsider = await s.user('never.pushed@example.com');
    const scimGroup = await s.scim.post('/Groups', { schemas: [GROUP_URN_FOR_TESTS], displayName: 'Okta Sales', members: [{ value: pushed }] });
    expect(scimGroup.status).toBe(201);
    const g = scimGroup.body.id as string;
    expectError(await s.admin.post(`/groups/${g}/members`, { userId: outsider }), 409, 'GROUP_READ_ONLY');
    expectError(await s.admin.patch(`/groups/${g}/members/${pushed}`, { role: 'manager' }), 409, 'GROUP_READ_ONLY');
    expectError(await s.admin.post(`/groups/${g}/members/import`, { csv: 'email\nnever.pushed@example.com' }), 409, 'GROUP_READ_ONLY');
    const adminRole = (await s.admin.get('/roles?q=admin')).body.items.find((r: { system: string | null }) => r.system === 'admin').id;
    expectError(await s.admin.post(`/groups/${g}/roles`, { roleId: adminRole }), 409, 'GROUP_READ_ONLY');
    const agent = expectStatus(await s.admin.post('/resources', { type: 'agent', name: 'IdP-proof agent' }), 201).body.id;
    expectError(await s.admin.post(`/groups/${g}/resources`, { resourceId: agent, level: 'edit' }), 409, 'GROUP_READ_ONLY');
    expectError(await s.admin.post(`/groups/${g}/projects`, { name: 'IdP-proof project' }), 409, 'GROUP_READ_ONLY');
    expectError(await s.admin.post('/resources', { type: 'project', name: 'Another IdP-proof project', groupId: g }), 409, 'GROUP_READ_ONLY');
    // Only the IdP can take its membership away.
    expectError(await s.admin.delete(`/groups/${g}/members/${pushed}`), 409, 'MEMBERSHIP_NOT_ADMIN_MANAGED');
    const viaScim = await s.scim.get(`/Groups/${g}`);
    expect(viaScim.body.members.map((m: { value: string }) => m.value)).toEqual([pushed]);
    const viaAdmin = expectStatus(await s.admin.get(`/groups/${g}/members`), 200);
    expect(viaAdmin.body.items).toEqual([expect.objectContaining({ userId: pushed, role: 'member', sources: ['scim'] })]);
    expect(expectStatus(await s.admin.get(`/groups/${g}/roles`), 200).body.roles).toEqual([]);
  });

  it('removing a member ends the membership when nothing else holds it', async () => {
    const u = await s.user('leaver@example.com');
    const g = await newGroup('Leavers');
    expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: u }), 201);
    expect(expectStatus(await s.admin.delete(`/groups/${g}/members/${u}`), 200).body.membershipEnded).toBe(true);
    expectError(await s.admin.delete(`/groups/${g}/members/${u}`), 404, 'MEMBERSHIP_NOT_FOUND');
    expect(expectStatus(await s.admin.get(`/groups/${g}/members`), 200).body.total).toBe(0);
  });

  it('members are paginated with a cursor', async () => {
    const g = await newGroup('Paged');
    const ids = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await s.user(`paged${i}@example.com`));
      expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: ids[i] }), 201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = expectStatus(await s.admin.get(`/groups/${g}/members?limit=2${cursor ? `&cursor=${cursor}` : ''}`), 200);
      expect(res.body.total).toBe(5);
      seen.push(...res.body.items.map((m: { userId: string }) => m.userId));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].sort());
  });
});

describe('who may change members', () => {
  it('only an admin can make another user an admin', async () => {
    const admins = await s.defaultGroup('admins');
    const candidate = await s.user('would.be.admin@example.com');
    const teamManager = await s.user('plain.manager@example.com');
    const team = await newGroup('Managed team');
    expectStatus(await s.admin.post(`/groups/${team}/members`, { userId: teamManager, role: 'manager' }), 201);
    // A manager of another group and a customer admin do not even see the Admins group.
    expectError(await s.as(teamManager, 'member').post(`/groups/${admins}/members`, { userId: candidate }), 404, 'GROUP_NOT_FOUND');
    expectError(await (await s.caller('customer-admin')).client.post(`/groups/${admins}/members`, { userId: candidate }), 404, 'GROUP_NOT_FOUND');
    expectError(await s.as(teamManager, 'member').post('/invitations', { email: 'x@example.com', groupIds: [admins] }), 404, 'GROUP_NOT_FOUND');
    expect((await s.admin.get(`/groups/${admins}/members`)).body.items.map((m: { userId: string }) => m.userId)).not.toContain(candidate);
    // An admin does; and membership of Admins makes the new admin an admin in turn.
    const newAdmin = await s.user('new.admin@example.com');
    expectStatus(await s.admin.post(`/groups/${admins}/members`, { userId: newAdmin }), 201);
    expectStatus(await s.as(newAdmin, 'member').post(`/groups/${admins}/members`, { userId: candidate }), 201);
  });

  it('a manager of Admins who is not an admin still cannot add admins (the rule is by admin status, not group role)', async () => {
    const { Access } = await import('../../src/domain/access/policy');
    const admins = await s.defaultGroup('admins');
    const systemIds = new Map([['admins', admins]]);
    const managerNotAdmin = new Access({ tenantId: s.tenantId, userId: 'u', role: 'member' }, false, false, new Set([admins]), new Set([admins]), new Set([admins]), systemIds);
    const group = {
      id: admins,
      tenantId: s.tenantId,
      origin: 'internal' as const,
      name: 'Admins',
      audience: 'user' as const,
      kind: 'static' as const,
      status: 'active' as const,
      system: 'admins',
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    expect(managerNotAdmin.canManageMembers(group)).toBe(false);
    expect(managerNotAdmin.canInviteInto(group)).toBe(false);
  });

  it("group owners and managers manage their own group's members, and only theirs", async () => {
    const owner = await s.user('team.owner@example.com');
    const manager = await s.user('team.manager@example.com');
    const newcomer = await s.user('newcomer@example.com');
    const g = await newGroup('Self-managed', { ownerId: owner });
    const other = await newGroup("Someone else's");
    // Owners and managers name users they can see: those of the groups they own or manage.
    const pool = await newGroup('Pool of the owner and manager', { ownerId: owner });
    for (const u of [manager, newcomer]) expectStatus(await s.admin.post(`/groups/${pool}/members`, { userId: u, role: u === manager ? 'manager' : 'member' }), 201);
    expectStatus(await s.as(owner, 'member').post(`/groups/${g}/members`, { userId: manager, role: 'manager' }), 201);
    expectStatus(await s.as(manager, 'member').post(`/groups/${g}/members`, { userId: newcomer }), 201);
    expectStatus(await s.as(manager, 'member').delete(`/groups/${g}/members/${newcomer}`), 200);
    expectError(await s.as(manager, 'member').post(`/groups/${other}/members`, { userId: newcomer }), 404, 'GROUP_NOT_FOUND');
    // Managers manage members, not the group itself.
    expectError(await s.as(manager, 'member').patch(`/groups/${g}`, { name: 'Renamed by manager' }), 403, 'FORBIDDEN');
  });

  it('an owner cannot add a user they cannot see, even to a group that holds the Admin role', async () => {
    const owner = await s.user('owner.of.powerful@example.com');
    const stranger = await s.user('stranger.to.owner@example.com');
    const g = await newGroup('Powerful team', { ownerId: owner });
    const adminRole = (await s.admin.get('/roles')).body.items.find((r: { system: string | null }) => r.system === 'admin').id;
    expectStatus(await s.admin.post(`/groups/${g}/roles`, { roleId: adminRole }), 201);
    expectError(await s.as(owner, 'member').get(`/users/${stranger}`), 404, 'USER_NOT_FOUND');
    expectError(await s.as(owner, 'member').post(`/groups/${g}/members`, { userId: stranger }), 404, 'USER_NOT_FOUND');
    // Nor import anyone: the group grants admin access, and only an admin grants that.
    expectError(await s.as(owner, 'member').post(`/groups/${g}/members/import`, { csv: 'email\nstranger.to.owner@example.com' }), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    const allowed = await s.admin.post('/authorize', { userId: stranger, action: 'delete', target: 'Account' });
    expect(allowed.body.allowed).toBe(false);
  });

  it('a plain member sees their group but cannot change its members', async () => {
    const plain = await s.user('just.a.member@example.com');
    const other = await s.user('someone.else@example.com');
    const g = await newGroup('Read-only for members');
    expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: plain }), 201);
    expectStatus(await s.as(plain, 'member').get(`/groups/${g}/members`), 200);
    expectError(await s.as(plain, 'member').post(`/groups/${g}/members`, { userId: other }), 403, 'FORBIDDEN');
  });
});
