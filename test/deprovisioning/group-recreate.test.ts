import { PATCH_OP, startSyncStack, type SyncStack } from '../workers/sync-fixtures';
import { allWith, mappedAccessOf } from './access-kit';
import { fixtureWithIds } from '../scim/http/helpers';
import { finishInterruptedChanges, recordPendingChange } from '../../src/domain/recovery/pending-changes';
import { repositoriesOf } from '../../src/persistence/repositories';

/**
 * Issue 20: an IdP admin unassigns a mapped group by mistake (its deletion is held by the breaker,
 * threshold 3) and assigns it back: Entra and Okta POST /Groups again with the same displayName.
 * The IdP never sees an error: 201 with the same group (id, grants, mappings), the held deletion
 * ends (one `group.deletion.ended` event), the POST's members are the IdP's members, and access of
 * the members kept is unchanged. The same after an admin rejected the deletion.
 */

type Post = (s: SyncStack, displayName: string, members: string[]) => Promise<{ status: number; body: Record<string, unknown> }>;

const shapes: [string, Post][] = [
  [
    'Entra (recorded POST: externalId, no members)',
    async (s, displayName) => {
      const res = await s.scim.post('/Groups', fixtureWithIds('entra/post-group.json', { '"displayName": "displayName"': JSON.stringify({ displayName }).slice(1, -1) }));
      return { status: res.status, body: res.body as Record<string, unknown> };
    },
  ],
  [
    'Okta (recorded POST with its members list)',
    async (s, displayName, members) => {
      const body = { ...fixtureWithIds('okta/post-group.json', { 'Test SCIMv2': displayName }), members: members.map((value) => ({ value })) };
      const res = await s.scim.post('/Groups', body);
      return { status: res.status, body: res.body as Record<string, unknown> };
    },
  ],
];

