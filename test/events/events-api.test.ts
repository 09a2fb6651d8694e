import { startAdminStack, expectError, expectStatus, type AdminStack } from '../admin/admin-fixtures';
import { CORE_GROUP_URN, CORE_USER_URN } from '../../src/attributes/urns';
import { purgeExpiredEvents } from '../../src/domain/events/feed';
import { sequenceTenant } from '../../src/domain/events/sequencer';
import { auditEvent, writeAuditEvent } from '../../src/domain/audit';
import { repositoriesOf } from '../../src/persistence/repositories';
import { writeInterruptedAudits } from '../../src/domain/recovery/pending-audits';
import { writeInterruptedMembershipAudits } from '../../src/domain/recovery/pending-membership-audits';
import { membershipId } from '../../src/persistence/memberships-repository';
import { EventReplica } from '../../src/domain/events/replica';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Ev {
  id: string;
  seq: number;
  cursor: string;
  type: string;
  object: { type: string; id: string; version?: number };
  data: Record<string, any>;
}

async function allEvents(s: AdminStack, after?: string, query = ''): Promise<{ items: Ev[]; nextCursor: string }> {
  const items: Ev[] = [];
  let cursor = after;
  for (;;) {
    const res = expectStatus(await s.admin.get(`/events?limit=7${cursor ? `&after=${cursor}` : ''}${query}`), 200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (!res.body.hasMore) return { items, nextCursor: cursor! };
  }
}

describe('GET /admin/v1/events', () => {
  let s: AdminStack;
  beforeAll(async () => {
    s = await startAdminStack();
  });
  afterAll(() => s.close());

  it("lists a user's and a group's changes in commit order, with consecutive seq and the object after each change", async () => {
    const start = (await allEvents(s)).nextCursor;
    const created = await s.scim.post('/Users', { schemas: [CORE_USER_URN], userName: 'ann@example.com', name: { givenName: 'Ann' }, active: true });
    const ann = created.body.id as string;
    await s.scim.patch(`/Users/${ann}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'Engineer' }] }).expect(200);
    await s.scim.patch(`/Users/${ann}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] }).expect(200);
    await s.scim.patch(`/Users/${ann}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: true }] }).expect(200);
    const group = await s.scim.post('/Groups', { schemas: [CORE_GROUP_URN], displayName: 'Engineering', members: [{ value: ann }] });
    const g = group.body.id as string;
    await s.scim.patch(`/Groups/${g}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${ann}"]` }] }).expect(204);
    await s.scim.delete(`/Groups/${g}`).expect(204);
    await s.scim.delete(`/Users/${ann}`).expect(204);

    const { items } = await allEvents(s, start);
    const mine = items.filter((e) => e.object.id === ann || e.object.id === g || e.data.userId === ann);
    expect(mine.map((e) => `${e.type}${e.data.source ? `:${e.data.source}` : ''}`)).toEqual([
      'user.created',
      'group.member_added:automatic',
      'group.member_added:automatic',
      'user.updated',
      'user.deactivated',
      'group.member_removed:automatic',
      'group.member_removed:automatic',
      'user.reactivated',
      'group.member_added:automatic',
      'group.member_added:automatic',
      'group.created',
      'group.member_added:scim',
      'group.member_removed:scim',
      'group.deleted',
      'user.deleted',
    ]);
    // Consecutive places: the feed has no gaps.
    items.forEach((e, i) => i > 0 && expect(e.seq).toBe(items[i - 1]!.seq + 1));
    const updated = mine.find((e) => e.type === 'user.updated')!;
    expect(updated.object).toEqual({ type: 'User', id: ann, version: 2 });
    expect(updated.data.user.attrs).toMatchObject({ userName: 'ann@example.com', title: 'Engineer', name: { givenName: 'Ann' } });
    expect(updated.data.changes).toEqual({ before: {}, after: { title: 'Engineer' } });
    expect(mine.find((e) => e.type === 'group.member_added' && e.data.source === 'scim')!.data).toMatchObject({ groupId: g, userId: ann, cause: { actor: { type: 'scim-token' } } });
  });

  it('answers the same sequence after a cursor every time, and filters types without losing its place', async () => {
    await s.user('bob@example.com');
    const all = await allEvents(s);
    expect(all.items.length).toBeGreaterThan(3);
    const from = all.items[1]!.cursor;
    const again = await allEvents(s, from);
    expect(again.items).toEqual(all.items.slice(2));
    const onlyUsers = await allEvents(s, undefined, '&types=user.created,user.deleted');
    expect(onlyUsers.items.every((e) => e.type === 'user.created' || e.type === 'user.deleted')).toBe(true);
    expect(onlyUsers.nextCursor).toBe(all.nextCursor);
    // Nothing new: the next cursor stays where it was.
    const none = expectStatus(await s.admin.get(`/events?after=${all.nextCursor}`), 200);
    expect(none.body).toEqual({ items: [], nextCursor: all.nextCursor, hasMore: false });
  });

  it('keeps one event per audit event when a pass dies before committing or before unmarking', async () => {
    const { models } = s.runtime.deps;
    const before = await allEvents(s);
    // A pass that died after writing above the mark: garbage in the next slots, never served.
    const { committed } = await repositoriesOf(models).changeEvents.state(s.tenantId);
    await models.ChangeEvent.collection.insertOne({
      _id: 'evt_garbage',
      tenantId: s.tenantId,
      seq: committed + 1,
      auditId: 'evt_garbage',
      part: 0,
      type: 'user.created',
      occurredAt: new Date(),
      sequencedAt: new Date(),
      actor: { type: 'system', id: 'x' },
      object: { type: 'User', id: 'usr_x' },
      data: {},
    } as never);
    const audit = auditEvent({ tenantId: s.tenantId, actor: { type: 'admin', id: 'a' }, action: 'user.role.assigned', object: { type: 'User', id: 'usr_y' }, after: { roleId: 'rol_1' } });
    await writeAuditEvent(models, audit);
    await sequenceTenant(models, s.tenantId);
    // A pass that died after committing, before unmarking: the audit event is marked again.
    await models.AuditEvent.collection.updateOne({ _id: audit._id } as never, { $set: { unsequenced: true } });
    const after = await allEvents(s, before.nextCursor);
    expect(after.items.map((e) => [e.id, e.type])).toEqual([[audit._id, 'access.changed']]);
    expect(after.items[0]!.seq).toBe(committed + 1);
  });

  it("holds a user's events while an older change's audit event still waits on the user (a crashed request), then serves them in commit order", async () => {
    const { models } = s.runtime.deps;
    const id = await s.user('carol@example.com');
    const start = (await allEvents(s)).nextCursor;
    // A PATCH whose request died after its write, before writing its audit event: left on the user.
    const crashed = auditEvent(
      {
        tenantId: s.tenantId,
        actor: { type: 'system', id: 'test' },
        action: 'user.patched',
        object: { type: 'User', id },
        before: { attrs: {}, version: 1 },
        after: { attrs: { title: 'Lost' }, version: 2 },
        state: { attrs: { userName: 'carol@example.com', title: 'Lost' }, version: 2 },
      },
      new Date(Date.now() - 1000),
    );
    await models.User.collection.updateOne({ _id: id } as never, { $push: { pendingAudit: crashed }, $set: { version: 2 } } as never);
    await s.scim.patch(`/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'Later' }] }).expect(200);
    expect((await allEvents(s, start)).items.filter((e) => e.object.id === id)).toEqual([]);
    // The sweeper writes the crashed request's event; now both, the older first.
    expect(await writeInterruptedAudits(models, 0)).toBe(1);
    const after = (await allEvents(s, start)).items.filter((e) => e.object.id === id);
    expect(after.map((e) => [e.type, e.object.version, e.data.user.attrs.title])).toEqual([
      ['user.updated', 2, 'Lost'],
      ['user.updated', 3, 'Later'],
    ]);
  });

  it("holds a membership's later change while an earlier rule change's audit event still waits on the membership (a killed worker), then serves them in commit order", async () => {
    const { models } = s.runtime.deps;
    const userId = await s.user('dave@example.com');
    const groupId = `grp_held_${Date.now()}`;
    const start = (await allEvents(s)).nextCursor;
    const source = 'rule:rul_held';
    // A rule's add applied with its audit event on the membership; the worker died before writing it.
    const added = auditEvent(
      { tenantId: s.tenantId, actor: { type: 'system', id: 'rules' }, action: 'membership.added', object: { type: 'Group', id: groupId }, after: { userId, source } },
      new Date(Date.now() - 1000),
    );
    await models.Membership.collection.insertOne({
      _id: membershipId(groupId, userId),
      tenantId: s.tenantId,
      groupId,
      userId,
      role: 'member',
      sources: [],
      pendingAudit: [added],
      createdAt: new Date(),
      updatedAt: new Date(),
    } as never);
    // The rule's later removal was written by a live worker.
    const removed = auditEvent({
      tenantId: s.tenantId,
      actor: { type: 'system', id: 'rules' },
      action: 'membership.removed',
      object: { type: 'Group', id: groupId },
      before: { userId, source },
      after: { userId, membershipEnded: true },
    });
    await writeAuditEvent(models, removed);
    expect((await allEvents(s, start)).items.filter((e) => e.data.userId === userId && e.data.groupId === groupId)).toEqual([]);
    // Recovery writes the add: now both, the add first, and the consumer ends without the membership.
    expect(await writeInterruptedMembershipAudits(models, 0)).toBe(1);
    const after = (await allEvents(s, start)).items.filter((e) => e.data.userId === userId && e.data.groupId === groupId);
    expect(after.map((e) => [e.id, e.type, e.data.source])).toEqual([
      [added._id, 'group.member_added', source],
      [removed._id, 'group.member_removed', source],
    ]);
  });

  it('gives an accepted invitation one group.member_added (source invitation) per group it added, after the user.created, and a replica drops it on removal', async () => {
    const { nextCursor: start } = await allEvents(s);
    const team = expectStatus(await s.admin.post('/groups', { name: 'Invited team' }), 201).body.id as string;
    const other = expectStatus(await s.admin.post('/groups', { name: 'Invited too' }), 201).body.id as string;
    const inv = expectStatus(await s.admin.post('/invitations', { email: 'invited.events@example.com', groupIds: [team, other], role: 'manager' }), 201).body.id as string;
    const created = await s.scim.post('/Users', { schemas: [CORE_USER_URN], userName: 'invited-events', emails: [{ value: 'invited.events@example.com', primary: true }] });
    expect(created.status).toBe(201);
    const userId = created.body.id as string;
    expectStatus(await s.admin.delete(`/groups/${team}/members/${userId}`), 200);

    const events = (await allEvents(s, start)).items;
    const invited = events.filter((e) => e.type === 'group.member_added' && e.data.userId === userId && e.data.source === 'invitation');
    expect(invited.map((e) => [e.object, e.data.groupId, e.data.source, e.data.membershipSource, e.data.role, e.data.cause.invitationId])).toEqual(
      [team, other].map((g) => [{ type: 'Group', id: g }, g, 'invitation', 'manual', 'manager', inv]),
    );
    // Ordered after the user's own creation (a consumer drops a member event of a user it does not know).
    const userCreated = events.findIndex((e) => e.type === 'user.created' && e.object.id === userId);
    expect(userCreated).toBeGreaterThanOrEqual(0);
    expect(events.indexOf(invited[0]!)).toBeGreaterThan(userCreated);
    const removed = events.filter((e) => e.type === 'group.member_removed' && e.data.userId === userId);
    expect(removed.map((e) => [e.data.groupId, e.data.source])).toEqual([[team, 'manual']]);
    const replica = new EventReplica();
    for (const e of events) replica.apply(e);
    expect(replica.holders(team, 'manual')).toEqual([]);
    expect(replica.holders(other, 'manual')).toEqual([userId]);
  });

  it('answers 410 EVENTS_CURSOR_EXPIRED for a cursor older than retention, and 400 for a cursor it never gave', async () => {
    const first = (await allEvents(s)).items[0]!;
    expect(await purgeExpiredEvents(s.runtime.deps.models, 30, new Date(Date.now() + 31 * 24 * 3600 * 1000))).toBeGreaterThan(0);
    expectError(await s.admin.get(`/events?after=${first.cursor}`), 410, 'EVENTS_CURSOR_EXPIRED');
    expectStatus(await s.admin.get('/events'), 200);
    expectError(await s.admin.get('/events?after=nonsense'), 400, 'INVALID_CURSOR');
    expectError(await s.admin.get('/events?types=user.exploded'), 400, 'INVALID_EVENT_TYPE');
  });

  it('is for tenant admins only', async () => {
    const { client } = await s.caller('member');
    expectError(await client.get('/events'), 403, 'FORBIDDEN');
  });
});
