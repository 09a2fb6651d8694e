import { startAdminStack, expectError, expectStatus, type AdminClient, type AdminStack } from './admin-fixtures';

/** Product doc 004: Group Administrators manage their groups' users and projects and see nothing outside them. */
let s: AdminStack;
let groupA: string;
let groupB: string;
let ga: string;
let inA: string;
let outsider: string;
let gaClient: AdminClient;

beforeAll(async () => {
  s = await startAdminStack();
  ga = await s.user('group.admin@example.com');
  inA = await s.user('in.a@example.com');
  outsider = await s.user('outsider@example.com');
  groupA = expectStatus(await s.admin.post('/groups', { name: 'Project Alpha' }), 201).body.id;
  groupB = expectStatus(await s.admin.post('/groups', { name: 'Project Beta' }), 201).body.id;
  for (const u of [ga, inA]) expectStatus(await s.admin.post(`/groups/${groupA}/members`, { userId: u }), 201);
  expectStatus(await s.admin.post(`/groups/${groupB}/members`, { userId: outsider }), 201);
  expectStatus(await s.admin.post(`/groups/${groupA}/administrators`, { userId: ga }), 201);
  gaClient = s.as(ga, 'member');
});
afterAll(() => s.close());

const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((i) => i.id).sort();

describe('/admin/v1/groups/:id/administrators', () => {
  it('lists the designated administrators', async () => {
    const res = expectStatus(await s.admin.get(`/groups/${groupA}/administrators`), 200);
    expect(res.body.items).toEqual([expect.objectContaining({ userId: ga, user: expect.objectContaining({ userName: 'group.admin@example.com' }) })]);
  });

  it('a group administrator must be a member of the group', async () => {
    expectError(await s.admin.post(`/groups/${groupA}/administrators`, { userId: outsider }), 409, 'ADMINISTRATOR_NOT_MEMBER');
    expectError(await s.admin.post(`/groups/${groupA}/administrators`, { userId: ga }), 409, 'ADMINISTRATOR_EXISTS');
  });

  it('default groups take no group administrators', async () => {
    const support = await s.defaultGroup('support');
    expectStatus(await s.admin.post(`/groups/${support}/members`, { userId: inA }), 201);
    expectError(await s.admin.post(`/groups/${support}/administrators`, { userId: inA }), 409, 'GROUP_ADMINISTRATOR_DEFAULT_GROUP');
  });

  it('a group administrator cannot designate other administrators', async () => {
    expectError(await gaClient.post(`/groups/${groupA}/administrators`, { userId: inA }), 403, 'FORBIDDEN');
  });
});

