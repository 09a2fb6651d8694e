import { startAdminStack, expectError, expectStatus, type AdminStack } from './admin-fixtures';

/** Deleting a user or a group leaves nothing pointing at it; every reference the API hands out resolves. */
let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

describe('no dangling references', () => {
  it("a user deleted over SCIM is no longer any group's owner or Group Administrator", async () => {
    const leaver = await s.user('owner.and.admin@example.com');
    const owned = expectStatus(await s.admin.post('/groups', { name: 'Owned by the leaver', ownerId: leaver }), 201).body.id;
    const administered = expectStatus(await s.admin.post('/groups', { name: 'Administered by the leaver' }), 201).body.id;
    expectStatus(await s.admin.post(`/groups/${administered}/members`, { userId: leaver }), 201);
    expectStatus(await s.admin.post(`/groups/${administered}/administrators`, { userId: leaver }), 201);

    expect((await s.scim.delete(`/Users/${leaver}`)).status).toBe(204);
    expect(expectStatus(await s.admin.get(`/groups/${owned}`), 200).body).toMatchObject({ ownerId: null, memberCount: 0 });
    expect(expectStatus(await s.admin.get(`/groups/${administered}/administrators`), 200).body.items).toEqual([]);
    const stored = await s.runtime.deps.models.GroupAdministrator.collection.countDocuments({ tenantId: s.tenantId, userId: leaver });
    expect(stored).toBe(0);
  });

  it('deleting a group disables the rules and mappings that targeted it, and they show the missing target', async () => {
    const target = expectStatus(await s.admin.post('/groups', { name: 'Soon gone' }), 201).body.id;
    const mapping = expectStatus(await s.admin.post('/mappings', { idpGroup: 'Okta Soon Gone', targetGroupId: target }), 201).body.id;
    const rule = expectStatus(await s.admin.post('/rules', { name: 'Into soon gone', expression: 'title pr', targetGroupId: target }), 201).body.id;
    expect(expectStatus(await s.admin.get(`/mappings/${mapping}`), 200).body).toMatchObject({ enabled: true, targetMissing: false });

    expectStatus(await s.admin.delete(`/groups/${target}`), 204);
    expect(expectStatus(await s.admin.get(`/mappings/${mapping}`), 200).body).toMatchObject({ enabled: false, targetMissing: true });
    expect(expectStatus(await s.admin.get(`/rules/${rule}`), 200).body).toMatchObject({ enabled: false, targetMissing: true });
    const listed = expectStatus(await s.admin.get('/rules'), 200).body.items.filter((r: { targetGroupId: string }) => r.targetGroupId === target);
    expect(listed.map((r: { enabled: boolean; targetMissing: boolean }) => [r.enabled, r.targetMissing])).toEqual([
      [false, true],
      [false, true],
    ]);
    const audit = expectStatus(await s.admin.get(`/audit?action=rule.updated&objectId=${mapping}`), 200).body.items;
    expect(audit[0]).toMatchObject({ before: { enabled: true }, after: { enabled: false } });
  });

  it("a dynamic group's rule.ruleId answers on /rules/{id}; it is changed through its group", async () => {
    const g = expectStatus(await s.admin.post('/groups', { name: 'Dynamic with a rule', kind: 'dynamic', rule: { expression: 'title sw "Eng"' } }), 201).body;
    const ruleId = g.rule.ruleId as string;
    expect(expectStatus(await s.admin.get(`/rules/${ruleId}`), 200).body).toMatchObject({ id: ruleId, kind: 'dynamic', targetGroupId: g.id, expression: 'title sw "Eng"', targetMissing: false });
    expectError(await s.admin.patch(`/rules/${ruleId}`, { expression: 'title pr' }), 409, 'RULE_MANAGED_BY_GROUP');
    expectError(await s.admin.delete(`/rules/${ruleId}`), 409, 'RULE_MANAGED_BY_GROUP');
    expectStatus(await s.admin.post(`/rules/${ruleId}/run`), 202);
  });
});
