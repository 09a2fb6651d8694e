import { startAdminStack, expectError, expectStatus, type AdminStack } from './admin-fixtures';

let s: AdminStack;
let groupId: string;
let userId: string;
let startedAt: string;
let aliceId: string;

interface Event {
  id: string;
  at: string;
  actor: { type: string; id: string };
  action: string;
  object: { type: string; id: string };
  before: unknown;
  after: unknown;
  requestId: string | null;
}

beforeAll(async () => {
  s = await startAdminStack();
  startedAt = new Date(Date.now() - 1000).toISOString();
  userId = await s.user('audited@example.com');
  aliceId = await s.user('alice.admin@example.com');
  const alice = s.as(aliceId, 'admin');
  groupId = expectStatus(await alice.post('/groups', { name: 'Audited group' }).set('X-Request-Id', 'req-audit-1'), 201).body.id;
  expectStatus(await alice.patch(`/groups/${groupId}`, { description: 'Now described' }), 200);
  expectStatus(await s.admin.post(`/groups/${groupId}/members`, { userId }), 201);
  expectStatus(await s.admin.patch(`/groups/${groupId}/members/${userId}`, { role: 'manager' }), 200);
  expectStatus(await s.admin.delete(`/groups/${groupId}/members/${userId}`), 200);
  expectStatus(await s.admin.post(`/groups/${groupId}/archive`), 200);
});
afterAll(() => s.close());

async function audit(query: string): Promise<Event[]> {
  return expectStatus(await s.admin.get(`/audit${query}`), 200).body.items;
}