describe.each(shapes)('the IdP re-creating a mapped group whose deletion is held, in %s shape, with a threshold of 3', (name, post) => {
  let s: SyncStack;
  let team: string;
  beforeAll(async () => {
    s = await startSyncStack();
    team = await s.internalGroup('Support team');
    await s.createRule({ name: 'Support', expression: 'groups in "IdP Support", "IdP Support EU"', targetGroupId: team });
    const role = await s.admin.post('/roles', { name: 'Ticket editors', privileges: [{ target: 'Ticket', level: 'edit' }] });
    expect(role.status).toBe(201);
    expect((await s.admin.post(`/groups/${team}/roles`, { roleId: role.body.id })).status).toBe(201);
    expect((await s.admin.patch('/deprovisioning/settings', { breaker: { users: 3, percentOfActive: 0 } })).status).toBe(200);
  });
  afterAll(() => s.close());

  const accessOf = (users: string[]) => mappedAccessOf(s, team, users);
  const ended = (groupId: string) => s.runtime.deps.models.AuditEvent.collection.countDocuments({ tenantId: s.tenantId, action: 'group.deletion.ended', 'object.id': groupId });
  const heldDeletions = async () => {
    const res = await s.admin.get('/deprovisioning/held');
    expect(res.status).toBe(200);
    return res.body.groupDeletions as { groupId: string; state: string }[];
  };
  const scimMembers = async (groupId: string) => {
    const got = await s.scim.get(`/Groups/${groupId}`);
    expect(got.status).toBe(200);
    return ((got.body.members ?? []) as { value: string }[]).map((m) => m.value).sort();
  };

  async function heldGroup(displayName: string, prefix: string): Promise<{ id: string; members: string[] }> {
    const members: string[] = [];
    for (let i = 0; i < 4; i++) members.push(await s.user(`${prefix}-${i}@example.com`));
    const id = await s.idpGroup(displayName, members);
    await s.settle();
    expect(await accessOf(members)).toEqual(allWith(members, { mapped: true, edit: true }));
    // 4 IdP members > 3: the deletion is held, SCIM answers 404 from now on.
    expect((await s.scim.delete(`/Groups/${id}`)).status).toBe(204);
    expect((await s.scim.get(`/Groups/${id}`)).status).toBe(404);
    expect(await heldDeletions()).toEqual([expect.objectContaining({ groupId: id, state: 'held' })]);
    return { id, members };
  }

  it(`when ${name.split(' ')[0]} POSTs the held group's displayName, then 201 with the same group, the hold ends (audited once), members as posted, access of the members kept unchanged`, async () => {
    const { id, members } = await heldGroup('IdP Support', 'sup');
    const kept = members.slice(0, 2);
    const res = await post(s, 'IdP Support', kept);
    expect(res.status).toBe(201);
    expect(res.body.id).toBe(id);
    expect(res.body.displayName).toBe('IdP Support');
    await s.settle();
    expect(await heldDeletions()).toEqual([]);
    expect(await ended(id)).toBe(1);
    expect((await s.scim.get(`/Groups/${id}`)).status).toBe(200);
    const listed = await s.scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "IdP Support"')}`);
    expect(listed.body.totalResults).toBe(1);
    // The POST is the IdP's state: Okta's lists the members kept; Entra's has none (Entra PATCHes them in next).
    const expected = name.startsWith('Okta') ? [...kept].sort() : [];
    expect(await scimMembers(id)).toEqual(expected);
    // The members kept keep their access; the others' removals are deprovisions the tripped breaker holds.
    expect(await accessOf(members)).toEqual(allWith(members, { mapped: true, edit: true }));
    // Posting again is an ordinary duplicate now: the group is the IdP's.
    expect((await post(s, 'IdP Support', kept)).status).toBe(409);
    expect(await ended(id)).toBe(1);
  });

  it(`when ${name.split(' ')[0]} POSTs the displayName of a group whose held deletion an admin rejected, then 201 with the same group and the rejection ends, audited once`, async () => {
    const { id, members } = await heldGroup('IdP Support EU', 'eu');
    expect((await s.admin.post('/deprovisioning/held/reject', { groupIds: [id] })).body.decidedGroupDeletions).toEqual([id]);
    expect(await heldDeletions()).toEqual([expect.objectContaining({ groupId: id, state: 'rejected' })]);
    const res = await post(s, 'IdP Support EU', members);
    expect(res.status).toBe(201);
    expect(res.body.id).toBe(id);
    expect(res.body.displayName).toBe('IdP Support EU');
    await s.settle();
    expect(await heldDeletions()).toEqual([]);
    expect(await ended(id)).toBe(1);
    expect(await scimMembers(id)).toEqual(name.startsWith('Okta') ? [...members].sort() : []);
    expect(await accessOf(members)).toEqual(allWith(members, { mapped: true, edit: true }));
  });
});

