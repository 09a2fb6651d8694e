import type { AuditEventDoc } from '../../src/persistence/models';
import { ENTERPRISE_USER_URN, PATCH_OP, startSyncStack, type SyncStack } from '../workers/sync-fixtures';
import { fixture } from '../scim/http/helpers';

/**
 * Issue 20's acceptance: with a threshold of 3, unassigning 10 users in Okta's shape (PATCH
 * active:false) and in Entra's (PATCH "False", then DELETE) leaves all 10 with their memberships
 * and /authorize unchanged; 10 held changes are listed; Allow applies all 10 (audited); Reject
 * keeps everyone and the IdP's state stays shown as held.
 */
let s: SyncStack;
let team: string;
let idpGroup: string;
let ruleId: string;
let seq = 0;

beforeAll(async () => {
  s = await startSyncStack();
  team = await s.internalGroup('Engineering team');
  ruleId = (await s.createRule({ name: 'Engineers', expression: 'department = "Engineering"', targetGroupId: team })).id;
  const role = await s.admin.post('/roles', { name: 'Ticket editors', privileges: [{ target: 'Ticket', level: 'edit' }] });
  expect(role.status).toBe(201);
  expect((await s.admin.post(`/groups/${team}/roles`, { roleId: role.body.id })).status).toBe(201);
  idpGroup = await s.idpGroup('Okta Everyone');
  expect((await s.admin.patch('/deprovisioning/settings', { breaker: { users: 3, percentOfActive: 0 } })).status).toBe(200);
});
afterAll(() => s.close());

async function tenEngineers(): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push(await s.user(`eng-${++seq}`, { department: 'Engineering' }));
  await s.patchGroup(idpGroup, { op: 'add', path: 'members', value: ids.map((value) => ({ value })) });
  await s.settle();
  return ids;
}

const okta = (id: string) => s.scim.patch(`/Users/${id}`, fixture('okta/patch-user-deactivate.json'));
async function entra(id: string) {
  const patched = await s.scim.patch(`/Users/${id}`, fixture('entra/patch-user-disable.json'));
  if (patched.status !== 200) return patched;
  return s.scim.delete(`/Users/${id}`);
}

async function accessOf(ids: string[]) {
  const team_ = await s.membersOf(team);
  const idp = await s.membersOf(idpGroup);
  const out: Record<string, { rule: boolean; idp: boolean; edit: boolean }> = {};
  for (const id of ids) {
    const auth = await s.admin.post('/authorize', { userId: id, action: 'edit', target: 'Ticket' });
    expect(auth.status).toBe(200);
    out[id] = { rule: (team_.get(id) ?? []).includes(`rule:${ruleId}`), idp: idp.has(id), edit: auth.body.allowed === true };
  }
  return out;
}
const everyone = (ids: string[], v: { rule: boolean; idp: boolean; edit: boolean }) => Object.fromEntries(ids.map((id) => [id, v]));

async function audits(action: string, ids: string[]): Promise<AuditEventDoc[]> {
  const docs = (await s.runtime.deps.models.AuditEvent.collection.find({ tenantId: s.tenantId, action, 'object.id': { $in: ids } } as never).toArray()) as unknown as AuditEventDoc[];
  return docs;
}

async function heldList() {
  const res = await s.admin.get('/deprovisioning/held');
  expect(res.status).toBe(200);
  return res.body as { breaker: { tripped: boolean }; held: number; rejected: number; items: { user: { id: string }; state: string; idpState: string; changes: { kind: string }[] }[] };
}

