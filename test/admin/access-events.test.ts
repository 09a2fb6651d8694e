import { accessEvents, type AccessChange } from '../../src/domain/access-events';
import { startAdminStack, expectStatus, type AdminStack } from './admin-fixtures';

/** Permission caches listen on accessEvents: every membership, hierarchy and group status change is reported. */
let s: AdminStack;
let seen: AccessChange[];
let unsubscribe: () => void;

beforeAll(async () => {
  s = await startAdminStack();
  unsubscribe = accessEvents.on((change) => {
    if (change.tenantId === s.tenantId) seen.push(change);
  });
});
afterAll(async () => {
  unsubscribe();
  await s.close();
});
beforeEach(() => {
  seen = [];
});

describe('accessEvents', () => {
  it('reports member additions, role changes and removals per user', async () => {
    const u = await s.user('evented@example.com');
    const g = expectStatus(await s.admin.post('/groups', { name: 'Evented' }), 201).body.id;
    seen = [];
    expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: u }), 201);
    expectStatus(await s.admin.patch(`/groups/${g}/members/${u}`, { role: 'manager' }), 200);
    expectStatus(await s.admin.delete(`/groups/${g}/members/${u}`), 200);
    expect(seen).toEqual([
      { tenantId: s.tenantId, kind: 'membership', groupId: g, userId: u },
      { tenantId: s.tenantId, kind: 'membership', groupId: g, userId: u },
      { tenantId: s.tenantId, kind: 'membership', groupId: g, userId: u },
    ]);
  });

  it('reports parent changes as hierarchy and archive/delete as group changes', async () => {
    const parent = expectStatus(await s.admin.post('/groups', { name: 'Evented parent' }), 201).body.id;
    const child = expectStatus(await s.admin.post('/groups', { name: 'Evented child' }), 201).body.id;
    seen = [];
    expectStatus(await s.admin.patch(`/groups/${child}`, { parentId: parent }), 200);
    expectStatus(await s.admin.post(`/groups/${child}/archive`), 200);
    expectStatus(await s.admin.delete(`/groups/${child}`), 204);
    expect(seen.map((c) => `${c.kind}:${c.groupId}`)).toEqual([`hierarchy:${child}`, `group:${child}`, `group:${child}`]);
  });

  it('reports memberships applied from a CSV import and from an invitation', async () => {
    const a = await s.user('csv.evented@example.com');
    const g = expectStatus(await s.admin.post('/groups', { name: 'Evented import' }), 201).body.id;
    const preview = expectStatus(await s.admin.post(`/groups/${g}/members/import`, { csv: 'email\ncsv.evented@example.com' }), 201).body.id;
    seen = [];
    expectStatus(await s.admin.post(`/groups/${g}/members/import/${preview}/confirm`), 200);
    expect(seen).toEqual([{ tenantId: s.tenantId, kind: 'membership', groupId: g, userId: a }]);
    expectStatus(await s.admin.post('/invitations', { email: 'invited.evented@example.com', groupIds: [g] }), 201);
    seen = [];
    const b = await s.user('invited.evented@example.com');
    expect(seen).toEqual([{ tenantId: s.tenantId, kind: 'membership', groupId: g, userId: b }]);
  });
});
