import { silentLogger } from '../../src/observability/logger';
import { auditEvent } from '../../src/domain/audit';
import { pendingGroupChange } from '../../src/domain/recovery/pending-group-changes';
import { MembershipsRepository, membershipId } from '../../src/persistence/memberships-repository';
import { repositoriesOf } from '../../src/persistence/repositories';
import type { MembershipDoc, PendingGroupChange } from '../../src/persistence/models';
import type { WorkerJobQueue } from '../../workers/job-queue';
import { sweepPending } from '../../workers/sweeper';
import { useSweeperStack, type SyncStack } from '../workers/sync-fixtures';
import { createGroup, createUser, expectStatus, patchBody, tokenIdOf } from '../scim/http/helpers';

/**
 * The breaker's decision on an IdP group change's removals is committed with the change (its
 * intent on the group, `holdRemovals`), and the held mark is written by the removal's own ordered
 * write. A request that dies after the commit leaves the change to the sweeper, which holds the
 * removal as decided (never applies it, never drops it), audits the change once, and never lets an
 * older held removal undo a newer IdP add of the same member.
 */

let s: SyncStack;
let queue: WorkerJobQueue;
useSweeperStack((stack, q) => {
  s = stack;
  queue = q;
});

const models = () => s.runtime.deps.models;
const memberships = () => new MembershipsRepository(models());
const sweep = () => sweepPending(models(), queue, 60, silentLogger);
const HOUR_AGO = () => new Date(Date.now() - 3_600_000);
const membership = async (groupId: string, userId: string) => (await models().Membership.collection.findOne({ _id: membershipId(groupId, userId) } as never)) as unknown as MembershipDoc | null;
const patchedEvents = (groupId: string) => models().AuditEvent.find({ tenantId: s.tenantId, 'object.id': groupId, action: 'group.patched' }).lean();

/** The intent of a members-only PATCH whose removals the breaker held, committed an hour ago: then the process died. */
async function committedHeldRemoval(groupId: string, remove: string[]): Promise<PendingGroupChange> {
  const audit = auditEvent(
    { tenantId: s.tenantId, actor: { type: 'scim-token', id: await tokenIdOf(s) }, action: 'group.patched', object: { type: 'Group', id: groupId }, after: {}, requestId: 'req-crashed' },
    HOUR_AGO(),
  );
  const position = (await repositoriesOf(models()).groups.takePosition(s.tenantId, groupId))!;
  const change = pendingGroupChange(audit, { add: [], remove }, position, remove);
  expect(await repositoriesOf(models()).groups.scim.bumpVersion(s.tenantId, groupId, { groupChange: change })).not.toBeNull();
  return change;
}

it('when the API dies after committing a held removal, then the sweeper holds it (access kept, SCIM shows it removed), audits it once, and a second sweep changes nothing', async () => {
  const users = [(await createUser(s, 'held.crash.0@example.com')).id, (await createUser(s, 'held.crash.1@example.com')).id];
  const group = await createGroup(s, 'Held crash group', { members: users.map((value) => ({ value })) });
  const change = await committedHeldRemoval(group.id, [users[0]!]);
  // Nothing written yet: the member is still there.
  expect((await membership(group.id, users[0]!))?.held).toBeUndefined();

  await sweep();
  const doc = await membership(group.id, users[0]!);
  expect(doc?.sources).toEqual(['scim']);
  expect(doc?.held).toMatchObject({ state: 'held', changes: [{ _id: change._id, requestId: 'req-crashed', position: change.position }] });
  const events = await patchedEvents(group.id);
  expect(events).toHaveLength(1);
  expect(events[0]!.after).toMatchObject({ membersHeld: [users[0]], membersRemoved: [] });
  const members = ((await s.scim.get(`/Groups/${group.id}`)).body.members as { value: string }[]).map((m) => m.value);
  expect(members).toEqual([users[1]]);

  await sweep();
  expect((await membership(group.id, users[0]!))?.held?.changes).toHaveLength(1);
  expect(await patchedEvents(group.id)).toHaveLength(1);
});

it('when a held removal is finished late, after the IdP added the member back, then the newer add stands: the removal is neither held nor applied', async () => {
  const user = (await createUser(s, 'held.late@example.com')).id;
  const group = await createGroup(s, 'Held late group', { members: [{ value: user }] });
  // The removal commits first (older position), its request stalls; the IdP's add (newer) lands.
  const change = await committedHeldRemoval(group.id, [user]);
  expectStatus(await s.scim.patch(`/Groups/${group.id}`, patchBody({ op: 'add', path: 'members', value: [{ value: user }] })), 204);
  await sweep();
  const doc = await membership(group.id, user);
  expect(doc?.sources).toEqual(['scim']);
  expect(doc?.held).toBeUndefined();
  expect((doc?.positions?.scim ?? 0) > (change.position ?? 0)).toBe(true);
  expect(await memberships().userIdsOf(s.tenantId, group.id, 'scim', { idpView: true })).toEqual([user]);
});
