import { silentLogger } from '../../src/observability/logger';
import { auditEvent } from '../../src/domain/audit';
import { finishGroupChange, pendingAuditsOfGroup, pendingGroupChange } from '../../src/domain/recovery/pending-group-changes';
import { recordPendingChange } from '../../src/domain/recovery/pending-changes';
import { MembershipsRepository, membershipId } from '../../src/persistence/memberships-repository';
import { repositoriesOf } from '../../src/persistence/repositories';
import type { GroupDoc, PendingGroupChange } from '../../src/persistence/models';
import type { WorkerJobQueue } from '../../workers/job-queue';
import { sweepPending } from '../../workers/sweeper';
import { useSweeperStack, type SyncStack } from './sync-fixtures';
import { createGroup, createUser, expectStatus, groupBody, patchBody, tokenIdOf } from '../scim/http/helpers';

/**
 * A group change (create, PATCH, PUT) records its intent (member delta, audit event) in the same
 * update as the version bump; the member writes, the audit event and the jobs follow. When the
 * API dies after any of those steps, the sweeper finishes the change: members as the committed
 * change said, the change audited exactly once, nothing left pending. The crash is simulated by
 * running the first steps through the same repository calls the API makes.
 */

let s: SyncStack;
let queue: WorkerJobQueue;
useSweeperStack((stack, q) => {
  s = stack;
  queue = q;
});

const models = () => s.runtime.deps.models;
const memberships = () => new MembershipsRepository(models());
const store = () => repositoriesOf(models()).groups.scim;
const recovery = () => ({ models: models(), memberships: memberships(), enqueuer: queue });
const sweep = () => sweepPending(models(), queue, 60, silentLogger);
const HOUR_AGO = () => new Date(Date.now() - 3_600_000);
const groupDoc = async (id: string) => (await models().Group.findById(id).lean()) as unknown as GroupDoc;
const eventsOf = (id: string, action?: string) =>
  models()
    .AuditEvent.find({ tenantId: s.tenantId, 'object.id': id, ...(action && { action }) })
    .lean();
const membersOf = async (groupId: string) => (await memberships().userIdsOf(s.tenantId, groupId)).sort();

/** The intent a PATCH of `groupId` records, built an hour ago (its request is long dead), with the position it took (1 for a group not created yet). */
async function intent(groupId: string, delta: { add?: string[]; remove?: string[]; replaceAll?: string[] }, action = 'group.patched', at = HOUR_AGO()): Promise<PendingGroupChange> {
  const audit = auditEvent({ tenantId: s.tenantId, actor: { type: 'scim-token', id: await tokenIdOf(s) }, action, object: { type: 'Group', id: groupId }, after: {} }, at);
  const position = (await repositoriesOf(models()).groups.takePosition(s.tenantId, groupId)) ?? 1;
  return pendingGroupChange(audit, { add: delta.add ?? [], remove: delta.remove ?? [], ...(delta.replaceAll && { replaceAll: delta.replaceAll }) }, position);
}

/** The first step of a members-only PATCH: the unconditional version bump carrying its intent. */
async function commitMembersOnly(groupId: string, change: PendingGroupChange): Promise<GroupDoc> {
  const updated = await store().bumpVersion(s.tenantId, groupId, { groupChange: change });
  expect(updated).not.toBeNull();
  return updated!;
}

async function usersAndGroup(name: string, count: number, members: number) {
  const users: string[] = [];
  for (let i = 0; i < count; i++) users.push((await createUser(s, `${name}.${i}@example.com`)).id);
  const group = await createGroup(s, `${name} group`, { members: users.slice(0, members).map((value) => ({ value })) });
  return { users, groupId: group.id };
}

/** Every committed version has its audit event: the created one and one per change since. */
async function expectAuditedVersions(groupId: string) {
  const doc = await groupDoc(groupId);
  const events = (await eventsOf(groupId)).filter((e) => e.action !== 'group.deleted');
  expect(events).toHaveLength(doc.version);
  expect(doc.pendingMembers ?? []).toEqual([]);
}

