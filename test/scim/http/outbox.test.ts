import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import type { GroupDoc, UserDoc } from '../../../src/persistence/models';
import { SYNC_QUEUE, queuePrefix } from '../../../src/queue/jobs';
import { startTestStack, type TestStack } from '../../helpers/stack';
import { GROUP_URN, createGroup, createUser, expectStatus, groupBody, membershipsOf, patchBody, tokenIdOf, userBody } from './helpers';

/**
 * The durable side of every SCIM write (DESIGN.md §5): the change, its version bump and the
 * pending-sync mark land in one document update, so no change is lost when Redis is down; every
 * change is audited; memberships live in their own collection.
 */

async function userDoc(stack: TestStack, id: string): Promise<UserDoc> {
  const doc = await stack.runtime.deps.models.User.findById(id).lean();
  if (!doc) throw new Error(`user ${id} is not stored`);
  return doc;
}

async function groupDoc(stack: TestStack, id: string): Promise<GroupDoc> {
  const doc = await stack.runtime.deps.models.Group.findById(id).lean();
  if (!doc) throw new Error(`group ${id} is not stored`);
  return doc;
}

/** The pending mark names the version just written and is set. */
function expectPending(doc: { version: number; sync: { version: number; pendingSince?: Date }; updatedAt: Date }): void {
  expect(doc.sync.version).toBe(doc.version);
  expect(doc.sync.pendingSince).toBeInstanceOf(Date);
  expect(doc.sync.pendingSince!.getTime()).toBeLessThanOrEqual(doc.updatedAt.getTime());
}

/** What the worker does once it has processed a version: clears the pending mark. */
async function acknowledge(stack: TestStack, model: 'User' | 'Group', id: string): Promise<void> {
  const collection = stack.runtime.deps.models[model].collection;
  await collection.updateOne({ _id: id } as never, { $unset: { 'sync.pendingSince': 1 } });
}

