import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expectStatus } from '../admin/admin-fixtures';
import { CUSTOM_USER_URN, startSyncStack, waitFor, type SyncStack } from '../workers/sync-fixtures';

/**
 * access.changed on every path that changes a user's effective access (issue 19), beside the
 * grants of test/events/access-changed.test.ts: memberships of every source (an IdP push through a
 * mapping, a rule, an admin, a CSV import, an invitation), a user's deactivation and reactivation,
 * a role's privileges, a group's move under another, its archiving and its deletion. Each event
 * carries the user's roles and permissions before and after, and sits right after the change that
 * caused it; a change that gives nothing (a group without roles) makes none. IdP requests are the
 * exact shapes of test/fixtures (Okta, Entra).
 */

interface Ev {
  id: string;
  seq: number;
  type: string;
  object: { type: string; id: string; version?: number };
  data: Record<string, any>;
}

const fixture = (name: string): Record<string, any> => JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', name), 'utf8')) as Record<string, any>;

/** A fixture with its placeholder ids replaced. */
function withIds(name: string, ids: Record<string, string>): Record<string, any> {
  let text = readFileSync(path.join(__dirname, '..', 'fixtures', name), 'utf8');
  for (const [from, to] of Object.entries(ids)) text = text.split(from).join(to);
  return JSON.parse(text) as Record<string, any>;
}

