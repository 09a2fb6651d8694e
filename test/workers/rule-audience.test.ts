import type { AuditEventDoc } from '../../src/persistence/models';
import { CORE_USER_URN, CUSTOM_USER_URN, ENTERPRISE_USER_URN, PATCH_OP, replaceOp, startSyncStack, type SyncStack } from './sync-fixtures';

/**
 * A group's members have its audience (customer groups hold customers, user groups internal
 * users) on every path: by hand, by rule, by dynamic group, by SSO mapping, and after the
 * user's audience changes over SCIM.
 */
async function scimUser(s: SyncStack, userName: string, opts: { audience: 'user' | 'customer'; department?: string; email?: string }): Promise<string> {
  const res = await s.scim.post('/Users', {
    schemas: [CORE_USER_URN, ENTERPRISE_USER_URN, CUSTOM_USER_URN],
    userName,
    emails: [{ value: opts.email ?? `${userName}@example.com`, type: 'work', primary: true }],
    ...(opts.department ? { [ENTERPRISE_USER_URN]: { department: opts.department } } : {}),
    [CUSTOM_USER_URN]: { audience: opts.audience },
  });
  if (res.status !== 201) throw new Error(`creating ${userName}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

async function adminRoleId(s: SyncStack): Promise<string> {
  return (await s.admin.get('/roles')).body.items.find((r: { system: string | null }) => r.system === 'admin').id;
}

async function allows(s: SyncStack, userId: string, action: string, target: string): Promise<boolean> {
  const res = await s.admin.post('/authorize', { userId, action, target });
  if (res.status !== 200) throw new Error(`authorize: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.allowed as boolean;
}

describe('rules, dynamic groups and mappings obey group audience', () => {
  let s: SyncStack;
  beforeAll(async () => {
    s = await startSyncStack();
  });
  afterAll(() => s.close());

  it('a customer matched by a dynamic group rule does not land in the internal group nor get its Admin role', async () => {
    const buyer = await scimUser(s, 'procurement.buyer', { audience: 'customer', department: 'Procurement' });
    const staff = await scimUser(s, 'procurement.staff', { audience: 'user', department: 'Procurement' });
    const g = (await s.admin.post('/groups', { name: 'Procurement (dynamic)', kind: 'dynamic', rule: { expression: 'department = "Procurement"' } })).body.id as string;
    expect((await s.admin.post(`/groups/${g}/roles`, { roleId: await adminRoleId(s) })).status).toBe(201);
    await s.settle();
    expect([...(await s.membersOf(g)).keys()]).toEqual([staff]);
    expect(await allows(s, buyer, 'delete', 'Account')).toBe(false);
    expect(await allows(s, staff, 'delete', 'Account')).toBe(true);
  });

  it('a rule into an internal group leaves customers out, and preview and validate say so', async () => {
    const support = (await s.admin.get('/groups?q=support')).body.items.find((g: { system: string | null }) => g.system === 'support').id as string;
    const customer = await scimUser(s, 'ext.customer', { audience: 'customer', email: 'someone@customer.io' });
    const agent = await scimUser(s, 'int.agent', { audience: 'user', email: 'agent@customer.io' });

    const preview = await s.admin.post('/rules/preview', { expression: "email.endsWith('@customer.io')", targetGroupId: support });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ matched: 1, sample: [{ id: agent }], membership: { adds: { count: 1 } }, audience: { target: 'user', excluded: { count: 1, sample: [{ id: customer }] } } });
    expect(preview.body.audience.note).toMatch(/only internal users are added/);
    const validate = await s.admin.post('/rules/validate', { expression: "email.endsWith('@customer.io')", targetGroupId: support });
    expect(validate.body).toMatchObject({ valid: true, targetGroupId: support, targetAudience: 'user' });
    expect(validate.body.note).toMatch(/customers .* are left out/);

    const rule = await s.createRule({ name: 'customer.io to Support', expression: "email.endsWith('@customer.io')", targetGroupId: support });
    await s.settle();
    const members = await s.membersOf(support);
    expect(members.get(agent)).toEqual([`rule:${rule.id}`]);
    expect(members.has(customer)).toBe(false);
    expect((await s.admin.get(`/rules/${rule.id}`)).body.lastRun).toMatchObject({ matched: 1, added: 1 });
  });

  it('an SSO mapping into a customer group adds only the customers of the IdP group', async () => {
    const customerGroup = (await s.admin.post('/groups', { name: 'Buyers (mapped)', audience: 'customer' })).body.id as string;
    const insider = await scimUser(s, 'mapped.insider', { audience: 'user' });
    const buyer = await scimUser(s, 'mapped.buyer', { audience: 'customer' });
    await s.idpGroup('Okta Buyers', [insider, buyer]);
    expect((await s.admin.post('/mappings', { idpGroup: 'Okta Buyers', targetGroupId: customerGroup })).status).toBe(201);
    await s.settle();
    expect([...(await s.membersOf(customerGroup)).keys()]).toEqual([buyer]);
  });

  it('when a user becomes a customer over SCIM, the internal memberships, ownership and designations they held are dropped and audited', async () => {
    const team = (await s.admin.post('/groups', { name: 'Internal team' })).body.id as string;
    const mover = await scimUser(s, 'audience.mover', { audience: 'user', department: 'Movers' });
    const owned = (await s.admin.post('/groups', { name: 'Owned by the mover', ownerId: mover })).body.id as string;
    expect((await s.admin.post(`/groups/${team}/members`, { userId: mover })).status).toBe(201);
    expect((await s.admin.post(`/groups/${team}/administrators`, { userId: mover })).status).toBe(201);
    const byRule = (await s.admin.post('/groups', { name: 'Movers by rule' })).body.id as string;
    await s.createRule({ name: 'Movers', expression: 'department = "Movers"', targetGroupId: byRule });
    const verified = (await s.admin.get('/groups?q=verified')).body.items[0].id as string;
    await s.settle();
    expect((await s.membersOf(byRule)).has(mover)).toBe(true);

    await s.patchUser(mover, replaceOp(`${CUSTOM_USER_URN}:audience`, 'customer'));
    await s.settle();
    for (const g of [team, owned, byRule]) expect((await s.membersOf(g)).has(mover)).toBe(false);
    expect((await s.admin.get(`/groups/${owned}`)).body.ownerId).toBeNull();
    expect((await s.admin.get(`/groups/${team}/administrators`)).body.items).toEqual([]);
    const events = (await s.runtime.deps.models.AuditEvent.collection
      .find({ tenantId: s.tenantId, action: 'membership.removed', 'before.userId': mover } as never)
      .toArray()) as unknown as AuditEventDoc[];
    // Besides the automatic default groups they leave (actor system:automatic, audited on the user's write).
    const cleanup = events.filter((e) => e.actor.id !== 'automatic');
    expect(cleanup.map((e) => [e.object.id, e.actor.type]).sort()).toEqual(
      [
        [byRule, 'rule'],
        [owned, 'system'],
        [team, 'system'],
      ].sort(),
    );
    expect(events.filter((e) => e.actor.id === 'automatic')).toHaveLength(2);
    expect(events.find((e) => e.object.id === owned)!.after).toMatchObject({ membershipEnded: true, ownerCleared: true });
    // As a customer they may now join customer groups.
    expect((await s.admin.post(`/groups/${verified}/members`, { userId: mover })).status).toBe(201);
  });
});

describe('before the worker has run', () => {
  let s: SyncStack;
  beforeAll(async () => {
    s = await startSyncStack({ worker: false });
  });
  afterAll(() => s.close());

  it('a membership the new audience forbids already gives nothing', async () => {
    const g = (await s.admin.post('/groups', { name: 'Powerful internal group' })).body.id as string;
    expect((await s.admin.post(`/groups/${g}/roles`, { roleId: await adminRoleId(s) })).status).toBe(201);
    const user = await scimUser(s, 'soon.customer', { audience: 'user' });
    expect((await s.admin.post(`/groups/${g}/members`, { userId: user })).status).toBe(201);
    expect(await allows(s, user, 'delete', 'Account')).toBe(true);
    const res = await s.scim.patch(`/Users/${user}`, { schemas: [PATCH_OP], Operations: [replaceOp(`${CUSTOM_USER_URN}:audience`, 'customer')] });
    expect(res.status).toBe(200);
    expect((await s.membersOf(g)).has(user)).toBe(true);
    expect(await allows(s, user, 'delete', 'Account')).toBe(false);
  });
});
