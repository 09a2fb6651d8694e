import { createTenant } from '../../src/domain/tenants';
import { startAdminStack, expectError, expectStatus, type AdminClient, type AdminStack } from './admin-fixtures';

/** A token for another tenant sees nothing of this one: 404 for its objects, empty lists, no changes. */
let s: AdminStack;
let otherAdmin: AdminClient;
let groupId: string;
let userId: string;
let invitationId: string;
let importId: string;

beforeAll(async () => {
  s = await startAdminStack();
  const other = await createTenant(s.runtime.deps.models, 'other-tenant');
  otherAdmin = s.operator(other.tenantId);
  userId = await s.user('isolated@example.com');
  groupId = expectStatus(await s.admin.post('/groups', { name: 'Isolated group' }), 201).body.id;
  expectStatus(await s.admin.post(`/groups/${groupId}/members`, { userId }), 201);
  invitationId = expectStatus(await s.admin.post('/invitations', { email: 'later@example.com', groupIds: [groupId] }), 201).body.id;
  importId = expectStatus(await s.admin.post(`/groups/${groupId}/members/import`, { csv: 'email\nisolated@example.com' }), 201).body.id;
});
afterAll(() => s.close());

describe("another tenant's admin token", () => {
  it("gets 404 for this tenant's group, members, administrators, projects and imports", async () => {
    expectError(await otherAdmin.get(`/groups/${groupId}`), 404, 'GROUP_NOT_FOUND');
    expectError(await otherAdmin.patch(`/groups/${groupId}`, { name: 'Taken over' }), 404, 'GROUP_NOT_FOUND');
    expectError(await otherAdmin.delete(`/groups/${groupId}`), 404, 'GROUP_NOT_FOUND');
    expectError(await otherAdmin.post(`/groups/${groupId}/archive`), 404, 'GROUP_NOT_FOUND');
    expectError(await otherAdmin.get(`/groups/${groupId}/members`), 404, 'GROUP_NOT_FOUND');
    expectError(await otherAdmin.delete(`/groups/${groupId}/members/${userId}`), 404, 'GROUP_NOT_FOUND');
    expectError(await otherAdmin.get(`/groups/${groupId}/administrators`), 404, 'GROUP_NOT_FOUND');
    expectError(await otherAdmin.get(`/groups/${groupId}/projects`), 404, 'GROUP_NOT_FOUND');
    expectError(await otherAdmin.post(`/groups/${groupId}/members/import/${importId}/confirm`), 404, 'GROUP_NOT_FOUND');
  });

  it("gets 404 for this tenant's users and invitations", async () => {
    expectError(await otherAdmin.get(`/users/${userId}`), 404, 'USER_NOT_FOUND');
    expectError(await otherAdmin.get(`/invitations/${invitationId}`), 404, 'INVITATION_NOT_FOUND');
    expectError(await otherAdmin.delete(`/invitations/${invitationId}`), 404, 'INVITATION_NOT_FOUND');
  });

  it("cannot put this tenant's users into its own groups", async () => {
    const mine = expectStatus(await otherAdmin.post('/groups', { name: 'Isolated group' }), 201).body.id;
    expectError(await otherAdmin.post(`/groups/${mine}/members`, { userId }), 404, 'USER_NOT_FOUND');
    expectError(await otherAdmin.post('/groups', { name: 'Child elsewhere', parentId: groupId }), 400, 'GROUP_PARENT_NOT_FOUND');
  });

  it("sees none of this tenant's objects in lists or the audit log", async () => {
    const groups = expectStatus(await otherAdmin.get('/groups?limit=200'), 200);
    expect(groups.body.items.map((g: { id: string }) => g.id)).not.toContain(groupId);
    expect(expectStatus(await otherAdmin.get('/users'), 200).body.items).toEqual([]);
    expect(expectStatus(await otherAdmin.get('/invitations'), 200).body.items).toEqual([]);
    const events = expectStatus(await otherAdmin.get('/audit?limit=500'), 200).body.items as { object: { id: string } }[];
    expect(events.map((e) => e.object.id)).not.toContain(groupId);
  });

  it("left this tenant's data unchanged", async () => {
    expect(expectStatus(await s.admin.get(`/groups/${groupId}`), 200).body).toMatchObject({ name: 'Isolated group', status: 'active', memberCount: 1 });
    expect(expectStatus(await s.admin.get(`/invitations/${invitationId}`), 200).body.status).toBe('pending');
  });
});

describe('authentication', () => {
  it('every admin endpoint but the OpenAPI document needs a valid token', async () => {
    expectError(await s.http.get('/admin/v1/groups'), 401, 'ADMIN_AUTH_MISSING');
    expectError(await s.http.get('/admin/v1/groups').set('Authorization', 'Bearer not-a-jwt'), 401, 'ADMIN_AUTH_INVALID');
    expectStatus(await s.http.get('/admin/v1/openapi.json'), 200);
  });
});