describe('access.changed on every path that changes effective access', () => {
  let s: SyncStack;
  let cursor: string | undefined;
  beforeAll(async () => {
    s = await startSyncStack();
  });
  afterAll(() => s.close());

  /** Every event after the last call's cursor. */
  async function newEvents(): Promise<Ev[]> {
    const items: Ev[] = [];
    for (;;) {
      const res = expectStatus(await s.admin.get(`/events?limit=500${cursor ? `&after=${cursor}` : ''}`), 200);
      items.push(...(res.body.items as Ev[]));
      cursor = res.body.nextCursor as string;
      if (!res.body.hasMore) return items;
    }
  }

  /** Skips to the end of the feed. */
  async function mark(): Promise<void> {
    await newEvents();
  }

  /** The access.changed events after the mark, once `count` of them are there (the worker's are asynchronous). */
  async function accessEvents(count: number, settle = true): Promise<{ all: Ev[]; access: Ev[] }> {
    if (settle) await s.settle();
    const all: Ev[] = [];
    try {
      await waitFor(async () => {
        all.push(...(await newEvents()));
        return all.filter((e) => e.type === 'access.changed').length >= count;
      }, `${count} access.changed events`);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the feed had ${JSON.stringify(all.map((e) => [e.type, e.object.id]))}`, { cause: err });
    }
    return { all, access: all.filter((e) => e.type === 'access.changed') };
  }

  async function role(name: string, level = 'edit'): Promise<string> {
    return expectStatus(await s.admin.post('/roles', { name: `${name} ${Math.random().toString(36).slice(2, 7)}`, privileges: [{ target: 'Ticket', level }] }), 201).body.id as string;
  }

  async function group(name: string, parentId?: string): Promise<string> {
    return expectStatus(await s.admin.post('/groups', { name, ...(parentId && { parentId }) }), 201).body.id as string;
  }

  async function permissionsOf(userId: string): Promise<{ roles: string[]; ticket: string }> {
    const body = expectStatus(await s.admin.get(`/users/${userId}/permissions`), 200).body;
    return { roles: [...(body.roles as string[])].sort(), ticket: (body.targets as { target: string; level: string }[]).find((t) => t.target === 'Ticket')!.level };
  }

  /** The event's after side, as the permissions read shows it now. */
  async function expectAfterIsCurrent(e: Ev): Promise<void> {
    const now = await permissionsOf(e.data.userId as string);
    expect(e.data.after.roles).toEqual(now.roles);
    expect(e.data.after.permissions.Ticket ?? 'hide').toBe(now.ticket);
  }

  it('an IdP push (Okta and Entra PATCH /Groups members) through a mapping: the member gains and loses the mapped group’s role, after its group.member_added/removed', async () => {
    const uniq = Math.random().toString(36).slice(2, 8);
    const r = await role('Mapped');
    const target = await group(`Mapped target ${uniq}`);
    expectStatus(await s.admin.post(`/groups/${target}/roles`, { roleId: r }), 201);
    const idpName = `Okta Engineers ${uniq}`;
    expectStatus(await s.admin.post('/mappings', { idpGroup: idpName, targetGroupId: target }), 201);
    const ann = await s.user(`ann-${uniq}@example.com`);
    const idp = expectStatus(await s.scim.post('/Groups', { ...fixture('okta/post-group.json'), displayName: idpName }), 201).body.id as string;
    await s.settle();
    await mark();

    // Okta: remove one (nobody), add ann.
    const okta = withIds('okta/patch-group-update-members.json', { '89bb1940-b905-4575-9e7f-6f887cfb368e': 'usr_nobody_here', '23a35c27-23d3-4c03-b4c5-6443c09e7173': ann });
    okta.Operations = okta.Operations.slice(1); // the remove of an unknown id is refused by requireUsers only for adds; keep it a pure add
    expectStatus(await s.scim.patch(`/Groups/${idp}`, okta), 204);
    const added = await accessEvents(1);
    expect(added.access).toHaveLength(1);
    const gained = added.access[0]!;
    expect(gained.object).toEqual({ type: 'User', id: ann });
    expect(gained.data).toMatchObject({ userId: ann, change: { object: { type: 'Group', id: target }, action: 'membership.added' } });
    expect(gained.data.before.roles).not.toContain(r);
    expect(gained.data.after.roles).toContain(r);
    expect(gained.data.after.permissions.Ticket).toBe('edit');
    // Right after the membership change that caused it.
    const memberAdded = added.all.find((e) => e.type === 'group.member_added' && e.data.groupId === target && e.data.userId === ann)!;
    expect(gained.seq).toBe(memberAdded.seq + 1);
    await expectAfterIsCurrent(gained);

    // Entra: Remove.
    expectStatus(await s.scim.patch(`/Groups/${idp}`, withIds('entra/patch-group-remove-member.json', { f648f8d5ea4e4cd38e9c: ann })), 204);
    const removed = await accessEvents(1);
    expect(removed.access).toHaveLength(1);
    expect(removed.access[0]!.data.before).toEqual(gained.data.after);
    expect(removed.access[0]!.data.after).toEqual(gained.data.before);
    await expectAfterIsCurrent(removed.access[0]!);
  });

  it('a membership into a group that gives nothing (no roles, none inherited) makes no access.changed', async () => {
    const uniq = Math.random().toString(36).slice(2, 8);
    const plain = await group(`Plain ${uniq}`);
    const bob = await s.user(`bob-${uniq}@example.com`);
    await s.settle();
    await mark();
    expectStatus(await s.admin.post(`/groups/${plain}/members`, { userId: bob }), 201);
    const events = await newEvents();
    expect(events.filter((e) => e.type === 'group.member_added' && e.data.userId === bob)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'access.changed')).toEqual([]);
  });

  it('a rule membership (Entra department change), and deactivation and reactivation (Okta, Entra shapes)', async () => {
    const uniq = Math.random().toString(36).slice(2, 8);
    const r = await role('Sales rule');
    const target = await group(`Sales ${uniq}`);
    expectStatus(await s.admin.post(`/groups/${target}/roles`, { roleId: r }), 201);
    await s.createRule({ name: `Sales ${uniq}`, expression: `department eq "Sales-${uniq}"`, targetGroupId: target });
    const cat = await s.user(`cat-${uniq}@example.com`, { department: 'Legal' });
    await s.settle();
    await mark();

    await s.patchUser(cat, { op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: `Sales-${uniq}` });
    const joined = (await accessEvents(1)).access;
    expect(joined.map((e) => [e.data.userId, e.data.change.action, e.data.before.roles.includes(r), e.data.after.roles.includes(r)])).toEqual([[cat, 'membership.added', false, true]]);
    await expectAfterIsCurrent(joined[0]!);

    // Okta's deactivation: everything goes (a deactivated user has nothing), on the user's own event.
    expectStatus(await s.scim.patch(`/Users/${cat}`, fixture('okta/patch-user-deactivate.json')), 200);
    const off = await accessEvents(1);
    const deactivated = off.access.filter((e) => e.data.change?.action === 'user.patched');
    expect(deactivated).toHaveLength(1);
    expect(deactivated[0]!.data.before).toEqual(joined[0]!.data.after);
    expect(deactivated[0]!.data.after.permissions).toEqual({});
    const userEvent = off.all.find((e) => e.type === 'user.deactivated' && e.object.id === cat)!;
    expect(deactivated[0]!.seq).toBe(userEvent.seq + 1);
    // The rule drops the inactive user? Whatever the worker does next, no event claims access an inactive user does not have.
    for (const e of off.access) expect(e.data.after.permissions).toEqual({});
    await expectAfterIsCurrent(off.access.at(-1)!);

    // Entra's reactivation shape (Okta's is a path-less replace; Entra names the path). The access
    // comes back on the user's event, or with the rule's membership the worker gives back.
    expectStatus(await s.scim.patch(`/Users/${cat}`, { ...fixture('entra/patch-user-disable.json'), Operations: [{ op: 'Replace', path: 'active', value: true }] }), 200);
    const on = await accessEvents(1);
    expect(on.access[0]!.data.before.permissions).toEqual({});
    expect(on.access.at(-1)!.data.after.permissions.Ticket).toBe('edit');
    await expectAfterIsCurrent(on.access.at(-1)!);
  });

  it("a user's audience moved over SCIM (internal user → customer): the internal group's role goes on the user's own event", async () => {
    const uniq = Math.random().toString(36).slice(2, 8);
    const r = await role('Internal only');
    const team = await group(`Internal ${uniq}`);
    expectStatus(await s.admin.post(`/groups/${team}/roles`, { roleId: r }), 201);
    const dan = await s.user(`dan-${uniq}@example.com`);
    expectStatus(await s.admin.post(`/groups/${team}/members`, { userId: dan }), 201);
    await s.settle();
    expect((await permissionsOf(dan)).roles).toContain(r);
    await mark();

    // The custom extension's audience, replaced as Entra sends an extension attribute.
    await s.patchUser(dan, { op: 'Replace', path: `${CUSTOM_USER_URN}:audience`, value: 'customer' });
    const moved = await accessEvents(1);
    const own = moved.access.filter((e) => e.data.change?.action === 'user.patched');
    expect(own).toHaveLength(1);
    expect(own[0]!.data.userId).toBe(dan);
    expect(own[0]!.data.before.roles).toContain(r);
    expect(own[0]!.data.after.roles).not.toContain(r);
    const userEvent = moved.all.find((e) => e.type === 'user.updated' && e.object.id === dan)!;
    expect(own[0]!.seq).toBe(userEvent.seq + 1);
    await expectAfterIsCurrent(moved.access.at(-1)!);
  });

  it('an admin adds and removes a member, a CSV import adds one, an invitation adds one: each their difference', async () => {
    const uniq = Math.random().toString(36).slice(2, 8);
    const r = await role('Team');
    const team = await group(`Team ${uniq}`);
    expectStatus(await s.admin.post(`/groups/${team}/roles`, { roleId: r }), 201);
    const dee = await s.user(`dee-${uniq}@example.com`);
    const eve = await s.user(`eve-${uniq}`);
    await s.settle();
    await mark();

    expectStatus(await s.admin.post(`/groups/${team}/members`, { userId: dee }), 201);
    const manual = (await accessEvents(1, false)).access;
    expect(manual.map((e) => [e.data.userId, e.data.change.action, e.data.after.roles.includes(r)])).toEqual([[dee, 'group.member.added', true]]);
    expectStatus(await s.admin.delete(`/groups/${team}/members/${dee}`), 200);
    const removed = (await accessEvents(1, false)).access;
    expect(removed.map((e) => [e.data.userId, e.data.change.action, e.data.before.roles.includes(r), e.data.after.roles.includes(r)])).toEqual([[dee, 'group.member.removed', true, false]]);

    const preview = expectStatus(await s.admin.post(`/groups/${team}/members/import`, { csv: `email\neve-${uniq}@example.com` }), 201).body.id as string;
    expectStatus(await s.admin.post(`/groups/${team}/members/import/${preview}/confirm`), 200);
    const imported = (await accessEvents(1, false)).access;
    expect(imported.map((e) => [e.data.userId, e.data.change.action, e.data.after.permissions.Ticket])).toEqual([[eve, 'group.members.imported', 'edit']]);

    expectStatus(await s.admin.post('/invitations', { email: `fay-${uniq}@example.com`, groupIds: [team] }), 201);
    const fay = await s.user(`fay-${uniq}`, { email: `fay-${uniq}@example.com` });
    const invited = await accessEvents(1);
    expect(invited.access.map((e) => [e.data.userId, e.data.change.action, e.data.after.roles.includes(r)])).toEqual([[fay, 'invitation.accepted', true]]);
    const memberAdded = invited.all.find((e) => e.type === 'group.member_added' && e.data.userId === fay && e.data.groupId === team)!;
    expect(invited.access[0]!.seq).toBe(memberAdded.seq + 1);
    for (const e of [...removed, ...imported, ...invited.access]) await expectAfterIsCurrent(e);
  });

  it("a role's privileges edited: every holder, directly, through a group and through a parent group; none for a rename", async () => {
    const uniq = Math.random().toString(36).slice(2, 8);
    const r = await role('Editable', 'view');
    const parent = await group(`Parent ${uniq}`);
    const child = await group(`Child ${uniq}`, parent);
    const [gus, hal, ida, jon] = [await s.user(`gus-${uniq}@example.com`), await s.user(`hal-${uniq}@example.com`), await s.user(`ida-${uniq}@example.com`), await s.user(`jon-${uniq}@example.com`)];
    expectStatus(await s.admin.post(`/groups/${parent}/roles`, { roleId: r }), 201);
    expectStatus(await s.admin.post(`/groups/${parent}/members`, { userId: hal }), 201);
    expectStatus(await s.admin.post(`/groups/${child}/members`, { userId: ida }), 201);
    expectStatus(await s.admin.post(`/users/${gus}/roles`, { roleId: r }), 201);
    await s.settle();
    await mark();

    expectStatus(await s.admin.patch(`/roles/${r}`, { name: `Renamed ${uniq}` }), 200);
    expect((await newEvents()).filter((e) => e.type === 'access.changed')).toEqual([]);

    expectStatus(await s.admin.patch(`/roles/${r}`, { privileges: [{ target: 'Ticket', level: 'delete' }] }), 200);
    const { access } = await accessEvents(3, false);
    expect(access.map((e) => e.data.userId).sort()).toEqual([gus, hal, ida].sort());
    expect(access.some((e) => e.data.userId === jon)).toBe(false);
    for (const e of access) {
      expect(e.data.change).toEqual({ object: { type: 'Role', id: r }, action: 'role.updated' });
      expect([e.data.before.permissions.Ticket, e.data.after.permissions.Ticket]).toEqual(['view', 'delete']);
      await expectAfterIsCurrent(e);
    }
  });

  it("a group moved under a granting parent: its subtree's members inherit; moved out: they lose it; archived and deleted: its members lose it", async () => {
    const uniq = Math.random().toString(36).slice(2, 8);
    const r = await role('Inherited');
    const granting = await group(`Granting ${uniq}`);
    expectStatus(await s.admin.post(`/groups/${granting}/roles`, { roleId: r }), 201);
    const moved = await group(`Moved ${uniq}`);
    const below = await group(`Below ${uniq}`, moved);
    const [kim, lee] = [await s.user(`kim-${uniq}@example.com`), await s.user(`lee-${uniq}@example.com`)];
    expectStatus(await s.admin.post(`/groups/${moved}/members`, { userId: kim }), 201);
    expectStatus(await s.admin.post(`/groups/${below}/members`, { userId: lee }), 201);
    await s.settle();
    await mark();

    expectStatus(await s.admin.patch(`/groups/${moved}`, { parentId: granting }), 200);
    const into = (await accessEvents(2, false)).access;
    expect(into.map((e) => e.data.userId).sort()).toEqual([kim, lee].sort());
    for (const e of into) {
      expect(e.data.change).toEqual({ object: { type: 'Group', id: moved }, action: 'group.updated' });
      expect([e.data.before.roles.includes(r), e.data.after.roles.includes(r)]).toEqual([false, true]);
      await expectAfterIsCurrent(e);
    }

    expectStatus(await s.admin.post(`/groups/${below}/archive`), 200);
    const archived = (await accessEvents(1, false)).access;
    expect(archived.map((e) => [e.data.userId, e.data.change.action, e.data.after.roles.includes(r)])).toEqual([[lee, 'group.archived', false]]);

    expectStatus(await s.admin.patch(`/groups/${moved}`, { parentId: null }), 200);
    const out = (await accessEvents(1, false)).access;
    expect(out.map((e) => [e.data.userId, e.data.after.roles.includes(r)])).toEqual([[kim, false]]);

    const doomed = await group(`Doomed ${uniq}`);
    expectStatus(await s.admin.post(`/groups/${doomed}/roles`, { roleId: r }), 201);
    expectStatus(await s.admin.post(`/groups/${doomed}/members`, { userId: kim }), 201);
    await mark();
    expectStatus(await s.admin.delete(`/groups/${doomed}`), 204);
    const deleted = (await accessEvents(1, false)).access;
    expect(deleted.map((e) => [e.data.userId, e.data.change.action, e.data.before.roles.includes(r), e.data.after.roles.includes(r)])).toEqual([[kim, 'group.deleted', true, false]]);
    for (const e of [...archived, ...out, ...deleted]) await expectAfterIsCurrent(e);
  });
});