it('a SCIM create, PATCH and PUT each leave one audit event (with its version) and nothing pending on the group', async () => {
  const { users, groupId } = await usersAndGroup('settled', 3, 1);
  expectStatus(await s.scim.patch(`/Groups/${groupId}`, patchBody({ op: 'add', path: 'members', value: [{ value: users[1] }] })), 204);
  expectStatus(await s.scim.put(`/Groups/${groupId}`, groupBody('settled group renamed', { members: [{ value: users[2] }] })), 200);
  expect(await membersOf(groupId)).toEqual([users[2]]);
  // In version order (an unsorted find has no order: an index serves it in its own).
  const events = (await eventsOf(groupId)).sort((a, b) => Number((a.after as { version?: number }).version) - Number((b.after as { version?: number }).version));
  expect(events.map((e) => [e.action, (e.after as { version?: number }).version])).toEqual([
    ['group.created', 1],
    ['group.patched', 2],
    ['group.replaced', 3],
  ]);
  expect(events[2]!.after).toMatchObject({ membersAdded: [users[2]], membersRemoved: expect.arrayContaining([users[0], users[1]]) });
  await expectAuditedVersions(groupId);
});

it('the API died right after the version bump of a members-only PATCH: the sweeper writes the members and the audit event, once', async () => {
  const { users, groupId } = await usersAndGroup('crash.after.bump', 3, 1);
  const change = await intent(groupId, { add: [users[1]!, users[2]!], remove: [users[0]!] });
  await commitMembersOnly(groupId, change);
  // The state the crash left: the version is ahead of its members, and the change is unaudited.
  expect(await membersOf(groupId)).toEqual([users[0]]);
  expect(await eventsOf(groupId, 'group.patched')).toHaveLength(0);

  expect(await sweep()).toMatchObject({ changes: 1 });
  expect(await sweep()).toMatchObject({ changes: 0 });
  expect(await membersOf(groupId)).toEqual([users[1], users[2]].sort());
  const events = await eventsOf(groupId, 'group.patched');
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ _id: change._id, after: { recovered: true, membersAdded: expect.arrayContaining([users[1], users[2]]), membersRemoved: [users[0]] } });
  await expectAuditedVersions(groupId);
  // The group is visible as the PATCH said.
  const group = expectStatus(await s.scim.get(`/Groups/${groupId}`), 200);
  expect((group.body.members as { value: string }[]).map((m) => m.value).sort()).toEqual([users[1], users[2]].sort());
});

it('the API died half-way through the member writes: the sweeper finishes them and audits once', async () => {
  const { users, groupId } = await usersAndGroup('crash.mid.members', 3, 1);
  const change = await intent(groupId, { add: [users[1]!, users[2]!], remove: [users[0]!] });
  await commitMembersOnly(groupId, change);
  await memberships().addSource(s.tenantId, groupId, [users[1]!], 'scim'); // then the process died
  expect(await sweep()).toMatchObject({ changes: 1 });
  expect(await membersOf(groupId)).toEqual([users[1], users[2]].sort());
  expect(await eventsOf(groupId, 'group.patched')).toHaveLength(1);
  await expectAuditedVersions(groupId);
});

it('the API died after writing the audit event but before settling the intent: recovery does not audit twice', async () => {
  const { users, groupId } = await usersAndGroup('crash.before.settle', 2, 0);
  const change = await intent(groupId, { add: [users[0]!] });
  const updated = await commitMembersOnly(groupId, change);
  await finishGroupChange(recovery(), s.tenantId, groupId, change, { version: updated.version, recovering: false });
  // Put the intent back, as if the $pull never happened.
  await models().Group.collection.updateOne({ _id: groupId } as never, { $push: { pendingMembers: change } } as never);
  expect(await sweep()).toMatchObject({ changes: 1 });
  expect(await membersOf(groupId)).toEqual([users[0]]);
  const events = await eventsOf(groupId, 'group.patched');
  expect(events).toHaveLength(1);
  expect((events[0]!.after as { version: number }).version).toBe(updated.version); // the request's own event stands
  await expectAuditedVersions(groupId);
});

it('a rename with members (compare-and-set path) interrupted after its write is finished too', async () => {
  const { users, groupId } = await usersAndGroup('crash.rename', 2, 1);
  const existing = await groupDoc(groupId);
  const attrs = { ...existing.attrs, displayName: 'crash.rename renamed' };
  const change = await intent(groupId, { replaceAll: [users[1]!] }, 'group.replaced');
  const updated = await store().updateIfVersion(s.tenantId, groupId, existing.version, { attrs, lc: { displayName: 'crash.rename renamed' }, groupChange: change });
  expect(updated?.version).toBe(existing.version + 1);
  expect(await sweep()).toMatchObject({ changes: 1 });
  expect(await membersOf(groupId)).toEqual([users[1]]);
  expect(await eventsOf(groupId, 'group.replaced')).toHaveLength(1);
  await expectAuditedVersions(groupId);
});