describe.each([
  ['Okta (PATCH active:false)', 'okta', okta, 200, 'inactive'],
  ['Entra (PATCH "False", then DELETE)', 'entra', entra, 204, 'deleted'],
] as const)('a threshold of 3 and 10 users unassigned in %s', (_name, shape, deprovision, status, idpState) => {
  it('when the 10 deprovisions arrive, then every request succeeds, all 10 keep their memberships and /authorize answers, and 10 held changes are listed', async () => {
    const ids = await tenEngineers();
    const before = await accessOf(ids);
    expect(before).toEqual(everyone(ids, { rule: true, idp: true, edit: true }));
    for (const id of ids) expect((await deprovision(id)).status).toBe(status);
    await s.settle();
    expect(await accessOf(ids)).toEqual(before);
    // SCIM shows the IdP's state.
    for (const id of ids) {
      const got = await s.scim.get(`/Users/${id}`);
      if (shape === 'okta') expect(got.body).toMatchObject({ id, active: false });
      else expect(got.status).toBe(404);
    }
    const held = await heldList();
    expect(held.breaker.tripped).toBe(true);
    expect(
      held.items
        .filter((i) => ids.includes(i.user.id))
        .map((i) => [i.user.id, i.state, i.idpState])
        .sort(),
    ).toEqual(ids.map((id) => [id, 'held', idpState]).sort());
    expect(held.held).toBe(10);
    expect(await audits('directory.breaker_tripped', [s.tenantId])).not.toHaveLength(0);

    // Allow: every held change applied, each audited once.
    const allowed = await s.admin.post('/deprovisioning/held/allow', {});
    expect(allowed.status).toBe(200);
    expect([...allowed.body.decided].sort()).toEqual([...ids].sort());
    await s.settle();
    if (shape === 'okta') expect(await accessOf(ids)).toEqual(everyone(ids, { rule: false, idp: true, edit: false }));
    else {
      // Deleted: no membership of any source is left, and /authorize knows no such user.
      const [team_, idp] = [await s.membersOf(team), await s.membersOf(idpGroup)];
      expect(ids.filter((id) => team_.has(id) || idp.has(id))).toEqual([]);
      for (const id of ids) expect((await s.admin.post('/authorize', { userId: id, action: 'edit', target: 'Ticket' })).status).toBe(404);
    }
    const applied = await audits(shape === 'okta' ? 'user.deprovision.allowed' : 'user.deleted', ids);
    expect(applied.map((a) => a.object.id).sort()).toEqual([...ids].sort());
    if (shape === 'okta') {
      // access.changed (docs/events.md): the held deactivations kept access and carry none; each allowed one takes it all.
      for (const held of await audits('user.deprovision.held', ids)) expect((held.state as { effective?: unknown }).effective).toBeUndefined();
      for (const a of applied) {
        const [difference, ...more] = (a.state as { effective: { userIds: string[]; before: { permissions: Record<string, string> }; after: { permissions: Record<string, string> } }[] }).effective;
        expect(more).toEqual([]);
        expect([difference!.userIds, difference!.before.permissions.Ticket, difference!.after.permissions]).toEqual([[a.object.id], 'edit', {}]);
      }
    }
    // Idempotent: allowing again decides nothing and audits nothing more.
    const again = await s.admin.post('/deprovisioning/held/allow', { userIds: ids });
    expect(again.body.decided).toEqual([]);
    expect(await audits(shape === 'okta' ? 'user.deprovision.allowed' : 'user.deleted', ids)).toHaveLength(10);
    expect((await heldList()).breaker.tripped).toBe(false);
  });

  it('when the admin rejects instead, then everyone keeps their access and the IdP state stays shown as held (rejected)', async () => {
    const ids = await tenEngineers();
    const before = await accessOf(ids);
    for (const id of ids) expect((await deprovision(id)).status).toBe(status);
    const rejected = await s.admin.post('/deprovisioning/held/reject');
    expect(rejected.status).toBe(200);
    expect([...rejected.body.decided].sort()).toEqual([...ids].sort());
    await s.settle();
    expect(await accessOf(ids)).toEqual(before);
    const list = await heldList();
    expect(list.items.filter((i) => ids.includes(i.user.id)).map((i) => [i.state, i.idpState])).toEqual(ids.map(() => ['rejected', idpState]));
    expect(list.breaker.tripped).toBe(false);
    expect(await audits('user.deprovision.rejected', ids)).toHaveLength(10);
    if (shape === 'okta') for (const id of ids) expect((await s.scim.get(`/Users/${id}`)).body.active).toBe(false);
    // A rejected user can still be deactivated at once by hand.
    expect((await s.admin.post('/deprovisioning/held/allow', { userIds: [ids[0]] })).body.decided).toEqual([ids[0]]);
    await s.settle();
    if (shape === 'okta') expect((await accessOf([ids[0]!]))[ids[0]!]!.edit).toBe(false);
    else expect((await s.membersOf(team)).has(ids[0]!)).toBe(false);
  });
});

