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
});

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
      const body =
        op.dialect === 'okta'
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
              ...department(op.sales),
            }
          : {
              schemas: [CORE_USER_URN, ENTERPRISE_USER_URN],
              externalId: `ext-${n}`,
              userName,
              active: true,
              displayName: `Entra ${n}`,
              emails: [{ primary: true, type: 'work', value: userName }],
              name: { formatted: `Entra ${n}`, familyName: 'E', givenName: `N${n}` },
              ...department(op.sales),
            };
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
      const operations =
        op.dialect === 'okta'
          ? [...remove.map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })), ...(add.length ? [{ op: 'add', path: 'members', value: add.map((value) => ({ value })) }] : [])]
          : [
              ...(add.length ? [{ op: 'Add', path: 'members', value: add.map((value) => ({ value })) }] : []),
              ...(remove.length ? [{ op: 'Remove', path: 'members', value: remove.map((value) => ({ value })) }] : []),
            ];
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
