import fc from 'fast-check';
import request from 'supertest';
import { signAdminToken } from '../../src/auth/admin-jwt';
import { createTenant } from '../../src/domain/tenants';
import { toRepresentation } from '../../src/scim/service/representation';
import type { StoredResource } from '../../src/persistence/resource-store';
import { scimClient, type ScimClient } from '../helpers/stack';
import { EventReplica, type FeedEvent } from '../../src/domain/events/replica';
import { CORE_GROUP_URN, CORE_USER_URN, ENTERPRISE_USER_URN, PATCH_OP, startSyncStack, waitFor, type SyncStack } from '../workers/sync-fixtures';

/**
 * Replaying the change-event feed from the start into an empty store rebuilds exactly what the
 * SCIM API shows (users, groups, their members) and the memberships a rule made: random Okta- and
 * Entra-shaped operation sequences (fast-check, seeded), each on a fresh tenant with a rule.
 */

const SEED = Number(process.env.EVENTS_REPLAY_SEED ?? 1906);
const RUNS = 10;
const USERS = 5;
const GROUPS = 3;

type Dialect = 'okta' | 'entra';
type Op =
  | { kind: 'createUser'; slot: number; dialect: Dialect; sales: boolean }
  | { kind: 'patchUser'; slot: number; dialect: Dialect; change: 'deactivate' | 'reactivate' | 'title' | 'department' }
  | { kind: 'putUser'; slot: number; sales: boolean }
  | { kind: 'deleteUser'; slot: number }
  | { kind: 'createGroup'; slot: number; members: number[] }
  | { kind: 'patchMembers'; slot: number; dialect: Dialect; add: number[]; remove: number[] }
  | { kind: 'putGroup'; slot: number; members: number[]; rename: boolean }
  | { kind: 'renameGroup'; slot: number }
  | { kind: 'deleteGroup'; slot: number };

const user = fc.integer({ min: 0, max: USERS - 1 });
const group = fc.integer({ min: 0, max: GROUPS - 1 });
const dialect = fc.constantFrom<Dialect>('okta', 'entra');
const someUsers = fc.uniqueArray(user, { maxLength: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('createUser' as const), slot: user, dialect, sales: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('patchUser' as const),
      slot: user,
      dialect,
      change: fc.constantFrom('deactivate' as const, 'reactivate' as const, 'title' as const, 'department' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('putUser' as const), slot: user, sales: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteUser' as const), slot: user }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('createGroup' as const), slot: group, members: someUsers }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('patchMembers' as const), slot: group, dialect, add: someUsers, remove: someUsers }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('putGroup' as const), slot: group, members: someUsers, rename: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('renameGroup' as const), slot: group }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteGroup' as const), slot: group }) },
);

