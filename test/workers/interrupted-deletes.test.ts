import { silentLogger } from '../../src/observability/logger';
import { recordPendingChange, completePendingChange } from '../../src/domain/recovery/pending-changes';
import { MembershipsRepository } from '../../src/persistence/memberships-repository';
import type { WorkerJobQueue } from '../../workers/job-queue';
import { sweepPending } from '../../workers/sweeper';
import { useSweeperStack, type SyncStack } from './sync-fixtures';
import { repositoriesOf } from '../../src/persistence/repositories';
import { createGroup, createUser, expectStatus, tokenIdOf } from '../scim/http/helpers';

/**
 * A deletion spans several documents. The API records its intent first; when the process dies
 * after any step, the sweeper finishes it: no membership of a deleted user or group is left, and
 * the deletion is audited exactly once. The crash is simulated deterministically by running only
 * the first steps through the same functions the API uses.
 */

let s: SyncStack;
let queue: WorkerJobQueue;
useSweeperStack((stack, q) => {
  s = stack;
  queue = q;
});

const models = () => s.runtime.deps.models;
const ageIntents = () => models().PendingChange.updateMany({}, { $set: { createdAt: new Date(Date.now() - 3_600_000) } });
const sweep = () => sweepPending(models(), queue, 60, silentLogger);
const auditsOf = (id: string, action: string) => models().AuditEvent.countDocuments({ tenantId: s.tenantId, 'object.id': id, action });

async function userInGroup(name: string) {
  const user = await createUser(s, `${name}@example.com`);
  const group = await createGroup(s, `${name} group`, { members: [{ value: user.id }] });
  return { userId: user.id, groupId: group.id };
}

async function intentToDeleteUser(userId: string) {
  const existing = await models().User.findById(userId).lean();
  return recordPendingChange(models(), 'user.delete', userId, {
    tenantId: s.tenantId,
    actor: { type: 'scim-token', id: await tokenIdOf(s) },
    action: 'user.deleted',
    object: { type: 'User', id: userId },
    before: { attrs: existing!.attrs, version: existing!.version },
  });
}

it('the API died after deleting the user document: the sweeper removes its memberships and audits the deletion once', async () => {
  const { userId, groupId } = await userInGroup('crash.after.delete');
  await intentToDeleteUser(userId);
  await models().User.deleteOne({ _id: userId });
  // The state the crash left: an orphan membership, listed by the group, and no audit event.
  expect(await models().Membership.countDocuments({ userId })).toBe(1);
  expect(await auditsOf(userId, 'user.deleted')).toBe(0);
  expect(await sweep()).toMatchObject({ changes: 0 }); // too recent: its request may still be running

  await ageIntents();
  expect(await sweep()).toMatchObject({ changes: 1 });
  expect(await models().Membership.countDocuments({ userId })).toBe(0);
  expect(await auditsOf(userId, 'user.deleted')).toBe(1);
  expect(await models().PendingChange.countDocuments({ objectId: userId })).toBe(0);
  const group = expectStatus(await s.scim.get(`/Groups/${groupId}`), 200);
  expect(group.body.members).toBeUndefined();
});

it('the API died after recording the intent only: the deletion is completed (the intent is the commit point)', async () => {
  const { userId } = await userInGroup('crash.after.intent');
  await intentToDeleteUser(userId);
  await ageIntents();
  expect(await sweep()).toMatchObject({ changes: 1 });
  expect(await models().User.countDocuments({ _id: userId })).toBe(0);
  expect(await models().Membership.countDocuments({ userId })).toBe(0);
  expect(await auditsOf(userId, 'user.deleted')).toBe(1);
});

it('the API died after writing the audit event but before dropping the intent: recovery does not audit twice', async () => {
  const { userId } = await userInGroup('crash.before.cleanup');
  const change = await intentToDeleteUser(userId);
  await completePendingChange({ models: models(), memberships: new MembershipsRepository(models()), enqueuer: queue }, change);
  // Put the intent back as if its deletion never happened.
  await models().PendingChange.collection.insertOne({ ...change, createdAt: new Date(0) } as never);
  expect(await sweep()).toMatchObject({ changes: 1 });
  expect(await sweep()).toMatchObject({ changes: 0 });
  expect(await auditsOf(userId, 'user.deleted')).toBe(1);
});

it('a group deletion interrupted after the group document went: memberships and grants are removed, audited once', async () => {
  const { userId, groupId } = await userInGroup('group.crash');
  const existing = await models().Group.findById(groupId).lean();
  await recordPendingChange(models(), 'group.delete', groupId, {
    tenantId: s.tenantId,
    actor: { type: 'scim-token', id: await tokenIdOf(s) },
    action: 'group.deleted',
    object: { type: 'Group', id: groupId },
    before: { attrs: existing!.attrs, version: existing!.version, memberCount: 1 },
  });
  await models().Group.deleteOne({ _id: groupId });
  await models().RoleAssignment.collection.insertOne({ _id: `${groupId}|role_x`, tenantId: s.tenantId, groupId, roleId: 'role_x', createdAt: new Date() } as never);
  await ageIntents();
  expect(await sweep()).toMatchObject({ changes: 1 });
  expect(await models().Membership.countDocuments({ groupId })).toBe(0);
  expect(await models().RoleAssignment.countDocuments({ groupId })).toBe(0);
  expect(await auditsOf(groupId, 'group.deleted')).toBe(1);
  expect(await models().User.countDocuments({ _id: userId })).toBe(1);
});

it('an uninterrupted SCIM DELETE leaves no intent behind and audits once', async () => {
  const { userId } = await userInGroup('clean.delete');
  expect((await s.scim.delete(`/Users/${userId}`)).status).toBe(204);
  expect(await models().PendingChange.countDocuments({ objectId: userId })).toBe(0);
  expect(await models().Membership.countDocuments({ userId })).toBe(0);
  expect(await auditsOf(userId, 'user.deleted')).toBe(1);
  expect((await s.scim.delete(`/Users/${userId}`)).status).toBe(404);
  expect(await models().PendingChange.countDocuments({ objectId: userId })).toBe(0);
});

it('an intent recorded at the cutoff itself is stale: a sweep with no delay sees one recorded in the same millisecond', async () => {
  const { userId } = await userInGroup('crash.same.millisecond');
  const change = await intentToDeleteUser(userId);
  // The cutoff equal to the intent's own time is what `afterSeconds` 0 computes when the recording and the sweep fall in one millisecond.
  expect((await repositoriesOf(models()).pendingChanges.olderThan(change.createdAt, 10)).map((c) => c._id)).toEqual([change._id]);
  expect((await repositoriesOf(models()).pendingChanges.olderThan(new Date(change.createdAt.getTime() - 1), 10)).map((c) => c._id)).toEqual([]);
  await completePendingChange({ models: models(), memberships: new MembershipsRepository(models()), enqueuer: queue }, change);
});
