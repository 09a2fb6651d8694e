import { startAdminStack, expectStatus, type AdminStack } from '../admin/admin-fixtures';

interface Ev {
  id: string;
  seq: number;
  type: string;
  object: { type: string; id: string };
  data: Record<string, any>;
}

async function eventsAfter(s: AdminStack, after?: string): Promise<{ items: Ev[]; nextCursor: string }> {
  const items: Ev[] = [];
  let cursor = after;
  for (;;) {
    const res = expectStatus(await s.admin.get(`/events?limit=500${cursor ? `&after=${cursor}` : ''}`), 200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (!res.body.hasMore) return { items, nextCursor: cursor! };
  }
}

/**
 * access.changed carries each user's effective difference (issue 19): one event per user whose
 * roles, permissions or resources a grant changed, with both sides, at the grant's place in the
 * feed; users the grant reaches without changing their access (they had it already) get none.
 */
describe('access.changed: each user’s effective difference', () => {
  let s: AdminStack;
  beforeAll(async () => {
    s = await startAdminStack();
  });
  afterAll(() => s.close());

  it("gives every member of the group and of its descendants their roles and permissions before and after, at the grant's place, and the reverse on revocation", async () => {
    const uniq = Date.now().toString(36);
    const role = expectStatus(await s.admin.post('/roles', { name: `Ticket closers ${uniq}`, privileges: [{ target: 'ticket', level: 'delete' }] }), 201).body.id as string;
    const parent = expectStatus(await s.admin.post('/groups', { name: `Support ${uniq}` }), 201).body.id as string;
    const child = expectStatus(await s.admin.post('/groups', { name: `Support EMEA ${uniq}`, parentId: parent }), 201).body.id as string;
    const other = expectStatus(await s.admin.post('/groups', { name: `Closers elsewhere ${uniq}` }), 201).body.id as string;
    const [ann, bob, cat, outsider] = [await s.user(`ann-${uniq}`), await s.user(`bob-${uniq}`), await s.user(`cat-${uniq}`), await s.user(`out-${uniq}`)];
    for (const [g, u] of [
      [parent, ann],
      [child, bob],
      [parent, cat],
      [other, cat],
    ] as const)
      expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: u }), 201);
    // cat has the role already, through another group: the grant does not change cat's access.
    expectStatus(await s.admin.post(`/groups/${other}/roles`, { roleId: role }), 201);
    const { nextCursor: start } = await eventsAfter(s);

    expectStatus(await s.admin.post(`/groups/${parent}/roles`, { roleId: role }), 201);
    const marker = await s.user(`after-grant-${uniq}`);
    const granted = (await eventsAfter(s, start)).items;
    const access = granted.filter((e) => e.type === 'access.changed');
    expect(access.map((e) => e.data.userId).sort()).toEqual([ann, bob].sort());
    for (const e of access) {
      expect(e.object).toEqual({ type: 'User', id: e.data.userId });
      expect(e.data.before.roles).not.toContain(role);
      expect(e.data.after.roles).toContain(role);
      expect(e.data.before.permissions.Ticket ?? e.data.before.permissions.ticket).toBeUndefined();
      expect(Object.values(e.data.after.permissions)).toContain('delete');
      expect(e.data.grant).toMatchObject({ subject: { type: 'Group', id: parent }, change: 'group.role.assigned', after: { roleId: role } });
    }
    // Consecutive, at the grant's place: before the change made after it.
    const seqs = access.map((e) => e.seq).sort((a, b) => a - b);
    expect(seqs.at(-1)! - seqs[0]!).toBe(seqs.length - 1);
    const markerCreated = granted.find((e) => e.type === 'user.created' && e.object.id === marker)!;
    expect(seqs.at(-1)!).toBeLessThan(markerCreated.seq);
    expect(access.some((e) => e.data.userId === outsider || e.data.userId === cat)).toBe(false);

    const { nextCursor: beforeRevoke } = await eventsAfter(s);
    expectStatus(await s.admin.delete(`/groups/${parent}/roles/${role}`), 204);
    const revoked = (await eventsAfter(s, beforeRevoke)).items.filter((e) => e.type === 'access.changed');
    expect(revoked.map((e) => e.data.userId).sort()).toEqual([ann, bob].sort());
    for (const e of revoked) {
      const granting = access.find((g) => g.data.userId === e.data.userId)!;
      expect(e.data.before).toEqual(granting.data.after);
      expect(e.data.after).toEqual(granting.data.before);
    }
  });

  it('gives a role assigned to one user directly one event for that user', async () => {
    const uniq = Date.now().toString(36);
    const role = expectStatus(await s.admin.post('/roles', { name: `Report viewers ${uniq}`, privileges: [{ target: 'ticket', level: 'view' }] }), 201).body.id as string;
    const dee = await s.user(`dee-${uniq}`);
    const { nextCursor: start } = await eventsAfter(s);
    expectStatus(await s.admin.post(`/users/${dee}/roles`, { roleId: role }), 201);
    const access = (await eventsAfter(s, start)).items.filter((e) => e.type === 'access.changed');
    expect(access.map((e) => [e.data.userId, e.data.before.roles.includes(role), e.data.after.roles.includes(role)])).toEqual([[dee, false, true]]);
  });
});