describe('the pending-sync mark', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it('every user write bumps version and sync.version together and marks the user pending', async () => {
    const created = await createUser(stack, 'outbox.user@example.com');
    let doc = await userDoc(stack, created.id);
    expect(doc.version).toBe(1);
    expectPending(doc);

    for (const write of [
      () => stack.scim.put(`/Users/${created.id}`, userBody('outbox.user@example.com', { title: 'Put' })),
      () => stack.scim.patch(`/Users/${created.id}`, patchBody({ op: 'replace', path: 'title', value: 'Patched' })),
      () => stack.scim.patch(`/Users/${created.id}`, patchBody({ op: 'replace', path: 'active', value: false })),
    ]) {
      const before = doc.version;
      await acknowledge(stack, 'User', created.id);
      expectStatus(await write(), 200);
      doc = await userDoc(stack, created.id);
      expect(doc.version).toBe(before + 1);
      expectPending(doc);
    }
  });

  it('while work is pending, further writes keep the oldest pendingSince (the sweeper measures from it)', async () => {
    const created = await createUser(stack, 'oldest.pending@example.com');
    const first = (await userDoc(stack, created.id)).sync.pendingSince!;
    await new Promise((r) => setTimeout(r, 10));
    expectStatus(await stack.scim.patch(`/Users/${created.id}`, patchBody({ op: 'replace', path: 'title', value: 'Later' })), 200);
    const doc = await userDoc(stack, created.id);
    expect(doc.sync.pendingSince!.getTime()).toBe(first.getTime());
    expect(doc.sync.version).toBe(2);
  });

  it('every group write, member-only PATCHes included, bumps the group version and marks it pending', async () => {
    const member = await createUser(stack, 'outbox.member@example.com');
    const group = await createGroup(stack, 'Outbox Group');
    let doc = await groupDoc(stack, group.id);
    expectPending(doc);
    for (const write of [
      () => stack.scim.patch(`/Groups/${group.id}`, patchBody({ op: 'add', path: 'members', value: [{ value: member.id }] })),
      () => stack.scim.put(`/Groups/${group.id}`, { schemas: [GROUP_URN], displayName: 'Outbox Group Renamed', members: [] }),
      () => stack.scim.patch(`/Groups/${group.id}`, patchBody({ op: 'replace', path: 'displayName', value: 'Outbox Group' })),
    ]) {
      const before = doc.version;
      await acknowledge(stack, 'Group', group.id);
      const res = await write();
      expect([200, 204]).toContain(res.status);
      doc = await groupDoc(stack, group.id);
      expect(doc.version).toBe(before + 1);
      expectPending(doc);
    }
  });

  it('each write is followed by a job on the sync queue', async () => {
    const connection = new IORedis(stack.config.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(SYNC_QUEUE, { connection, prefix: queuePrefix(stack.config.queue.prefix) });
    try {
      const created = await createUser(stack, 'queued@example.com');
      const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
      expect(jobs.some((j) => j.name === 'user.changed' && j.data.userId === created.id && j.data.tenantId === stack.tenantId)).toBe(true);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });
});

describe('with Redis unreachable', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
  });
  afterAll(() => stack.close());

  it('SCIM writes still succeed promptly and leave the pending mark for the sweeper', async () => {
    const started = Date.now();
    const user = await createUser(stack, 'no.redis@example.com');
    expectPending(await userDoc(stack, user.id));
    expectStatus(await stack.scim.put(`/Users/${user.id}`, userBody('no.redis@example.com', { title: 'Still works' })), 200);
    expectStatus(await stack.scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'active', value: false })), 200);
    const doc = await userDoc(stack, user.id);
    expect(doc.version).toBe(3);
    expectPending(doc);

    const group = expectStatus(await stack.scim.post('/Groups', groupBody('No Redis Group', { members: [{ value: user.id }] })), 201);
    const patched = await stack.scim.patch(`/Groups/${group.body.id}`, patchBody({ op: 'replace', path: 'displayName', value: 'Still No Redis' }));
    expect(patched.status).toBe(204);
    expectPending(await groupDoc(stack, group.body.id));
    expect(await membershipsOf(stack, group.body.id)).toEqual([{ userId: user.id, sources: ['scim'] }]);
    expect((await stack.scim.delete(`/Users/${user.id}`)).status).toBe(204);
    // Enqueueing fails fast instead of holding the IdP's request (Okta gives up after 60 s).
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('audit trail and memberships', () => {
  let stack: TestStack;
  let tokenId: string;
  beforeAll(async () => {
    stack = await startTestStack();
    tokenId = await tokenIdOf(stack);
  });
  afterAll(() => stack.close());

  async function events(objectId: string) {
    return stack.runtime.deps.models.AuditEvent.find({ tenantId: stack.tenantId, 'object.id': objectId }).sort({ at: 1 }).lean();
  }

  it('every user change writes one audit event, by the SCIM token, with before and after', async () => {
    const user = await createUser(stack, 'audited@example.com');
    expectStatus(await stack.scim.put(`/Users/${user.id}`, userBody('audited@example.com', { title: 'T' })), 200);
    expectStatus(await stack.scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'U' })), 200);
    expect((await stack.scim.delete(`/Users/${user.id}`)).status).toBe(204);
    const trail = await events(user.id);
    expect(trail.map((e) => e.action)).toEqual(['user.created', 'user.replaced', 'user.patched', 'user.deleted']);
    for (const e of trail) {
      expect(e.actor).toEqual({ type: 'scim-token', id: tokenId });
      expect(e.object).toEqual({ type: 'User', id: user.id });
      expect(e.tenantId).toBe(stack.tenantId);
    }
    expect(trail[2]!.before).toMatchObject({ attrs: { title: 'T' } });
    expect(trail[2]!.after).toMatchObject({ attrs: { title: 'U' } });
    expect(JSON.stringify(trail)).not.toMatch(/password/i);
  });

  it('every group change writes an audit event naming the members added and removed', async () => {
    const a = await createUser(stack, 'audit.a@example.com');
    const b = await createUser(stack, 'audit.b@example.com');
    const group = await createGroup(stack, 'Audited Group');
    await stack.scim.patch(`/Groups/${group.id}`, patchBody({ op: 'add', path: 'members', value: [{ value: a.id }, { value: b.id }] }));
    await stack.scim.patch(`/Groups/${group.id}`, patchBody({ op: 'remove', path: 'members', value: [{ value: a.id }] }));
    expect((await stack.scim.delete(`/Groups/${group.id}`)).status).toBe(204);
    const trail = await events(group.id);
    expect(trail.map((e) => e.action)).toEqual(['group.created', 'group.patched', 'group.patched', 'group.deleted']);
    expect(trail.every((e) => e.actor.type === 'scim-token' && e.actor.id === tokenId)).toBe(true);
    expect((trail[1]!.after as { membersAdded: string[] }).membersAdded.sort()).toEqual([a.id, b.id].sort());
    expect((trail[2]!.after as { membersRemoved: string[] }).membersRemoved).toEqual([a.id]);
  });

  it('a request that changes nothing writes no audit event', async () => {
    const user = await createUser(stack, 'quiet@example.com', { title: 'Same' });
    expectStatus(await stack.scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'Same' })), 200);
    expect((await events(user.id)).map((e) => e.action)).toEqual(['user.created']);
  });

  it('members are memberships with source scim in their own collection, never an array on the group', async () => {
    const user = await createUser(stack, 'membership@example.com');
    const group = await createGroup(stack, 'Membership Group', { members: [{ value: user.id }] });
    const docs = await stack.runtime.deps.models.Membership.find({ tenantId: stack.tenantId, groupId: group.id }).lean();
    expect(docs).toEqual([expect.objectContaining({ _id: `${group.id}|${user.id}`, groupId: group.id, userId: user.id, role: 'member', sources: ['scim'] })]);
    const stored = await groupDoc(stack, group.id);
    expect(JSON.stringify(stored.attrs)).not.toContain(user.id);
    expect(stored.attrs).not.toHaveProperty('members');
  });

  it('a PATCH adding 2,000 members works in one request; excludedAttributes=members then omits them', async () => {
    // Seeded directly: creating 2,000 users over HTTP is not what is under test here.
    const now = new Date();
    const seeded: UserDoc[] = Array.from({ length: 2000 }, (_, i) => ({
      _id: `usr_bulk_${String(i).padStart(4, '0')}`,
      tenantId: stack.tenantId,
      attrs: { userName: `bulk.${i}@example.com`, active: true },
      lc: { userName: `bulk.${i}@example.com` },
      version: 1,
      sync: { version: 1 },
      createdAt: now,
      updatedAt: now,
    }));
    await stack.runtime.deps.models.User.collection.insertMany(seeded as never[]);
    const group = await createGroup(stack, 'Big Group');

    const started = Date.now();
    const res = await stack.scim.patch(`/Groups/${group.id}`, patchBody({ op: 'add', path: 'members', value: seeded.map((u) => ({ value: u._id })) }));
    expect(res.status).toBe(204);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await stack.runtime.deps.models.Membership.countDocuments({ tenantId: stack.tenantId, groupId: group.id, sources: 'scim' })).toBe(2000);

    const lean = expectStatus(await stack.scim.get(`/Groups/${group.id}?excludedAttributes=members`), 200);
    expect(lean.body).not.toHaveProperty('members');
    expect(lean.body.displayName).toBe('Big Group');
    const listed = expectStatus(await stack.scim.get(`/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Big Group"')}`), 200);
    expect(listed.body.Resources[0]).not.toHaveProperty('members');
    const full = expectStatus(await stack.scim.get(`/Groups/${group.id}`), 200);
    expect(full.body.members).toHaveLength(2000);

    const audit = await events(group.id);
    expect((audit.at(-1)!.after as { membersAdded: string[] }).membersAdded).toHaveLength(2000);

    // An admin added the first ten by hand too; removing 1,000 over SCIM leaves those ten.
    const manual = seeded.slice(0, 10).map((u) => u._id);
    await stack.runtime.deps.memberships.addSource(stack.tenantId, group.id, manual, 'manual');
    const removal = await stack.scim.patch(`/Groups/${group.id}`, patchBody({ op: 'remove', path: 'members', value: seeded.slice(0, 1000).map((u) => ({ value: u._id })) }));
    expect(removal.status).toBe(204);
    const left = await membershipsOf(stack, group.id);
    expect(left).toHaveLength(1010);
    expect(left.filter((m) => m.sources.join() === 'manual').map((m) => m.userId)).toEqual(manual);
    expect((await events(group.id)).at(-1)!.after).toMatchObject({ membersRemoved: expect.any(Array) });
    expect(((await events(group.id)).at(-1)!.after as { membersRemoved: string[] }).membersRemoved).toHaveLength(990);
  });
});