describe('a deletion held while the breaker is tripped', () => {
  it('when the IdP deletes a user deactivated long before the window, then the deletion is held without giving its access back', async () => {
    expect((await s.admin.patch('/deprovisioning/settings', { breaker: { enabled: false } })).status).toBe(200);
    const old = await s.user(`old-${++seq}`, { department: 'Engineering' });
    expect((await okta(old)).status).toBe(200);
    // Its deactivation leaves the window (as if it were two hours old).
    await s.runtime.deps.models.User.collection.updateOne({ _id: old } as never, { $set: { deprovisionedAt: new Date(Date.now() - 2 * 3_600_000) } });
    expect((await s.admin.patch('/deprovisioning/settings', { breaker: { enabled: true } })).status).toBe(200);
    const wave = [await s.user(`w-${++seq}`), await s.user(`w-${++seq}`), await s.user(`w-${++seq}`), await s.user(`w-${++seq}`)];
    for (const id of wave) expect((await okta(id)).status).toBe(200);
    expect((await heldList()).breaker.tripped).toBe(true);
    expect((await s.scim.delete(`/Users/${old}`)).status).toBe(204);
    expect((await s.scim.get(`/Users/${old}`)).status).toBe(404);
    await s.settle();
    const item = (await heldList()).items.find((i) => i.user.id === old);
    expect(item).toMatchObject({ state: 'held', idpState: 'deleted', user: { active: false } });
    expect((await accessOf([old]))[old]).toMatchObject({ rule: false, edit: false });
    // The retroactively held deactivations keep the request that made them.
    const first = (await heldList()).items.find((i) => i.user.id === wave[0]);
    expect(first?.changes[0]).toMatchObject({ kind: 'deactivate', retroactive: true, requestId: expect.any(String) });
    expect((await s.admin.post('/deprovisioning/held/allow')).status).toBe(200);
    await s.settle();
    expect(await s.runtime.deps.models.User.collection.countDocuments({ _id: old } as never)).toBe(0);
  });
});

describe('what the breaker never holds', () => {
  it('when the breaker is off, exempt, or the user is reactivated, then nothing is held', async () => {
    const [a, b, c] = [await s.user(`x-${++seq}`), await s.user(`x-${++seq}`), await s.user(`x-${++seq}`)];
    expect((await s.admin.patch('/deprovisioning/settings', { exemptUserIds: [a] })).status).toBe(200);
    // Trip it again (4 deprovisions above 3), the exempt user's deactivation applies anyway.
    const more = [await s.user(`y-${++seq}`), await s.user(`y-${++seq}`), await s.user(`y-${++seq}`), await s.user(`y-${++seq}`)];
    for (const id of more) expect((await okta(id)).status).toBe(200);
    expect((await heldList()).breaker.tripped).toBe(true);
    expect((await okta(a)).status).toBe(200);
    expect((await s.runtime.deps.models.User.collection.findOne({ _id: a } as never))?.attrs.active).toBe(false);
    // A held user's reactivation by the IdP ends the hold; access was never removed.
    await s.patchUser(more[0]!, { op: 'replace', path: 'active', value: true });
    expect((await s.scim.get(`/Users/${more[0]}`)).body.active).toBe(true);
    expect((await heldList()).items.some((i) => i.user.id === more[0])).toBe(false);
    // Off: applied at once.
    expect((await s.admin.post('/deprovisioning/held/allow')).status).toBe(200);
    expect((await s.admin.patch('/deprovisioning/settings', { breaker: { enabled: false } })).status).toBe(200);
    for (const id of [b, c]) expect((await okta(id)).status).toBe(200);
    for (const id of [b, c]) expect((await s.runtime.deps.models.User.collection.findOne({ _id: id } as never))?.attrs.active).toBe(false);
    expect((await s.admin.patch('/deprovisioning/settings', { breaker: { enabled: true }, exemptUserIds: [] })).status).toBe(200);
    void PATCH_OP;
    void ENTERPRISE_USER_URN;
  });
});
