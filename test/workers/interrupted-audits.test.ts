import { silentLogger } from '../../src/observability/logger';
import { auditEvent } from '../../src/domain/audit';
import { recordPendingChange } from '../../src/domain/recovery/pending-changes';
import { repositoriesOf } from '../../src/persistence/repositories';
import type { UserDoc } from '../../src/persistence/models';
import type { WorkerJobQueue } from '../../workers/job-queue';
import { sweepPending } from '../../workers/sweeper';
import { useSweeperStack, type SyncStack } from './sync-fixtures';
import { createUser, expectStatus, patchBody, tokenIdOf } from '../scim/http/helpers';

/**
 * A user change carries its audit event in the same single-document update; the API then writes
 * the event and settles it. If the API dies in between, the sweeper writes it: every committed
 * change is audited, and exactly once.
 */

let s: SyncStack;
let queue: WorkerJobQueue;
useSweeperStack((stack, q) => {
  s = stack;
  queue = q;
});

const models = () => s.runtime.deps.models;
const sweep = () => sweepPending(models(), queue, 60, silentLogger);
const patchedEvents = (id: string) => models().AuditEvent.find({ tenantId: s.tenantId, 'object.id': id, action: 'user.patched' }).lean();

it('a SCIM PATCH writes its audit event once and leaves nothing pending on the user', async () => {
  const user = await createUser(s, 'settled@example.com');
  expectStatus(await s.scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'T' })), 200);
  expect(await patchedEvents(user.id)).toHaveLength(1);
  expect((await models().User.findById(user.id).lean())!.pendingAudit).toEqual([]);
});

it('the API died right after committing a PATCH: the sweeper writes its audit event, once', async () => {
  const user = await createUser(s, 'unaudited@example.com');
  const existing = (await models().User.findById(user.id).lean()) as UserDoc;
  // The write the API makes, with the event it carries, an hour ago; then the process died.
  const event = auditEvent(
    {
      tenantId: s.tenantId,
      actor: { type: 'scim-token', id: await tokenIdOf(s) },
      action: 'user.patched',
      object: { type: 'User', id: user.id },
      before: { attrs: { title: null } },
      after: { attrs: { title: 'Crashed' } },
    },
    new Date(Date.now() - 3_600_000),
  );
  const attrs = { ...existing.attrs, title: 'Crashed' };
  const updated = await repositoriesOf(models()).users.updateIfVersion(s.tenantId, user.id, existing.version, { attrs, lc: existing.lc, audits: [event] });
  expect(updated?.attrs.title).toBe('Crashed');
  expect(await patchedEvents(user.id)).toHaveLength(0);

  expect(await sweep()).toMatchObject({ audits: 1 });
  expect(await sweep()).toMatchObject({ audits: 0 });
  const events = await patchedEvents(user.id);
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ _id: event._id, after: { attrs: { title: 'Crashed' } } });
  expect((await models().User.findById(user.id).lean())!.pendingAudit).toEqual([]);
});

it('an event younger than the sweep threshold is left to its request', async () => {
  const user = await createUser(s, 'in.flight@example.com');
  const existing = (await models().User.findById(user.id).lean()) as UserDoc;
  const event = auditEvent({ tenantId: s.tenantId, actor: { type: 'scim-token', id: 'tok' }, action: 'user.patched', object: { type: 'User', id: user.id } });
  await repositoriesOf(models()).users.updateIfVersion(s.tenantId, user.id, existing.version, { attrs: { ...existing.attrs, title: 'Now' }, lc: existing.lc, audits: [event] });
  expect(await sweep()).toMatchObject({ audits: 0 });
  expect(await patchedEvents(user.id)).toHaveLength(0);
});

it("a user deleted while an earlier write's event still waits on it: the deletion writes that event too, once", async () => {
  const user = await createUser(s, 'deleted.unaudited@example.com');
  const existing = (await models().User.findById(user.id).lean()) as UserDoc;
  // A PATCH committed with its event, then its process died before writing it.
  const event = auditEvent({ tenantId: s.tenantId, actor: { type: 'scim-token', id: 'tok' }, action: 'user.patched', object: { type: 'User', id: user.id }, after: { attrs: { title: 'Lost?' } } });
  await repositoriesOf(models()).users.updateIfVersion(s.tenantId, user.id, existing.version, { attrs: { ...existing.attrs, title: 'Lost?' }, lc: existing.lc, audits: [event] });
  expectStatus(await s.scim.delete(`/Users/${user.id}`), 204);
  const events = await patchedEvents(user.id);
  expect(events.map((e) => e._id)).toEqual([event._id]);
  expect(await models().AuditEvent.countDocuments({ tenantId: s.tenantId, 'object.id': user.id, action: 'user.deleted' })).toBe(1);
  // Nothing left for a sweep, and it writes nothing twice.
  expect(await sweep()).toMatchObject({ audits: 0, changes: 0 });
  expect(await patchedEvents(user.id)).toHaveLength(1);
});

it("the deletion's intent carries the waiting events: a crash right after the delete still writes them, through the sweeper", async () => {
  const user = await createUser(s, 'deleted.crashed@example.com');
  const existing = (await models().User.findById(user.id).lean()) as UserDoc;
  const event = auditEvent({ tenantId: s.tenantId, actor: { type: 'scim-token', id: 'tok' }, action: 'user.patched', object: { type: 'User', id: user.id } });
  const updated = await repositoriesOf(models()).users.updateIfVersion(s.tenantId, user.id, existing.version, { attrs: { ...existing.attrs, title: 'X' }, lc: existing.lc, audits: [event] });
  // What the DELETE does up to the crash: the intent (an hour old), then the user's deletion.
  const change = await recordPendingChange(
    models(),
    'user.delete',
    user.id,
    {
      tenantId: s.tenantId,
      actor: { type: 'scim-token', id: 'tok' },
      action: 'user.deleted',
      object: { type: 'User', id: user.id },
    },
    updated!.pendingAudit,
  );
  await models().PendingChange.updateOne({ _id: change._id }, { $set: { createdAt: new Date(Date.now() - 3_600_000) } });
  await repositoriesOf(models()).users.deleteReturning(s.tenantId, user.id);
  expect(await patchedEvents(user.id)).toHaveLength(0);
  expect(await sweep()).toMatchObject({ changes: 1 });
  expect((await patchedEvents(user.id)).map((e) => e._id)).toEqual([event._id]);
});