describe('GET /admin/v1/audit', () => {
  it('records every admin change with actor, object, before, after and request id', async () => {
    const events = await audit(`?objectId=${groupId}`);
    expect(events.map((e) => e.action)).toEqual(['group.archived', 'group.member.removed', 'group.member.role_changed', 'group.member.added', 'group.updated', 'group.created']);
    const created = events.find((e) => e.action === 'group.created')!;
    expect(created).toMatchObject({ actor: { type: 'admin', id: aliceId }, object: { type: 'Group', id: groupId }, requestId: 'req-audit-1', after: { name: 'Audited group' } });
    const updated = events.find((e) => e.action === 'group.updated')!;
    expect(updated.before).toMatchObject({ description: null });
    expect(updated.after).toMatchObject({ description: 'Now described' });
    expect(events.find((e) => e.action === 'group.member.role_changed')).toMatchObject({ before: { userId, role: 'member' }, after: { userId, role: 'manager' } });
  });

  it('filters by action type: exact, or a prefix ending in "." or "*"', async () => {
    expect((await audit('?action=group.created')).map((e) => e.object.id)).toEqual([groupId]);
    expect(new Set((await audit('?action=group.member.')).map((e) => e.action))).toEqual(new Set(['group.member.added', 'group.member.role_changed', 'group.member.removed']));
    expect(new Set((await audit('?action=group.member*')).map((e) => e.action))).toEqual(new Set(['group.member.added', 'group.member.role_changed', 'group.member.removed']));
    // The SCIM path is audited too (the IdP's token is the actor).
    const scim = await audit(`?action=user.created&objectId=${userId}`);
    expect(scim).toEqual([expect.objectContaining({ object: { type: 'User', id: userId }, actor: expect.objectContaining({ type: 'scim-token' }) })]);
  });

  it('records a non-admin caller as a user, not as an admin', async () => {
    const manager = await s.user('auditing.manager@example.com');
    const newcomer = await s.user('audited.newcomer@example.com');
    const g = expectStatus(await s.admin.post('/groups', { name: 'Managed and audited', ownerId: manager }), 201).body.id;
    const pool = expectStatus(await s.admin.post('/groups', { name: 'Pool for the audited manager', ownerId: manager }), 201).body.id;
    expectStatus(await s.admin.post(`/groups/${pool}/members`, { userId: newcomer }), 201);
    expectStatus(await s.as(manager, 'member').post(`/groups/${g}/members`, { userId: newcomer }), 201);
    const events = await audit(`?action=group.member.added&objectId=${g}`);
    expect(events.map((e) => e.actor)).toEqual([{ type: 'user', id: manager, as: 'manager' }]);
    expect((await audit(`?actor=user:${manager}`)).length).toBe(1);
  });

  it('filters by actor (id, or type:id)', async () => {
    expect((await audit(`?actor=${aliceId}`)).map((e) => e.action)).toEqual(['group.updated', 'group.created']);
    expect((await audit(`?actor=admin:${aliceId}`)).length).toBe(2);
    expect(await audit(`?actor=rule:${aliceId}`)).toEqual([]);
  });

  it('filters by names a person knows: a user by name or e-mail, a group by name, a token by its label', async () => {
    // The admin who made the changes, by e-mail; what they did to the group, by its name.
    const byAlice = await audit(`?actorName=${encodeURIComponent('Alice.Admin@example.com')}`);
    expect(byAlice.map((e) => e.action).sort()).toEqual(['group.created', 'group.updated']);
    const aboutGroup = await audit(`?objectName=${encodeURIComponent('audited GROUP')}`);
    expect(aboutGroup.length).toBeGreaterThanOrEqual(6);
    expect(new Set(aboutGroup.map((e) => e.object.id))).toEqual(new Set([groupId]));
    // A user's own events and the membership events that name them.
    const aboutUser = await s.admin.get(`/audit?objectName=${encodeURIComponent('audited@example.com')}`);
    expect(aboutUser.body.matched).toEqual({ object: [{ id: userId, kind: 'user', name: 'audited@example.com' }] });
    const actions = (aboutUser.body.items as Event[]).map((e) => e.action);
    expect(actions.slice(0, 3)).toEqual(['group.member.removed', 'group.member.role_changed', 'group.member.added']);
    // Its creation and joining the default groups, in one instant (their order is the ids').
    expect(actions.slice(3).sort()).toEqual(['membership.added', 'membership.added', 'user.created']);
    // A SCIM token by its label: what the IdP did with it.
    const token = expectStatus(await s.admin.post('/scim-tokens', { label: 'Okta production' }), 201).body as { tokenId: string; token: string };
    const created = await s.http
      .post('/scim/v2/Users')
      .set('Authorization', `Bearer ${token.token}`)
      .set('Content-Type', 'application/scim+json')
      .send({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'pushed.by.okta@example.com' });
    expect(created.status).toBe(201);
    const byToken = await s.admin.get('/audit?actorName=okta%20production');
    expect(byToken.body.matched.actor).toEqual([{ id: token.tokenId, kind: 'token', name: 'Okta production' }]);
    const tokenRows = byToken.body.items as Event[];
    expect(tokenRows.find((e) => e.action === 'user.created')?.object.id).toBe(created.body.id);
    expect(new Set(tokenRows.map((e) => e.actor.id))).toEqual(new Set([token.tokenId]));
    // A name that stands for nothing matches no event (it is not ignored).
    const nobody = await s.admin.get('/audit?actorName=Nobody%20Here');
    expect(nobody.body).toEqual({ items: [], nextCursor: null, matched: { actor: [] } });
    // A token without a label (created with `label: null`) stands for no name; it is not an error (schemathesis found a 500).
    expect((await s.admin.post('/scim-tokens', { label: null })).status).toBe(201);
    const stillNobody = await s.admin.get('/audit?actorName=Nobody%20Here&objectName=Nobody%20Here');
    expect(stillNobody.status).toBe(200);
    expect(stillNobody.body.matched).toEqual({ actor: [], object: [] });
    // A name that stands for nothing does not skip the other parameters' checks (schemathesis: a bad `from` was answered 200).
    const badFrom = await s.admin.get('/audit?actorName=Nobody%20Here&from=not-a-time');
    expect(badFrom.status).toBe(400);
    expect(badFrom.body.error.details.field).toBe('from');
  });

  it('filters by time range', async () => {
    const all = await audit('?limit=500');
    expect(all.length).toBeGreaterThan(0);
    expect((await audit(`?from=${encodeURIComponent(startedAt)}`)).length).toBe(all.length);
    expect(await audit(`?to=${encodeURIComponent(startedAt)}`)).toEqual([]);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(await audit(`?from=${encodeURIComponent(future)}`)).toEqual([]);
    expectError(await s.admin.get('/audit?from=yesterday'), 400, 'INVALID_REQUEST');
  });

  it('paginates newest first with a cursor, without gaps or repeats', async () => {
    const all = await audit('?limit=500');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = expectStatus(await s.admin.get(`/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`), 200);
      seen.push(...res.body.items.map((e: Event) => e.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));
    const times = all.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    expectError(await s.admin.get('/audit?cursor=garbage'), 400, 'INVALID_CURSOR');
  });

  it('only admins read the audit log', async () => {
    expectError(await s.as(userId, 'member').get('/audit'), 403, 'FORBIDDEN');
  });
});