describe('replaying the change events', () => {
  let s: SyncStack;
  beforeAll(async () => {
    s = await startSyncStack();
  });
  afterAll(() => s.close());

  /** One run: a fresh tenant with a rule, the operations, then the feed replayed and compared. */
  async function run(ops: Op[]): Promise<void> {
    const { models } = s.runtime.deps;
    const tenant = await createTenant(models, `replay-${Math.random().toString(36).slice(2, 8)}`);
    const scim = scimClient(s.runtime.app, tenant.scimToken);
    const auth = `Bearer ${signAdminToken(s.config.adminJwt, { sub: 'usr_operator', tenant: tenant.tenantId, role: 'admin', kind: 'operator' })}`;
    const admin = {
      get: (p: string) => request(s.runtime.app).get(`/admin/v1${p}`).set('Authorization', auth),
      post: (p: string, b: object) => request(s.runtime.app).post(`/admin/v1${p}`).send(b).set('Authorization', auth),
    };
    const target = (await admin.post('/groups', { name: 'Sales team' }).expect(201)).body.id as string;
    const rule = (await admin.post('/rules', { name: 'Sales', expression: 'department eq "Sales"', targetGroupId: target }).expect(201)).body.id as string;

    const users: (string | undefined)[] = [];
    const groups: (string | undefined)[] = [];
    let n = 0;
    for (const op of ops) await apply(scim, op, users, groups, ++n);
    await settleTenant(tenant.tenantId);

    const replica = new EventReplica();
    let cursor: string | undefined;
    for (;;) {
      const page = await admin.get(`/events?limit=200${cursor ? `&after=${cursor}` : ''}`).expect(200);
      for (const e of page.body.items as FeedEvent[]) replica.apply(e);
      cursor = page.body.nextCursor;
      if (!page.body.hasMore) break;
    }

    const { registry } = s.runtime.deps;
    const shown = (type: 'User' | 'Group', body: Record<string, unknown>) => {
      const { meta: _meta, groups: _groups, members: _members, ...rest } = body;
      return rest;
    };
    const rebuilt = (type: 'User' | 'Group', id: string, attrs: Record<string, unknown>) =>
      shown(type, toRepresentation(registry, type, { _id: id, tenantId: tenant.tenantId, attrs, version: 1, createdAt: new Date(0), updatedAt: new Date(0) } as unknown as StoredResource, 'http://x'));

    const scimUsers = (await scim.get('/Users?count=1000').expect(200)).body.Resources as Record<string, any>[];
    expect(new Set(replica.users.keys())).toEqual(new Set(scimUsers.map((u) => u.id)));
    for (const u of scimUsers) {
      const r = replica.users.get(u.id)!;
      expect(rebuilt('User', u.id, r.attrs)).toEqual(shown('User', u));
      expect(`W/"${r.version}"`).toBe(u.meta.version);
    }
    const scimGroups = (await scim.get('/Groups?count=1000').expect(200)).body.Resources as Record<string, any>[];
    const replicaScimGroups = [...replica.groups].filter(([, g]) => 'attrs' in g);
    expect(new Set(replicaScimGroups.map(([id]) => id))).toEqual(new Set(scimGroups.map((g) => g.id)));
    for (const g of scimGroups) {
      expect(rebuilt('Group', g.id, replica.groups.get(g.id)!.attrs as Record<string, unknown>)).toEqual(shown('Group', g));
      expect(replica.holders(g.id, 'scim')).toEqual(((g.members ?? []) as { value: string }[]).map((m) => m.value).sort());
    }
    const members = (await admin.get(`/groups/${target}/members?limit=500`).expect(200)).body.items as { userId: string; sources: string[] }[];
    expect(replica.holders(target, `rule:${rule}`)).toEqual(
      members
        .filter((m) => m.sources.includes(`rule:${rule}`))
        .map((m) => m.userId)
        .sort(),
    );
  }

  /** The tenant's work is done: nothing queued, nothing pending (the rule's memberships are written and audited). */
  async function settleTenant(tenantId: string): Promise<void> {
    const { models } = s.runtime.deps;
    const pending = { tenantId, 'sync.pendingSince': { $exists: true } } as never;
    await waitFor(async () => {
      const counts = await s.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(counts).some((c) => c > 0)) return false;
      for (const model of [models.User, models.Group, models.Rule]) if ((await model.collection.countDocuments(pending)) > 0) return false;
      await new Promise((r) => setTimeout(r, 30));
      return Object.values(await s.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).every((c) => c === 0);
    }, 'the tenant to settle');
  }

  it('rebuilds the users, groups and memberships the APIs show, for random Okta and Entra sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 30 }), (ops) => run(ops)),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  }, 180_000);

  /**
   * access.changed, folded per user, is each user's effective access: random sequences of IdP
   * pushes (Okta- and Entra-shaped user and group PATCHes: a rule's department, activation, the
   * members of an IdP group mapped to an internal group), admin member changes, role privilege
   * edits and a group moved between parents. After every step, each user's last `after` (or the
   * access they were created with) equals what GET /users/{id}/permissions reports, and each
   * event's `before` is the previous `after`: none missing, none doubled, in order.
   */
  it('folds access.changed per user into the effective access the permissions read reports, after every step', async () => {
    console.log(`access.changed model seed: ${SEED} (EVENTS_REPLAY_SEED to vary)`);
    const accessOp: fc.Arbitrary<AccessOp> = fc.oneof(
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('createUser' as const), slot: user, dialect }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('department' as const), slot: user, dialect, sales: fc.boolean() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('active' as const), slot: user, dialect, active: fc.boolean() }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('idpMembers' as const), dialect, add: someUsers, remove: someUsers }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('member' as const), group: fc.integer({ min: 0, max: 2 }), slot: user, add: fc.boolean() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('editRole' as const), role: fc.integer({ min: 0, max: 1 }), level: fc.constantFrom('view', 'edit', 'delete') }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('moveGroup' as const), parent: fc.constantFrom<0 | 1 | null>(0, 1, null) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteUser' as const), slot: user }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(accessOp, { minLength: 6, maxLength: 16 }), (ops) => accessRun(ops)),
      { seed: SEED, numRuns: 5, endOnFailure: true },
    );
    // The sequences did move access (the property is not met by a feed without any access.changed).
    console.log(`access.changed events folded: ${foldedEvents}`);
    expect(foldedEvents).toBeGreaterThan(0);
  }, 300_000);

  let foldedEvents = 0;
  async function accessRun(ops: AccessOp[]): Promise<void> {
    const { models } = s.runtime.deps;
    const tenant = await createTenant(models, `access-${Math.random().toString(36).slice(2, 8)}`);
    const scim = scimClient(s.runtime.app, tenant.scimToken);
    const auth = `Bearer ${signAdminToken(s.config.adminJwt, { sub: 'usr_operator', tenant: tenant.tenantId, role: 'admin', kind: 'operator' })}`;
    const ok = (res: request.Response, ...statuses: number[]) => {
      if (!statuses.includes(res.status)) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
      return res;
    };
    const app = s.runtime.app;
    const admin = {
      get: async (p: string) => ok(await request(app).get(`/admin/v1${p}`).set('Authorization', auth), 200),
      post: async (p: string, b: object, ...st: number[]) => ok(await request(app).post(`/admin/v1${p}`).send(b).set('Authorization', auth), ...(st.length ? st : [201])),
      patch: async (p: string, b: object) => ok(await request(app).patch(`/admin/v1${p}`).send(b).set('Authorization', auth), 200),
      delete: async (p: string, ...st: number[]) => ok(await request(app).delete(`/admin/v1${p}`).set('Authorization', auth), ...st),
    };
    // Two roles on two groups; a third group, without roles, mapped from the IdP group and moved between them; a rule fills the first.
    const roles = [
      (await admin.post('/roles', { name: 'Ticket role', privileges: [{ target: 'Ticket', level: 'view' }] })).body.id as string,
      (await admin.post('/roles', { name: 'Issue role', privileges: [{ target: 'Issue', level: 'view' }] })).body.id as string,
    ];
    const groups: string[] = [];
    for (const name of ['Sales team', 'Engineering', 'Mapped team']) groups.push((await admin.post('/groups', { name })).body.id as string);
    await admin.post(`/groups/${groups[0]}/roles`, { roleId: roles[0] });
    await admin.post(`/groups/${groups[1]}/roles`, { roleId: roles[1] });
    await admin.post('/rules', { name: 'Sales', expression: 'department eq "Sales"', targetGroupId: groups[0] });
    await admin.post('/mappings', { idpGroup: 'Okta Team', targetGroupId: groups[2] });
    const idpGroup = ok(await scim.post('/Groups', { schemas: [CORE_GROUP_URN], displayName: 'Okta Team', members: [] }), 201).body.id as string;
    await settleTenant(tenant.tenantId);

    const users: (string | undefined)[] = [];
    const folded = new Map<string, Summary>();
    let cursor: string | undefined;
    const readSummary = async (userId: string): Promise<Summary> => {
      const body = (await admin.get(`/users/${userId}/permissions`)).body as { admin: unknown; roles: string[]; targets: { target: string; level: string }[] };
      return {
        admin: body.admin !== null,
        roles: [...body.roles].sort(),
        permissions: Object.fromEntries(body.targets.filter((t) => t.level !== 'hide').map((t) => [t.target, t.level])),
        resources: {},
      };
    };
    const takeEvents = async (): Promise<FeedEvent[]> => {
      const out: FeedEvent[] = [];
      for (;;) {
        const page = (await admin.get(`/events?limit=500${cursor ? `&after=${cursor}` : ''}`)).body;
        out.push(...(page.items as FeedEvent[]));
        cursor = page.nextCursor as string;
        if (!page.hasMore) return out;
      }
    };
    await takeEvents();

    // Every slot starts with a user (Okta- and Entra-shaped in turn), so that the steps act on people.
    let n = 0;
    const starting: string[] = [];
    for (let slot = 0; slot < USERS; slot++) {
      const id = await applyAccessOp({ kind: 'createUser', slot, dialect: slot % 2 ? 'entra' : 'okta' }, { scim, admin, ok, users, groups, roles, idpGroup, n: ++n });
      if (id) starting.push(id);
    }
    await settleTenant(tenant.tenantId);
    await takeEvents();
    for (const id of starting) folded.set(id, await readSummary(id));
    for (const op of ops) {
      n++;
      const created = await applyAccessOp(op, { scim, admin, ok, users, groups, roles, idpGroup, n });
      await settleTenant(tenant.tenantId);
      for (const e of await takeEvents()) {
        if (e.type !== 'access.changed') continue;
        const userId = String(e.data.userId);
        const previous = folded.get(userId);
        // Each event starts where the previous one left the user: none missing, none doubled, in order.
        if (previous) expect({ step: n, op, userId, before: e.data.before }).toEqual({ step: n, op, userId, before: previous });
        folded.set(userId, e.data.after as Summary);
        foldedEvents++;
      }
      // A user's access when created (what the default groups give), before any event about them.
      if (created && !folded.has(created)) folded.set(created, await readSummary(created));
      for (const userId of users) {
        if (!userId) continue;
        expect({ step: n, op, userId, access: folded.get(userId) }).toEqual({ step: n, op, userId, access: await readSummary(userId) });
      }
    }
  }
});