it('a group create interrupted after its insert: the sweeper adds the members and writes group.created once', async () => {
  const users = [(await createUser(s, 'crash.create.0@example.com')).id, (await createUser(s, 'crash.create.1@example.com')).id];
  const groupId = 'grp_crashcreate';
  const change = await intent(groupId, { add: users }, 'group.created');
  const now = new Date();
  await store().insert({
    _id: groupId,
    tenantId: s.tenantId,
    origin: 'scim',
    attrs: { displayName: 'crash.create group' },
    lc: { displayName: 'crash.create group' },
    version: 1,
    sync: { version: 1, pendingSince: now },
    createdAt: now,
    updatedAt: now,
    pendingMembers: [change],
  });
  expect(await sweep()).toMatchObject({ changes: 1 });
  expect(await membersOf(groupId)).toEqual([...users].sort());
  expect(await eventsOf(groupId, 'group.created')).toHaveLength(1);
  await expectAuditedVersions(groupId);
});

it("concurrent members-only changes keep each other's intents: both are finished", async () => {
  const { users, groupId } = await usersAndGroup('crash.concurrent', 2, 0);
  const first = await intent(groupId, { add: [users[0]!] });
  const second = await intent(groupId, { add: [users[1]!] });
  await Promise.all([commitMembersOnly(groupId, first), commitMembersOnly(groupId, second)]);
  expect((await groupDoc(groupId)).pendingMembers).toHaveLength(2);
  expect(await sweep()).toMatchObject({ changes: 2 });
  expect(await membersOf(groupId)).toEqual([...users].sort());
  await expectAuditedVersions(groupId);
});

it('an intent younger than the sweep threshold is left to its request', async () => {
  const { users, groupId } = await usersAndGroup('in.flight', 1, 0);
  await commitMembersOnly(groupId, await intent(groupId, { add: [users[0]!] }, 'group.patched', new Date()));
  expect(await sweep()).toMatchObject({ changes: 0 });
  expect(await membersOf(groupId)).toEqual([]);
  await models().Group.collection.updateOne({ _id: groupId } as never, { $set: { pendingMembers: [] } });
});

it('a later change of the same member is not overtaken by the recovery of an earlier one', async () => {
  const { users, groupId } = await usersAndGroup('crash.order', 1, 1);
  // A crashed "remove u0", then the IdP adds u0 back before any sweep.
  await commitMembersOnly(groupId, await intent(groupId, { remove: [users[0]!] }));
  expectStatus(await s.scim.patch(`/Groups/${groupId}`, patchBody({ op: 'add', path: 'members', value: [{ value: users[0] }] })), 204);
  expect(await sweep()).toMatchObject({ changes: 0 }); // the later PATCH finished the earlier change first
  expect(await membersOf(groupId)).toEqual([users[0]]);
  expect(await eventsOf(groupId, 'group.patched')).toHaveLength(2);
  await expectAuditedVersions(groupId);
});

it('a member deleted after the crash is not added back by the recovery (no orphan membership)', async () => {
  const { users, groupId } = await usersAndGroup('crash.then.delete', 2, 0);
  await commitMembersOnly(groupId, await intent(groupId, { add: users }));
  expectStatus(await s.scim.delete(`/Users/${users[0]}`), 204);
  expect(await sweep()).toMatchObject({ changes: 1 });
  expect(await membersOf(groupId)).toEqual([users[1]]);
  expect(await models().Membership.countDocuments({ _id: membershipId(groupId, users[0]!) })).toBe(0);
  await expectAuditedVersions(groupId);
});

it('a group deleted with a change still pending on it: the change is audited, no membership is left', async () => {
  const { users, groupId } = await usersAndGroup('crash.then.group.delete', 1, 0);
  const change = await intent(groupId, { add: [users[0]!] });
  await commitMembersOnly(groupId, change);
  expectStatus(await s.scim.delete(`/Groups/${groupId}`), 204);
  expect(await sweep()).toMatchObject({ changes: 0 });
  expect(await eventsOf(groupId, 'group.patched')).toHaveLength(1);
  expect(await eventsOf(groupId, 'group.deleted')).toHaveLength(1);
  expect(await models().Membership.countDocuments({ groupId })).toBe(0);
});