describe('group administrator visibility', () => {
  it('group administrator cannot see users outside their groups', async () => {
    expect(ids(expectStatus(await gaClient.get('/users'), 200))).toEqual([ga, inA].sort());
    expectStatus(await gaClient.get(`/users/${inA}`), 200);
    expectError(await gaClient.get(`/users/${outsider}`), 404, 'USER_NOT_FOUND');
    expect(ids(expectStatus(await gaClient.get('/users?q=outsider'), 200))).toEqual([]);
    // An admin sees everyone.
    expect(ids(expectStatus(await s.admin.get('/users?q=outsider'), 200))).toEqual([outsider]);
  });

  it('group administrator cannot see groups outside theirs', async () => {
    expect(expectStatus(await gaClient.get('/groups'), 200).body.items.map((g: { id: string }) => g.id)).toEqual([groupA]);
    expectError(await gaClient.get(`/groups/${groupB}`), 404, 'GROUP_NOT_FOUND');
    expectError(await gaClient.get(`/groups/${groupB}/members`), 404, 'GROUP_NOT_FOUND');
  });

  it('group administrator cannot add a user they cannot see, but can invite new users into their group', async () => {
    expectError(await gaClient.post(`/groups/${groupA}/members`, { userId: outsider }), 404, 'USER_NOT_FOUND');
    const inv = expectStatus(await gaClient.post('/invitations', { email: 'fresh@example.com', groupIds: [groupA] }), 201);
    expect(inv.body.status).toBe('pending');
    expectError(await gaClient.post('/invitations', { email: 'fresh2@example.com', groupIds: [groupB] }), 404, 'GROUP_NOT_FOUND');
    // They see the invitations they sent, not others'.
    expectStatus(await s.admin.post('/invitations', { email: 'admins.own@example.com', groupIds: [groupB] }), 201);
    expect(expectStatus(await gaClient.get('/invitations'), 200).body.items.map((i: { email: string }) => i.email)).toEqual(['fresh@example.com']);
  });

  it('group administrator cannot make a user they cannot see the owner of their group, nor learn whether the id exists', async () => {
    const before = expectStatus(await s.admin.get(`/groups/${groupA}`), 200).body.ownerId;
    const hidden = await gaClient.patch(`/groups/${groupA}`, { ownerId: outsider });
    const missing = await gaClient.patch(`/groups/${groupA}`, { ownerId: 'usr_does_not_exist' });
    expectError(hidden, 404, 'USER_NOT_FOUND');
    expectError(missing, 404, 'USER_NOT_FOUND');
    expect(hidden.body.error.message.replace(outsider, 'X')).toBe(missing.body.error.message.replace('usr_does_not_exist', 'X'));
    expect(expectStatus(await s.admin.get(`/groups/${groupA}`), 200).body.ownerId).toBe(before);
    expectError(await gaClient.get(`/users/${outsider}`), 404, 'USER_NOT_FOUND');
    expect((await s.admin.get(`/groups/${groupA}/members`)).body.items.map((m: { userId: string }) => m.userId)).not.toContain(outsider);
    // A user of their group may become its owner.
    expect(expectStatus(await gaClient.patch(`/groups/${groupA}`, { ownerId: inA }), 200).body.ownerId).toBe(inA);
    expectStatus(await s.admin.patch(`/groups/${groupA}`, { ownerId: null }), 200);
  });

  it('inviting the address of a user they cannot see neither reveals nor adds that user', async () => {
    const inv = expectStatus(await gaClient.post('/invitations', { email: 'outsider@example.com', groupIds: [groupA] }), 201);
    expect(inv.body).toMatchObject({ status: 'pending', userId: null, result: null });
    expect((await s.admin.get(`/groups/${groupA}/members`)).body.items.map((m: { userId: string }) => m.userId)).not.toContain(outsider);
    expect(JSON.stringify(expectStatus(await gaClient.get(`/invitations/${inv.body.id}`), 200).body)).not.toContain(outsider);
  });

  it('the CSV preview resolves only addresses of users they can see', async () => {
    const preview = expectStatus(await gaClient.post(`/groups/${groupA}/members/import`, { csv: 'email\noutsider@example.com\nin.a@example.com' }), 201);
    expect(preview.body.rows.map((r: { email: string; outcome: string; reason?: string; userId?: string }) => [r.email, r.outcome, r.reason ?? null, r.userId ?? null])).toEqual([
      ['outsider@example.com', 'skipped', 'unknown e-mail', null],
      ['in.a@example.com', 'skipped', 'already a member', inA],
    ]);
  });

  it('group administrator edits their group and manages its members', async () => {
    expect(expectStatus(await gaClient.patch(`/groups/${groupA}`, { description: 'Alpha team' }), 200).body.description).toBe('Alpha team');
    expectError(await gaClient.patch(`/groups/${groupB}`, { description: 'not mine' }), 404, 'GROUP_NOT_FOUND');
    const extra = await s.user('extra.alpha@example.com');
    // A user becomes visible to them once an admin puts the user into one of their groups.
    expectStatus(await s.admin.post(`/groups/${groupA}/members`, { userId: extra }), 201);
    expectStatus(await gaClient.delete(`/groups/${groupA}/members/${extra}`), 200);
  });

  it('group administrator creates projects in their group and cannot see projects outside it', async () => {
    const mine = expectStatus(await gaClient.post(`/groups/${groupA}/projects`, { name: 'Alpha roadmap' }), 201);
    expect(mine.body).toMatchObject({ type: 'project', name: 'Alpha roadmap', level: 'edit' });
    const theirs = expectStatus(await s.admin.post(`/groups/${groupB}/projects`, { name: 'Beta secrets' }), 201);
    expect(expectStatus(await gaClient.get(`/groups/${groupA}/projects`), 200).body.items.map((p: { name: string }) => p.name)).toEqual(['Alpha roadmap']);
    const visible = expectStatus(await gaClient.get('/resources?type=project'), 200);
    expect(visible.body.items.map((p: { name: string }) => p.name)).toEqual(['Alpha roadmap']);
    expectError(await gaClient.post(`/groups/${groupA}/projects`, { projectId: theirs.body.id }), 404, 'PROJECT_NOT_FOUND');
    expectError(await gaClient.post(`/groups/${groupB}/projects`, { name: 'Sneaky' }), 404, 'GROUP_NOT_FOUND');
    // Taking a project out of the group.
    expectStatus(await gaClient.delete(`/groups/${groupA}/projects/${mine.body.id}`), 204);
    expect(expectStatus(await gaClient.get(`/groups/${groupA}/projects`), 200).body.items).toEqual([]);
  });

  it('when the administrator leaves the group, the designation ends with the membership', async () => {
    const g = expectStatus(await s.admin.post('/groups', { name: 'Temporary admin' }), 201).body.id;
    const temp = await s.user('temp.admin@example.com');
    expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: temp }), 201);
    expectStatus(await s.admin.post(`/groups/${g}/administrators`, { userId: temp }), 201);
    expectStatus(await s.as(temp, 'member').patch(`/groups/${g}`, { description: 'mine for now' }), 200);
    expectStatus(await s.admin.delete(`/groups/${g}/members/${temp}`), 200);
    expect(expectStatus(await s.admin.get(`/groups/${g}/administrators`), 200).body.items).toEqual([]);
    expectError(await s.as(temp, 'member').patch(`/groups/${g}`, { description: 'not any more' }), 404, 'GROUP_NOT_FOUND');
  });
});

describe('customer admins', () => {
  it('manage customer groups: members and administrators, but see no user group', async () => {
    const ca = (await s.caller('customer-admin')).client;
    const buyer = await s.user('buyer.one@example.com', { audience: 'customer' });
    const g = expectStatus(await ca.post('/groups', { name: 'Acme buyers', audience: 'customer' }), 201).body.id;
    expectStatus(await ca.post(`/groups/${g}/members`, { userId: buyer }), 201);
    expectStatus(await ca.post(`/groups/${g}/administrators`, { userId: buyer }), 201);
    expect(ids(expectStatus(await ca.get('/users?audience=customer'), 200))).toContain(buyer);
    expect(ids(expectStatus(await ca.get('/users'), 200))).not.toContain(ga);
    expectError(await ca.get(`/groups/${groupA}`), 404, 'GROUP_NOT_FOUND');
    const customerAdmins = await s.defaultGroup('customer-admins');
    expectStatus(await ca.post(`/groups/${customerAdmins}/members`, { userId: buyer }), 201);
  });
});