/** A group's member changes as Okta (a remove per member by filter, then one add) or Entra (Add, then Remove with values) PATCHes them. */
function idpMemberOperations(dialect: Dialect, add: readonly string[], remove: readonly string[]): Record<string, unknown>[] {
  const values = (ids: readonly string[]) => ids.map((value) => ({ value }));
  return dialect === 'okta'
    ? [...remove.map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })), ...(add.length ? [{ op: 'add', path: 'members', value: values(add) }] : [])]
    : [...(add.length ? [{ op: 'Add', path: 'members', value: values(add) }] : []), ...(remove.length ? [{ op: 'Remove', path: 'members', value: values(remove) }] : [])];
}

/** A user as Okta or Entra POSTs it (the fields their recorded creates carry), with the enterprise extension given. */
function idpUserBody(dialect: Dialect, userName: string, n: number, enterprise: Record<string, string>): Record<string, unknown> {
  return dialect === 'okta'
    ? {
        schemas: [CORE_USER_URN, ENTERPRISE_USER_URN],
        userName,
        name: { givenName: 'Test', familyName: `User${n}` },
        emails: [{ primary: true, value: userName, type: 'work' }],
        displayName: `Test User${n}`,
        locale: 'en-US',
        externalId: `00u${n}`,
        groups: [],
        active: true,
        [ENTERPRISE_USER_URN]: enterprise,
      }
    : {
        schemas: [CORE_USER_URN, ENTERPRISE_USER_URN],
        externalId: `ext-${n}`,
        userName,
        active: true,
        displayName: `Entra ${n}`,
        emails: [{ primary: true, type: 'work', value: userName }],
        name: { formatted: `Entra ${n}`, familyName: 'E', givenName: `N${n}` },
        [ENTERPRISE_USER_URN]: enterprise,
      };
}

