import { CORE_USER_URN } from '../../src/attributes/urns';
import { startAdminStack, expectError, expectStatus, type AdminStack } from './admin-fixtures';

let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

/** The user's groups as { groupId, role, sources } (GET /users/{id} adds the group name and why). */
async function groupsOf(userId: string): Promise<{ groupId: string; role: string; sources: string[] }[]> {
  const groups = expectStatus(await s.admin.get(`/users/${userId}`), 200).body.groups as { groupId: string; role: string; sources: string[] }[];
  return groups.map(({ groupId, role, sources }) => ({ groupId, role, sources }));
}

describe('/admin/v1/invitations', () => {
  it('invitation applied on SCIM provisioning', async () => {
    const sales = expectStatus(await s.admin.post('/groups', { name: 'Sales' }), 201).body.id;
    const support = await s.defaultGroup('support');
    const inv = expectStatus(await s.admin.post('/invitations', { email: 'New.Hire@Example.com', groupIds: [sales, support], role: 'manager' }), 201);
    expect(inv.body).toMatchObject({ status: 'pending', email: 'New.Hire@Example.com', groupIds: [sales, support], userId: null });

    // The IdP provisions the user (the address differs in case only).
    const created = await s.scim.post('/Users', { schemas: [CORE_USER_URN], userName: 'nhire', emails: [{ value: 'new.hire@example.com', primary: true }] });
    expect(created.status).toBe(201);
    const userId = created.body.id as string;

    const groups = await groupsOf(userId);
    expect(groups).toEqual(
      expect.arrayContaining([
        { groupId: sales, role: 'manager', sources: ['manual'] },
        { groupId: support, role: 'manager', sources: ['manual'] },
      ]),
    );
    const after = expectStatus(await s.admin.get(`/invitations/${inv.body.id}`), 200);
    expect(after.body).toMatchObject({
      status: 'accepted',
      userId,
      result: [
        { groupId: sales, outcome: 'added' },
        { groupId: support, outcome: 'added' },
      ],
    });
    // A second user with the same address later gets nothing: the invitation was used.
    const again = await s.scim.post('/Users', { schemas: [CORE_USER_URN], userName: 'nhire2', emails: [{ value: 'new.hire@example.com' }] });
    expect((await groupsOf(again.body.id)).every((g) => g.sources.join() === 'automatic')).toBe(true);
  });

  it('two pending invitations for one address: the second reports what really happened, and the role stays', async () => {
    const team = expectStatus(await s.admin.post('/groups', { name: 'Twice invited' }), 201).body.id;
    const first = expectStatus(await s.admin.post('/invitations', { email: 'twice@example.com', groupIds: [team], role: 'member' }), 201).body.id;
    const second = expectStatus(await s.admin.post('/invitations', { email: 'twice@example.com', groupIds: [team], role: 'manager' }), 201).body.id;
    const created = await s.scim.post('/Users', { schemas: [CORE_USER_URN], userName: 'twice', emails: [{ value: 'twice@example.com' }] });
    const userId = created.body.id as string;
    const results = [expectStatus(await s.admin.get(`/invitations/${first}`), 200).body.result, expectStatus(await s.admin.get(`/invitations/${second}`), 200).body.result];
    const role = (await groupsOf(userId)).find((g) => g.groupId === team)!.role;
    // Whichever was applied first added the user with its role; the other reports the membership as it found it.
    const added = results.find((r) => r[0].outcome === 'added')[0];
    const skipped = results.find((r) => r[0].outcome === 'skipped')[0];
    expect(added.role).toBe(role);
    expect(skipped.reason).toBe(`already a member (role ${role})`);
    const accepted = expectStatus(await s.admin.get(`/audit?action=invitation.accepted`), 200).body.items.filter((e: { object: { id: string } }) => [first, second].includes(e.object.id));
    expect(accepted.map((e: { after: { groups: { outcome: string }[] } }) => e.after.groups[0]!.outcome).sort()).toEqual(['added', 'skipped']);
  });

  it('invitation applied when an admin provisions the user (POST /users)', async () => {
    const team = expectStatus(await s.admin.post('/groups', { name: 'Admin-provisioned team' }), 201).body.id;
    expectStatus(await s.admin.post('/invitations', { email: 'by.admin@example.com', groupIds: [team] }), 201);
    const user = expectStatus(await s.admin.post('/users', { email: 'by.admin@example.com', displayName: 'By Admin' }), 201);
    expect(user.body).toMatchObject({ userName: 'by.admin@example.com', audience: 'user', active: true });
    expect(await groupsOf(user.body.id)).toEqual(expect.arrayContaining([{ groupId: team, role: 'member', sources: ['manual'] }]));
    expectError(await (await s.caller('member')).client.post('/users', { email: 'x@example.com' }), 403, 'FORBIDDEN');
  });

  it('inviting an existing user applies the invitation at once', async () => {
    const u = await s.user('exists.already@example.com');
    const team = expectStatus(await s.admin.post('/groups', { name: 'Immediate' }), 201).body.id;
    const inv = expectStatus(await s.admin.post('/invitations', { email: 'exists.already@example.com', groupIds: [team] }), 201);
    expect(inv.body).toMatchObject({ status: 'accepted', userId: u });
    expect(await groupsOf(u)).toEqual(expect.arrayContaining([{ groupId: team, role: 'member', sources: ['manual'] }]));
  });

  it('a revoked invitation is not applied, and cannot be revoked twice', async () => {
    const team = expectStatus(await s.admin.post('/groups', { name: 'Revoked team' }), 201).body.id;
    const inv = expectStatus(await s.admin.post('/invitations', { email: 'revoked@example.com', groupIds: [team] }), 201);
    expect(expectStatus(await s.admin.delete(`/invitations/${inv.body.id}`), 200).body.status).toBe('revoked');
    expectError(await s.admin.delete(`/invitations/${inv.body.id}`), 409, 'INVITATION_NOT_PENDING');
    const u = await s.user('revoked@example.com');
    expect((await groupsOf(u)).map((g) => g.groupId)).not.toContain(team);
  });

  it('lists invitations filtered by status', async () => {
    const pending = expectStatus(await s.admin.get('/invitations?status=pending'), 200);
    expect(pending.body.items.every((i: { status: string }) => i.status === 'pending')).toBe(true);
    const revoked = expectStatus(await s.admin.get('/invitations?status=revoked'), 200);
    expect(revoked.body.items.map((i: { email: string }) => i.email)).toContain('revoked@example.com');
  });

  it('invitations into automatic groups, unknown groups or by plain members are refused', async () => {
    const platform = await s.defaultGroup('platform-users');
    expectError(await s.admin.post('/invitations', { email: 'a@example.com', groupIds: [platform] }), 409, 'GROUP_AUTOMATIC_MEMBERS');
    expectError(await s.admin.post('/invitations', { email: 'a@example.com', groupIds: ['grp_nope'] }), 404, 'GROUP_NOT_FOUND');
    expectError(await s.admin.post('/invitations', { email: 'not an email', groupIds: [platform] }), 400, 'INVALID_REQUEST');
    const plain = await s.user('plain.inviter@example.com');
    const team = expectStatus(await s.admin.post('/groups', { name: 'Plain inviter team' }), 201).body.id;
    expectStatus(await s.admin.post(`/groups/${team}/members`, { userId: plain }), 201);
    expectError(await s.as(plain, 'member').post('/invitations', { email: 'b@example.com', groupIds: [team] }), 403, 'FORBIDDEN');
  });
});