describe('Entra re-creating a held group under another displayName with the same externalId, with a threshold of 3', () => {
  let s: SyncStack;
  beforeAll(async () => {
    s = await startSyncStack();
  });
  afterAll(() => s.close());

  it('when the recorded POST names the held group by its externalId, then 201 with the same group, renamed, and the hold ends', async () => {
    const team = await s.internalGroup('Ops team');
    await s.createRule({ name: 'Ops', expression: 'groups = "IdP Ops"', targetGroupId: team });
    expect((await s.admin.patch('/deprovisioning/settings', { breaker: { users: 3, percentOfActive: 0 } })).status).toBe(200);
    const members: string[] = [];
    for (let i = 0; i < 4; i++) members.push(await s.user(`ops-${i}@example.com`));
    const created = await s.scim.post('/Groups', fixtureWithIds('entra/post-group.json', { '"displayName": "displayName"': '"displayName": "IdP Ops"' }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await s.scim.patch(`/Groups/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: members.map((value) => ({ value })) }] })).status).toBe(204);
    await s.settle();
    expect([...(await s.membersOf(team)).keys()].sort()).toEqual([...members].sort());
    expect((await s.scim.delete(`/Groups/${id}`)).status).toBe(204);
    expect((await s.admin.get('/deprovisioning/held')).body.groupDeletions).toEqual([expect.objectContaining({ groupId: id, state: 'held' })]);

    const again = await s.scim.post('/Groups', fixtureWithIds('entra/post-group.json', { '"displayName": "displayName"': '"displayName": "IdP Operations"' }));
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(id);
    expect(again.body.displayName).toBe('IdP Operations');
    expect(again.body.externalId).toBe('8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159');
    await s.settle();
    expect((await s.admin.get('/deprovisioning/held')).body.groupDeletions).toEqual([]);
    expect(await s.runtime.deps.models.AuditEvent.collection.countDocuments({ tenantId: s.tenantId, action: 'group.deletion.ended', 'object.id': id })).toBe(1);
    expect((await s.scim.get(`/Groups/${id}`)).status).toBe(200);
  });
});

describe("an admin's Allow of a held group deletion whose request died after recording its intent, with a threshold of 3", () => {
  let s: SyncStack;
  beforeAll(async () => {
    s = await startSyncStack();
    const team = await s.internalGroup('Field team');
    await s.createRule({ name: 'Field', expression: 'groups in "IdP Field", "IdP Field 2"', targetGroupId: team });
    expect((await s.admin.patch('/deprovisioning/settings', { breaker: { users: 3, percentOfActive: 0 } })).status).toBe(200);
  });
  afterAll(() => s.close());

  const deps = () => ({ models: s.runtime.deps.models, memberships: s.runtime.deps.memberships, enqueuer: s.runtime.deps.producer });
  const count = (action: string, id: string) => s.runtime.deps.models.AuditEvent.collection.countDocuments({ tenantId: s.tenantId, action, 'object.id': id });

  /** A mapped IdP group of 4 whose deletion the breaker held, and the intent its Allow recorded before the process died. */
  async function allowDiedAfterIntent(displayName: string, prefix: string): Promise<string> {
    const members: string[] = [];
    for (let i = 0; i < 4; i++) members.push(await s.user(`${prefix}-${i}@example.com`));
    const id = await s.idpGroup(displayName, members);
    await s.settle();
    expect((await s.scim.delete(`/Groups/${id}`)).status).toBe(204);
    const group = await repositoriesOf(s.runtime.deps.models).groups.scimHeldDeletions.find(s.tenantId, id);
    expect(group?.heldDeletion?.state).toBe('held');
    await recordPendingChange(s.runtime.deps.models, 'group.delete', id, {
      tenantId: s.tenantId,
      actor: { type: 'admin', id: 'usr_operator' },
      action: 'group.deleted',
      object: { type: 'Group', id },
      before: { attrs: group!.attrs, version: group!.version, memberCount: 4 },
      after: { allowedHeldChanges: [group!.heldDeletion!.change._id] },
    });
    return id;
  }

  it('when the IdP took the group back before the sweeper ran, then the recovery drops the intent: the group, its id and its members stay, no group.deleted', async () => {
    const id = await allowDiedAfterIntent('IdP Field', 'field');
    const back = await s.scim.post('/Groups', fixtureWithIds('entra/post-group.json', { '"displayName": "displayName"': '"displayName": "IdP Field"' }));
    expect(back.status).toBe(201);
    expect(back.body.id).toBe(id);
    expect(await finishInterruptedChanges(deps(), 0)).toBe(1);
    await s.settle();
    expect((await s.scim.get(`/Groups/${id}`)).status).toBe(200);
    expect(await count('group.deleted', id)).toBe(0);
    expect(await count('group.deletion.ended', id)).toBe(1);
    expect(await repositoriesOf(s.runtime.deps.models).pendingChanges.olderThan(new Date(Date.now() + 1000), 10)).toEqual([]);
  });

  it('when the deletion was still held, then the recovery finishes it: the group is gone, group.deleted written once', async () => {
    const id = await allowDiedAfterIntent('IdP Field 2', 'field2');
    expect(await finishInterruptedChanges(deps(), 0)).toBe(1);
    await s.settle();
    expect(await repositoriesOf(s.runtime.deps.models).groups.scimHeldDeletions.exists(s.tenantId, id)).toBe(false);
    expect(await count('group.deleted', id)).toBe(1);
    expect((await s.admin.get('/deprovisioning/held')).body.groupDeletions).toEqual([]);
  });
});