interface Summary {
  admin: boolean;
  roles: string[];
  permissions: Record<string, string>;
  resources: Record<string, string>;
}

type AccessOp =
  | { kind: 'createUser'; slot: number; dialect: Dialect }
  | { kind: 'department'; slot: number; dialect: Dialect; sales: boolean }
  | { kind: 'active'; slot: number; dialect: Dialect; active: boolean }
  | { kind: 'idpMembers'; dialect: Dialect; add: number[]; remove: number[] }
  | { kind: 'member'; group: number; slot: number; add: boolean }
  | { kind: 'editRole'; role: number; level: string }
  | { kind: 'moveGroup'; parent: 0 | 1 | null }
  | { kind: 'deleteUser'; slot: number };

interface AccessWorld {
  scim: ScimClient;
  admin: {
    post(p: string, b: object, ...statuses: number[]): Promise<request.Response>;
    patch(p: string, b: object): Promise<request.Response>;
    delete(p: string, ...statuses: number[]): Promise<request.Response>;
  };
  ok: (res: request.Response, ...statuses: number[]) => request.Response;
  users: (string | undefined)[];
  groups: string[];
  roles: string[];
  idpGroup: string;
  n: number;
}

/** Applies one step; returns the id of a user it created. */
async function applyAccessOp(op: AccessOp, w: AccessWorld): Promise<string | undefined> {
  const { scim, admin, ok, users, n } = w;
  const ids = (slots: number[]) => slots.map((i) => users[i]).filter((id): id is string => id !== undefined);
  const u = 'slot' in op ? users[op.slot] : undefined;
  switch (op.kind) {
    case 'createUser': {
      if (u) return undefined;
      const userName = `person${op.slot}-${n}@example.com`;
      // Never Sales when created: the rule's membership comes with a later step, so the creation's access is read alone.
      const body = idpUserBody(op.dialect, userName, n, { department: 'Legal' });
      const id = ok(await scim.post('/Users', body), 201).body.id as string;
      users[op.slot] = id;
      return id;
    }
    case 'department':
      if (!u) return undefined;
      ok(
        await scim.patch(`/Users/${u}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: op.dialect === 'entra' ? 'Replace' : 'replace', path: `${ENTERPRISE_USER_URN}:department`, value: op.sales ? 'Sales' : 'Legal' }],
        }),
        200,
      );
      return undefined;
    case 'active': {
      if (!u) return undefined;
      // Okta: a path-less replace of {active}; Entra: Replace on the path, the value as a string ("False"), as the aadOptscim062020 flag sends it.
      const operation = op.dialect === 'okta' ? { op: 'replace', value: { active: op.active } } : { op: 'Replace', path: 'active', value: op.active ? 'True' : 'False' };
      ok(await scim.patch(`/Users/${u}`, { schemas: [PATCH_OP], Operations: [operation] }), 200);
      return undefined;
    }
    case 'idpMembers': {
      const add = ids(op.add);
      const remove = ids(op.remove).filter((id) => !add.includes(id));
      const operations = idpMemberOperations(op.dialect, add, remove);
      if (operations.length > 0) ok(await scim.patch(`/Groups/${w.idpGroup}`, { schemas: [PATCH_OP], Operations: operations }), 204);
      return undefined;
    }
    case 'member':
      if (!u) return undefined;
      if (op.add) await admin.post(`/groups/${w.groups[op.group]}/members`, { userId: u }, 201, 409);
      else await admin.delete(`/groups/${w.groups[op.group]}/members/${u}?source=manual`, 200, 404, 409);
      return undefined;
    case 'editRole':
      await admin.patch(`/roles/${w.roles[op.role]}`, { privileges: [{ target: op.role === 0 ? 'Ticket' : 'Issue', level: op.level }] });
      return undefined;
    case 'moveGroup':
      await admin.patch(`/groups/${w.groups[2]}`, { parentId: op.parent === null ? null : w.groups[op.parent] });
      return undefined;
    case 'deleteUser':
      if (!u) return undefined;
      ok(await scim.delete(`/Users/${u}`), 204);
      users[op.slot] = undefined;
      return undefined;
  }
}

async function apply(scim: ScimClient, op: Op, users: (string | undefined)[], groups: (string | undefined)[], n: number): Promise<void> {
  const ok = (res: request.Response, ...statuses: number[]) => {
    if (!statuses.includes(res.status)) throw new Error(`${op.kind}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  const ids = (slots: number[]) => slots.map((i) => users[i]).filter((id): id is string => id !== undefined);
  const u = 'slot' in op ? users[op.slot] : undefined;
  const g = 'slot' in op ? groups[op.slot] : undefined;
  const department = (sales: boolean) => ({ [ENTERPRISE_USER_URN]: { department: sales ? 'Sales' : 'Legal', employeeNumber: String(n) } });
  switch (op.kind) {
    case 'createUser': {
      if (u) return;
      const userName = `user${op.slot}-${n}@example.com`;
      const body = idpUserBody(op.dialect, userName, n, department(op.sales)[ENTERPRISE_USER_URN]);
      users[op.slot] = ok(await scim.post('/Users', body), 201).body.id;
      return;
    }
    case 'patchUser': {
      if (!u) return;
      const entra = op.dialect === 'entra';
      const operation = {
        deactivate: entra ? { op: 'Replace', path: 'active', value: 'False' } : { op: 'replace', value: { active: false } },
        reactivate: entra ? { op: 'Replace', path: 'active', value: 'True' } : { op: 'replace', value: { active: true } },
        title: entra ? { op: 'Add', path: 'title', value: `Title ${n}` } : { op: 'replace', path: 'title', value: `Title ${n}` },
        department: { op: entra ? 'Replace' : 'replace', path: `${ENTERPRISE_USER_URN}:department`, value: n % 2 ? 'Sales' : 'Support' },
      }[op.change];
      ok(await scim.patch(`/Users/${u}`, { schemas: [PATCH_OP], Operations: [operation] }), 200);
      return;
    }
    case 'putUser': {
      if (!u) return;
      const current = ok(await scim.get(`/Users/${u}`), 200).body as Record<string, unknown>;
      const { meta: _meta, groups: _groups, ...rest } = current;
      ok(await scim.put(`/Users/${u}`, { ...rest, title: `Put ${n}`, ...department(op.sales) }), 200);
      return;
    }
    case 'deleteUser':
      if (!u) return;
      ok(await scim.delete(`/Users/${u}`), 204);
      users[op.slot] = undefined;
      return;
    case 'createGroup':
      if (g) return;
      groups[op.slot] = ok(await scim.post('/Groups', { schemas: [CORE_GROUP_URN], displayName: `Group ${op.slot}-${n}`, members: ids(op.members).map((value) => ({ value })) }), 201).body.id;
      return;
    case 'patchMembers': {
      if (!g) return;
      const add = ids(op.add);
      const remove = ids(op.remove).filter((id) => !add.includes(id));
      const operations = idpMemberOperations(op.dialect, add, remove);
      if (operations.length === 0) return;
      ok(await scim.patch(`/Groups/${g}`, { schemas: [PATCH_OP], Operations: operations }), 204);
      return;
    }
    case 'putGroup':
      if (!g) return;
      ok(
        await scim.put(`/Groups/${g}`, {
          schemas: [CORE_GROUP_URN],
          displayName: op.rename ? `Renamed ${op.slot}-${n}` : ok(await scim.get(`/Groups/${g}?excludedAttributes=members`), 200).body.displayName,
          members: ids(op.members).map((value) => ({ value })),
        }),
        200,
      );
      return;
    case 'renameGroup':
      if (!g) return;
      ok(await scim.patch(`/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: `Name ${op.slot}-${n}` }] }), 204);
      return;
    case 'deleteGroup':
      if (!g) return;
      ok(await scim.delete(`/Groups/${g}`), 204);
      groups[op.slot] = undefined;
      return;
  }
}