it('a group deletion that crashed right after deleting the group still audits the change that waited on it (the intent carries it)', async () => {
  const { users, groupId } = await usersAndGroup('crash.in.group.delete', 1, 0);
  const change = await intent(groupId, { add: [users[0]!] });
  const committed = await commitMembersOnly(groupId, change);
  // What the DELETE does up to the crash: the intent (an hour old, carrying the pending change's event), then the group's deletion.
  const deletion = await recordPendingChange(
    models(),
    'group.delete',
    groupId,
    {
      tenantId: s.tenantId,
      actor: { type: 'scim-token', id: 'tok' },
      action: 'group.deleted',
      object: { type: 'Group', id: groupId },
    },
    pendingAuditsOfGroup(committed),
  );
  await models().PendingChange.updateOne({ _id: deletion._id }, { $set: { createdAt: HOUR_AGO() } });
  await store().deleteReturning(s.tenantId, groupId);
  expect(await eventsOf(groupId, 'group.patched')).toHaveLength(0);
  expect(await sweep()).toMatchObject({ changes: 1 });
  const events = await eventsOf(groupId, 'group.patched');
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ _id: change._id, after: { recovered: true, membersRequested: { add: [users[0]], remove: [] } } });
  expect(await eventsOf(groupId, 'group.deleted')).toHaveLength(1);
});

describe('a late finisher never undoes a later acknowledged change (the sweeper read the change before its request settled it)', () => {
  /** A members-only change of one member as its request makes it, finished by the request; returns the entry as a sweep that read the group meanwhile holds it. */
  async function settledChange(groupId: string, delta: { add?: string[]; remove?: string[] }): Promise<PendingGroupChange> {
    const change = await intent(groupId, delta);
    const updated = await commitMembersOnly(groupId, change);
    await finishGroupChange(recovery(), s.tenantId, groupId, change, { version: updated.version, recovering: false });
    return change;
  }

  /** The group's audit trail, oldest first, as [membersAdded, membersRemoved] per event. */
  const trail = async (groupId: string) =>
    (await eventsOf(groupId))
      .sort((a, b) => a.at.getTime() - b.at.getTime())
      .map((e) => [(e.after as { membersAdded?: string[] }).membersAdded ?? [], (e.after as { membersRemoved?: string[] }).membersRemoved ?? []]);

  it('an add finished again after a later acknowledged removal does not bring the member back', async () => {
    const { users, groupId } = await usersAndGroup('late.add', 1, 0);
    const stale = await settledChange(groupId, { add: [users[0]!] });
    expectStatus(await s.scim.patch(`/Groups/${groupId}`, patchBody({ op: 'remove', path: `members[value eq "${users[0]}"]` })), 204);
    await finishGroupChange(recovery(), s.tenantId, groupId, stale, { recovering: true });
    expect(await membersOf(groupId)).toEqual([]);
    expect((await trail(groupId)).at(-1)).toEqual([[], [users[0]]]);
  });

  it('a removal finished again after a later acknowledged add does not take the member out', async () => {
    const { users, groupId } = await usersAndGroup('late.remove', 1, 1);
    const stale = await settledChange(groupId, { remove: [users[0]!] });
    expectStatus(await s.scim.patch(`/Groups/${groupId}`, patchBody({ op: 'add', path: 'members', value: [{ value: users[0] }] })), 204);
    await finishGroupChange(recovery(), s.tenantId, groupId, stale, { recovering: true });
    expect(await membersOf(groupId)).toEqual([users[0]]);
    expect((await trail(groupId)).at(-1)).toEqual([[users[0]], []]);
  });

  it('a change committed late (its request failed before; the database ran it on waking) loses to a change that started after the failure', async () => {
    const { users, groupId } = await usersAndGroup('late.commit', 1, 1);
    // The removal took its position, then its write waited in a frozen database.
    const removal = await intent(groupId, { remove: [users[0]!] });
    expectStatus(await s.scim.patch(`/Groups/${groupId}`, patchBody({ op: 'add', path: 'members', value: [{ value: users[0] }] })), 204);
    await commitMembersOnly(groupId, removal);
    expect(await sweep()).toMatchObject({ changes: 1 });
    expect(await membersOf(groupId)).toEqual([users[0]]);
    await expectAuditedVersions(groupId);
  });
});
