import type { AuditEventDoc, MembershipDoc } from '../../src/persistence/models';
import { allWith, mappedAccessOf } from './access-kit';
import { PATCH_OP, startSyncStack, type SyncStack } from '../workers/sync-fixtures';
import { fixtureWithIds } from '../scim/http/helpers';

/**
 * Issue 20: IdP group-member removals from a mapping-relevant group count as deprovisions. With a
 * threshold of 3, the 4th removal trips the breaker and every later one is held: the SCIM request
 * succeeds and SCIM shows the IdP's state (the member gone), but the membership stays for access
 * (the mapping's membership, the role it gives, /authorize). Allow applies the held removals
 * (audited once each, idempotent); Reject keeps access, the removal still shown.
 */

type Remove = (s: SyncStack, groupId: string, userId: string, keep: string) => Promise<number>;

const shapes: [string, Remove][] = [
  [
    'Okta (remove with the value filter path members[value eq "…"], and an add)',
    async (s, groupId, userId, keep) =>
      (
        await s.scim.patch(
          `/Groups/${groupId}`,
          fixtureWithIds('okta/patch-group-update-members.json', { '89bb1940-b905-4575-9e7f-6f887cfb368e': userId, '23a35c27-23d3-4c03-b4c5-6443c09e7173': keep }),
        )
      ).status,
  ],
  [
    'Okta (remove with the members array)',
    async (s, groupId, userId) => (await s.scim.patch(`/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members', value: [{ value: userId }] }] })).status,
  ],
  [
    'Entra (Remove with a members value list)',
    async (s, groupId, userId) => (await s.scim.patch(`/Groups/${groupId}`, fixtureWithIds('entra/patch-group-remove-member.json', { f648f8d5ea4e4cd38e9c: userId }))).status,
  ],
];

describe.each(shapes)('a threshold of 3 and 10 members removed from a mapped IdP group in %s', (_name, remove) => {
  let s: SyncStack;
  let team: string;
  let idpGroup: string;
  let keep: string;
  let ids: string[];

  beforeAll(async () => {
    s = await startSyncStack();
    team = await s.internalGroup('Engineering team');
    // An SSO mapping: members of the IdP group "Okta Engineers" are members of the team, which may edit tickets.
    await s.createRule({ name: 'Engineers', expression: 'groups = "Okta Engineers"', targetGroupId: team });
    const role = await s.admin.post('/roles', { name: 'Ticket editors', privileges: [{ target: 'Ticket', level: 'edit' }] });
    expect(role.status).toBe(201);
    expect((await s.admin.post(`/groups/${team}/roles`, { roleId: role.body.id })).status).toBe(201);
    expect((await s.admin.patch('/deprovisioning/settings', { breaker: { users: 3, percentOfActive: 0 } })).status).toBe(200);
    keep = await s.user('stays@example.com');
    ids = [];
    for (let i = 0; i < 10; i++) ids.push(await s.user(`eng-${i}@example.com`));
    idpGroup = await s.idpGroup('Okta Engineers', [keep, ...ids]);
    await s.settle();
  });
  afterAll(() => s.close());

  const scimMembers = async () => {
    const got = await s.scim.get(`/Groups/${idpGroup}`);
    expect(got.status).toBe(200);
    return new Set(((got.body.members ?? []) as { value: string }[]).map((m) => m.value));
  };
  const accessOf = (users: string[]) => mappedAccessOf(s, team, users);
  const audits = async (action: string) => (await s.runtime.deps.models.AuditEvent.collection.find({ tenantId: s.tenantId, action } as never).toArray()) as unknown as AuditEventDoc[];
  const held = async () => {
    const res = await s.admin.get('/deprovisioning/held');
    expect(res.status).toBe(200);
    return res.body as {
      breaker: { tripped: boolean };
      groupChanges: { held: number; rejected: number; items: { groupId: string; userId: string; state: string; changes: { requestId?: string }[] }[] };
    };
  };

  it('when the 10 removals arrive, then all succeed and SCIM shows them, the 7 after the trip keep their access and are listed as held; Allow and Reject decide them, once each', async () => {
    expect(await accessOf(ids)).toEqual(allWith(ids, { mapped: true, edit: true }));
    for (const id of ids) expect([200, 204]).toContain(await remove(s, idpGroup, id, keep));
    await s.settle();

    // SCIM: the IdP's state, every removed member gone (the group, and the user's groups).
    const members = await scimMembers();
    expect(ids.filter((id) => members.has(id))).toEqual([]);
    expect(members.has(keep)).toBe(true);
    for (const id of ids) expect(((await s.scim.get(`/Users/${id}`)).body.groups ?? []) as unknown[]).toEqual([]);

    // The first 3 applied (within the threshold); the 4th tripped the breaker: it and the 6 after it are held.
    const applied = ids.slice(0, 3);
    const heldIds = ids.slice(3);
    expect(await accessOf(applied)).toEqual(allWith(applied, { mapped: false, edit: false }));
    expect(await accessOf(heldIds)).toEqual(allWith(heldIds, { mapped: true, edit: true }));
    const list = await held();
    expect(list.breaker.tripped).toBe(true);
    expect(list.groupChanges.held).toBe(7);
    expect(list.groupChanges.items.map((i) => [i.groupId, i.userId, i.state])).toEqual(heldIds.map((id) => [idpGroup, id, 'held']));
    // Each held change keeps the request that caused it.
    for (const item of list.groupChanges.items) expect(item.changes).toEqual([expect.objectContaining({ requestId: expect.any(String) })]);
    expect(await audits('directory.breaker_tripped')).toHaveLength(1);

    // Reject two of them (per user): access kept, still shown removed.
    const rejected = await s.admin.post('/deprovisioning/held/reject', { userIds: heldIds.slice(0, 2) });
    expect(rejected.status).toBe(200);
    expect(rejected.body.decidedGroupChanges).toEqual(heldIds.slice(0, 2).map((id) => `${idpGroup}|${id}`));
    // Allow the rest (all held): they lose the mapping's membership and the role, audited once each.
    const allowed = await s.admin.post('/deprovisioning/held/allow', {});
    expect(allowed.status).toBe(200);
    expect(allowed.body.decidedGroupChanges).toEqual(heldIds.slice(2).map((id) => `${idpGroup}|${id}`));
    await s.settle();
    expect(await accessOf(heldIds.slice(0, 2))).toEqual(allWith(heldIds.slice(0, 2), { mapped: true, edit: true }));
    expect(await accessOf(heldIds.slice(2))).toEqual(allWith(heldIds.slice(2), { mapped: false, edit: false }));
    expect(ids.filter((id) => members.has(id))).toEqual([]);
    const removedAudits = async () => (await audits('membership.removed')).filter((a) => a.object.id === idpGroup);
    expect((await removedAudits()).map((a) => (a.after as { userId: string }).userId).sort()).toEqual(heldIds.slice(2).sort());
    expect((await audits('group.member_removal.rejected')).map((a) => (a.after as { userId: string }).userId).sort()).toEqual(heldIds.slice(0, 2).sort());

    // Idempotent: deciding again decides nothing, audits nothing.
    expect((await s.admin.post('/deprovisioning/held/allow', {})).body.decidedGroupChanges).toEqual([]);
    expect((await s.admin.post('/deprovisioning/held/reject')).body.decidedGroupChanges).toEqual([]);
    expect(await removedAudits()).toHaveLength(5);
    const after = await held();
    expect(after.breaker.tripped).toBe(false);
    expect(after.groupChanges.items.map((i) => [i.userId, i.state])).toEqual(heldIds.slice(0, 2).map((id) => [id, 'rejected']));

    // A rejected removal stays the IdP's state: the IdP adding the member back ends it.
    await s.patchGroup(idpGroup, { op: 'add', path: 'members', value: [{ value: heldIds[0] }] });
    expect((await scimMembers()).has(heldIds[0]!)).toBe(true);
    // The other rejected one is removed at once by hand (Allow for its group), once.
    expect((await s.admin.post('/deprovisioning/held/allow', { groupIds: [idpGroup] })).body.decidedGroupChanges).toEqual([`${idpGroup}|${heldIds[1]}`]);
    await s.settle();
    expect(await accessOf([heldIds[0]!, heldIds[1]!])).toEqual({ [heldIds[0]!]: { mapped: true, edit: true }, [heldIds[1]!]: { mapped: false, edit: false } });
    expect(await removedAudits()).toHaveLength(6);
    const docs = (await s.runtime.deps.models.Membership.collection.find({ tenantId: s.tenantId, groupId: idpGroup } as never).toArray()) as unknown as MembershipDoc[];
    expect(docs.filter((d) => d.held)).toEqual([]);
    expect(docs.filter((d) => (d.pendingAudit ?? []).length > 0)).toEqual([]);
  });
});

describe('the IdP deleting mapped groups (DELETE /Groups/{id}) with a threshold of 3', () => {
  let s: SyncStack;
  let team: string;
  beforeAll(async () => {
    s = await startSyncStack();
    team = await s.internalGroup('Sales team');
    await s.createRule({ name: 'Sales', expression: 'groups in "Okta Sales EU", "Okta Sales US"', targetGroupId: team });
    expect((await s.admin.patch('/deprovisioning/settings', { breaker: { users: 3, percentOfActive: 0 } })).status).toBe(200);
  });
  afterAll(() => s.close());

  const mapped = async (ids: string[]) => {
    const members = await s.membersOf(team);
    return ids.filter((id) => members.has(id));
  };

  it('when a deletion takes the window above the threshold, then SCIM answers 404 but the group and its access stay; Reject keeps it, Allow deletes it once', async () => {
    const eu = [await s.user('eu-0@example.com'), await s.user('eu-1@example.com')];
    const us = [await s.user('us-0@example.com'), await s.user('us-1@example.com'), await s.user('us-2@example.com')];
    const euGroup = await s.idpGroup('Okta Sales EU', eu);
    const usGroup = await s.idpGroup('Okta Sales US', us);
    await s.settle();
    expect(await mapped([...eu, ...us])).toEqual([...eu, ...us]);

    // 2 deprovisions: within the threshold, applied.
    expect((await s.scim.delete(`/Groups/${euGroup}`)).status).toBe(204);
    // 2 + 3 > 3: held.
    expect((await s.scim.delete(`/Groups/${usGroup}`)).status).toBe(204);
    await s.settle();
    expect((await s.scim.get(`/Groups/${usGroup}`)).status).toBe(404);
    expect((await s.scim.delete(`/Groups/${usGroup}`)).status).toBe(404);
    const listed = await s.scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "Okta Sales US"')}`);
    expect(listed.body.totalResults).toBe(0);
    expect(await mapped([...eu, ...us])).toEqual(us);

    const held = await s.admin.get('/deprovisioning/held');
    expect(held.body.breaker.tripped).toBe(true);
    expect(held.body.groupDeletions).toEqual([
      expect.objectContaining({ groupId: usGroup, groupName: 'Okta Sales US', state: 'held', change: expect.objectContaining({ requestId: expect.any(String) }) }),
    ]);

    const rejected = await s.admin.post('/deprovisioning/held/reject', {});
    expect(rejected.body.decidedGroupDeletions).toEqual([usGroup]);
    await s.settle();
    expect(await mapped(us)).toEqual(us);
    expect((await s.scim.get(`/Groups/${usGroup}`)).status).toBe(404);

    // Allow (named: a rejected one too): deleted now, its members' mapped access goes, audited once.
    expect((await s.admin.post('/deprovisioning/held/allow', { groupIds: [usGroup] })).body.decidedGroupDeletions).toEqual([usGroup]);
    expect((await s.admin.post('/deprovisioning/held/allow', { groupIds: [usGroup] })).body.decidedGroupDeletions).toEqual([]);
    await s.settle();
    expect(await mapped(us)).toEqual([]);
    expect(await s.runtime.deps.models.Group.collection.countDocuments({ _id: usGroup } as never)).toBe(0);
    const deleted = await s.runtime.deps.models.AuditEvent.collection.countDocuments({ tenantId: s.tenantId, action: 'group.deleted', 'object.id': usGroup });
    expect(deleted).toBe(1);
    expect((await s.admin.get('/deprovisioning/held')).body.breaker.tripped).toBe(false);
  });
});

describe('held IdP group-member removals allowed while the worker has not run their jobs yet (a backlog)', () => {
  let s: SyncStack;
  let team: string;
  beforeAll(async () => {
    s = await startSyncStack();
    team = await s.internalGroup('Support team');
    await s.createRule({ name: 'Support', expression: 'groups = "Okta Support"', targetGroupId: team });
    const role = await s.admin.post('/roles', { name: 'Support ticket editors', privileges: [{ target: 'Ticket', level: 'edit' }] });
    expect(role.status).toBe(201);
    expect((await s.admin.post(`/groups/${team}/roles`, { roleId: role.body.id })).status).toBe(201);
    expect((await s.admin.patch('/deprovisioning/settings', { breaker: { users: 3, percentOfActive: 0 } })).status).toBe(200);
  });
  afterAll(() => s.close());

  it('when several removals of one group are allowed at once, then every one of them loses the mapping and its access once the worker runs', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await s.user(`support-${i}@example.com`));
    const idpGroup = await s.idpGroup('Okta Support', ids);
    await s.settle();
    expect(await mappedAccessOf(s, team, ids)).toEqual(allWith(ids, { mapped: true, edit: true }));
    for (const id of ids) await s.patchGroup(idpGroup, { op: 'remove', path: 'members', value: [{ value: id }] });
    await s.settle();
    const heldIds = ids.slice(3);
    expect(await mappedAccessOf(s, team, heldIds)).toEqual(allWith(heldIds, { mapped: true, edit: true }));

    // The worker is behind: the Allow's jobs all wait in the queue together, none has started.
    await s.worker!.close();
    const allowed = await s.admin.post('/deprovisioning/held/allow', {});
    expect(allowed.status).toBe(200);
    expect(allowed.body.decidedGroupChanges).toEqual(heldIds.map((id) => `${idpGroup}|${id}`));
    s.startWorker();
    await s.settle();
    expect(await mappedAccessOf(s, team, heldIds)).toEqual(allWith(heldIds, { mapped: false, edit: false }));
  });
});
