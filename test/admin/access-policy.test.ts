import { CORE_USER_URN, CUSTOM_USER_URN } from '../../src/attributes/urns';
import { startAdminStack, expectError, expectStatus, type AdminClient, type AdminStack } from './admin-fixtures';

/**
 * Issue 18: the twelve reproductions of actors reaching past their scope, each the issue's request
 * against the real app, answered through the one access policy (src/domain/access/policy.ts) with a
 * refusal that changes nothing. Actors as in the issue: the operator; alice in Admins; gina Group
 * Administrator of "Engineering Team"; mike manager of "Sales Team"; cadmin / cadmin2 customer
 * admins of the workspaces acme / globex; customers c1, c2 in acme and c3 in globex.
 */
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let s: AdminStack;
let customerAdmins: string;
let admins: string;
let adminRole: string;
let gina: string;
let ginaClient: AdminClient;
let mike: string;
let mikeClient: AdminClient;
let cadmin: string;
let cadminClient: AdminClient;
let cadmin2: string;
let cadmin2Client: AdminClient;
let c1: string;
let c2: string;
let c3: string;
let u1: string;
let u3: string;
let eng: string;
let sales: string;
let acmeBuyers: string;

let n = 0;
const unique = (name: string) => `${name} ${++n}`;

async function customer(userName: string, workspace: string): Promise<string> {
  const res = await s.scim.post('/Users', {
    schemas: [CORE_USER_URN, CUSTOM_USER_URN],
    userName,
    emails: [{ value: userName, primary: true }],
    [CUSTOM_USER_URN]: { audience: 'customer', workspace },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function group(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  return expectStatus(await s.admin.post('/groups', { name, ...extra }), 201).body.id as string;
}

async function add(groupId: string, userId: string, role?: 'manager'): Promise<void> {
  expectStatus(await s.admin.post(`/groups/${groupId}/members`, { userId, ...(role ? { role } : {}) }), 201);
}

async function memberIds(groupId: string): Promise<string[]> {
  return (expectStatus(await s.admin.get(`/groups/${groupId}/members?limit=500`), 200).body.items as { userId: string }[]).map((m) => m.userId);
}

async function allowed(userId: string, action: string, target: string): Promise<boolean> {
  return expectStatus(await s.admin.post('/authorize', { userId, action, target }), 200).body.allowed as boolean;
}

/** A refusal: 403 or 404 (not disclosed), never a success. */
function expectRefused(res: { status: number; body: unknown }): void {
  if (res.status !== 403 && res.status !== 404) throw new Error(`expected 403 or 404, got ${res.status}: ${JSON.stringify(res.body)}`);
}

beforeAll(async () => {
  s = await startAdminStack();
  customerAdmins = await s.defaultGroup('customer-admins');
  admins = await s.defaultGroup('admins');
  adminRole = expectStatus(await s.admin.get('/roles'), 200).body.items.find((r: { system: string | null }) => r.system === 'admin').id;

  gina = await s.user('gina@corp.com');
  ginaClient = s.as(gina, 'member');
  mike = await s.user('mike@corp.com');
  mikeClient = s.as(mike, 'member');
  u1 = await s.user('u1@corp.com');
  u3 = await s.user('u3@corp.com');
  eng = await group('Engineering Team');
  await add(eng, gina);
  await add(eng, u1);
  expectStatus(await s.admin.post(`/groups/${eng}/administrators`, { userId: gina }), 201);
  sales = await group('Sales Team');
  await add(sales, mike, 'manager');

  cadmin = await customer('cadmin@acme.example', 'acme');
  cadmin2 = await customer('cadmin2@globex.example', 'globex');
  await add(customerAdmins, cadmin);
  await add(customerAdmins, cadmin2);
  cadminClient = s.as(cadmin, 'customer-admin');
  cadmin2Client = s.as(cadmin2, 'customer-admin');
  c1 = await customer('c1@acme.example', 'acme');
  c2 = await customer('c2@acme.example', 'acme');
  c3 = await customer('c3@globex.example', 'globex');
  acmeBuyers = await group('Acme Buyers', { audience: 'customer' });
  await add(acmeBuyers, c1);
});
afterAll(() => s.close());

describe('issue 18: no actor reaches past its scope', () => {
  it('#1 a customer admin sets no dynamic rule, and a group holding another workspace gives them no reach into it', async () => {
    const res = await cadminClient.post('/groups', { name: 'Acme Dyn', audience: 'customer', kind: 'dynamic', rule: { expression: 'userName pr' } });
    expectError(res, 403, 'FORBIDDEN');
    expect(res.body.error.message).toMatch(/only an admin sets it/);
    expect(expectStatus(await s.admin.get('/groups?q=acme%20dyn'), 200).body.total).toBe(0);

    // Whatever puts globex customers in a group cadmin administers, cadmin's reach stays in acme.
    const mixed = await group(unique('Mixed customers'), { audience: 'customer' });
    await add(mixed, cadmin);
    await add(mixed, c3);
    expectStatus(await s.admin.post(`/groups/${mixed}/administrators`, { userId: cadmin }), 201);
    const listed = (expectStatus(await cadminClient.get('/users?limit=200'), 200).body.items as { id: string }[]).map((u) => u.id);
    expect(listed).not.toContain(c3);
    expectError(await cadminClient.get(`/users/${c3}`), 404, 'USER_NOT_FOUND');
    expectError(await cadminClient.post(`/groups/${customerAdmins}/members`, { userId: c3 }), 404, 'USER_NOT_FOUND');
    expect(await memberIds(customerAdmins)).not.toContain(c3);
  });

  it("#2 a Group Administrator cannot widen their own reach through their dynamic group's rule", async () => {
    const dyn = await group(unique('Gina dyn'), { kind: 'dynamic', rule: { expression: 'userName eq "gina@corp.com"' } });
    // The rule put gina there (as the worker would), and an admin made her its Group Administrator.
    await s.runtime.deps.memberships.addSource(s.tenantId, dyn, [gina], 'dynamic', 'member');
    expectStatus(await s.admin.post(`/groups/${dyn}/administrators`, { userId: gina }), 201);
    expectError(await ginaClient.patch(`/groups/${dyn}`, { rule: { expression: 'userName pr' } }), 403, 'FORBIDDEN');
    expect(expectStatus(await s.admin.get(`/groups/${dyn}`), 200).body.rule.expression).toBe('userName eq "gina@corp.com"');
    expectError(await ginaClient.post(`/groups/${eng}/members`, { userId: u3 }), 404, 'USER_NOT_FOUND');
  });

  it('#3 a customer admin of another workspace changes no acme membership by id, and learns nothing from the answer', async () => {
    const patched = await cadmin2Client.patch(`/groups/${acmeBuyers}/members/${c1}`, { role: 'manager' });
    expectError(patched, 404, 'USER_NOT_FOUND');
    expect(JSON.stringify(patched.body)).not.toContain('c1@acme.example');
    const removed = await cadmin2Client.delete(`/groups/${customerAdmins}/members/${cadmin}`);
    expectError(removed, 404, 'USER_NOT_FOUND');
    const members = expectStatus(await s.admin.get(`/groups/${acmeBuyers}/members`), 200).body.items as { userId: string; role: string }[];
    expect(members.find((m) => m.userId === c1)?.role).toBe('member');
    expect(await memberIds(customerAdmins)).toContain(cadmin);
  });

  it('#4 an internal admin turned customer has no admin power on their next request, whatever the token says', async () => {
    const frank = await s.user(unique('frank') + '@corp.com');
    const u2 = await s.user(unique('u2') + '@corp.com');
    await add(admins, u2);
    expectStatus(await s.as(u2, 'member').get(`/groups/${admins}/members`), 200);
    // The worker that would remove u2 from Admins does not run here: the stored membership stays.
    const res = await s.scim.patch(`/Users/${u2}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${CUSTOM_USER_URN}:audience`, value: 'customer' }] });
    expect(res.status).toBe(200);
    expect(await memberIds(admins)).toContain(u2);
    expectRefused(await s.as(u2, 'member').post(`/groups/${admins}/members`, { userId: frank }));
    expectRefused(await s.as(u2, 'admin').post(`/groups/${admins}/members`, { userId: frank }));
    expectRefused(await s.as(u2, 'admin').get('/audit'));
    expect(await memberIds(admins)).not.toContain(frank);
  });

  it('#4, the other way: a customer admin turned internal user has no customer admin power on their next request', async () => {
    const former = await customer(unique('former.cadmin') + '@acme.example', 'acme');
    await add(customerAdmins, former);
    const client = s.as(former, 'customer-admin');
    expectStatus(await client.get(`/users/${c1}`), 200);
    const res = await s.scim.patch(`/Users/${former}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${CUSTOM_USER_URN}:audience`, value: 'user' }] });
    expect(res.status).toBe(200);
    expectError(await client.get(`/users/${c1}`), 404, 'USER_NOT_FOUND');
    expectRefused(await client.post(`/groups/${acmeBuyers}/members`, { userId: c2 }));
    expectRefused(await client.post('/groups', { name: unique('Former customer group'), audience: 'customer' }));
    expect(await memberIds(acmeBuyers)).not.toContain(c2);
  });

  it('#5 a Group Administrator places their group only below a group they administer', async () => {
    const finance = await group(unique('Finance'));
    const deleter = expectStatus(await s.admin.post('/roles', { name: unique('Account deleter'), privileges: [{ target: 'Account', level: 'delete' }] }), 201).body.id;
    expectStatus(await s.admin.post(`/groups/${finance}/roles`, { roleId: deleter }), 201);
    await add(finance, gina);
    const res = await ginaClient.patch(`/groups/${eng}`, { parentId: finance });
    expectError(res, 403, 'FORBIDDEN');
    expect(res.body.error.message).toContain('Finance');
    expect(expectStatus(await s.admin.get(`/groups/${eng}`), 200).body.parentId ?? null).toBeNull();
    expect(await allowed(u1, 'delete', 'Account')).toBe(false);
  });

  it("#6 a customer admin's roles name customer-facing targets only, at levels they hold", async () => {
    const catalog = expectStatus(await s.admin.get('/permissions/catalog'), 200).body.targets as { name: string; levels: string[] }[];
    const nearlyEverything = catalog.slice(1).map((t) => ({ target: t.name, level: t.levels[t.levels.length - 1] }));
    const internal = await cadminClient.post('/roles', { name: unique('Near admin'), privileges: nearlyEverything });
    expectError(internal, 403, 'CUSTOMER_ROLE_TARGET_INTERNAL');
    expect(internal.body.error.details.targets).toEqual(expect.arrayContaining(['Platform Users', 'IP Allowlist']));
    const above = await cadminClient.post('/roles', { name: unique('Deleters'), privileges: [{ target: 'Ticket', level: 'delete' }] });
    expectError(above, 403, 'ROLE_LEVEL_ABOVE_OWN');
    expect(above.body.error.details.above).toEqual([{ target: 'Ticket', level: 'delete', held: 'hide' }]);
    expect((expectStatus(await s.admin.get('/roles?q=near%20admin'), 200).body.items as unknown[]).length).toBe(0);
  });

  it('#7 a customer admin neither lists nor attaches an internal project', async () => {
    const project = expectStatus(await s.admin.post(`/groups/${eng}/projects`, { name: unique('Internal roadmap') }), 201).body.id as string;
    const listed = (expectStatus(await cadminClient.get('/resources?type=project&limit=200'), 200).body.items as { id: string }[]).map((r) => r.id);
    expect(listed).not.toContain(project);
    expectError(await cadminClient.post(`/groups/${acmeBuyers}/projects`, { projectId: project }), 404, 'PROJECT_NOT_FOUND');
    expect(await allowed(c1, 'edit', 'project')).toBe(false);
  });

  it('#8 a customer group is never placed below an internal group, so it inherits no internal role', async () => {
    const reporting = await group(unique('Reporting'));
    const reports = expectStatus(await s.admin.post('/roles', { name: unique('Report viewers'), privileges: [{ target: 'Reports', level: 'view' }] }), 201).body.id;
    expectStatus(await s.admin.post(`/groups/${reporting}/roles`, { roleId: reports }), 201);
    const vip = await group(unique('Acme VIP'), { audience: 'customer' });
    await add(vip, c2);
    expectError(await s.admin.patch(`/groups/${vip}`, { parentId: reporting }), 400, 'GROUP_PARENT_AUDIENCE_MISMATCH');
    expectError(await s.admin.post('/groups', { name: unique('Acme VIP 2'), audience: 'customer', parentId: reporting }), 400, 'GROUP_PARENT_AUDIENCE_MISMATCH');
    expect(await allowed(c2, 'view', 'Reports')).toBe(false);
  });

  it("#9 an invitation is applied with its inviter's rights as they are when it is applied", async () => {
    const team = await group(unique('Platform crew'));
    const inviter = await s.user(unique('inviter') + '@corp.com');
    await add(team, inviter);
    expectStatus(await s.admin.post(`/groups/${team}/administrators`, { userId: inviter }), 201);
    const inv = expectStatus(await s.as(inviter, 'member').post('/invitations', { email: 'newbie@corp.com', groupIds: [team], role: 'manager' }), 201).body;
    expect(inv.status).toBe('pending');
    expectStatus(await s.admin.delete(`/groups/${team}/administrators/${inviter}`), 204);
    expect((await s.scim.delete(`/Users/${inviter}`)).status).toBe(204);
    const newbie = await s.user('newbie@corp.com');
    expect(await memberIds(team)).not.toContain(newbie);
    const after = expectStatus(await s.admin.get(`/invitations/${inv.id}`), 200).body;
    expect(after.result).toEqual([expect.objectContaining({ groupId: team, outcome: 'skipped', reason: expect.stringMatching(/may no longer invite/) })]);
  });

  it('#10 a member manager neither reads nor consumes an import they did not make', async () => {
    const applicant = await s.user(unique('applicant') + '@corp.com');
    const preview = expectStatus(await s.admin.post(`/groups/${sales}/members/import`, { csv: `email\n${applicant}\nu3@corp.com` }), 201).body;
    const read = await mikeClient.get(`/groups/${sales}/members/import/${preview.id}`);
    expectError(read, 404, 'IMPORT_NOT_FOUND');
    expect(JSON.stringify(read.body)).not.toContain('u3@corp.com');
    expectError(await mikeClient.post(`/groups/${sales}/members/import/${preview.id}/confirm`), 404, 'IMPORT_NOT_FOUND');
    expectStatus(await s.admin.post(`/groups/${sales}/members/import/${preview.id}/confirm`), 200);
  });

  it("#11 a customer admin's member pages and counts tell nothing about another workspace", async () => {
    const shared = await group(unique('Shared customers'), { audience: 'customer' });
    const globex = [c3, await customer(unique('c4') + '@globex.example', 'globex'), await customer(unique('c5') + '@globex.example', 'globex')];
    for (const u of [c1, c2, ...globex]) await add(shared, u);
    const seen: string[] = [];
    const cursors: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { userId: string }[]; nextCursor: string | null; total: number | null } = expectStatus(
        await cadminClient.get(`/groups/${shared}/members?limit=1${cursor ? `&cursor=${cursor}` : ''}`),
        200,
      ).body;
      seen.push(...page.items.map((m) => m.userId));
      expect(page.total).toBeNull();
      cursor = page.nextCursor;
      if (cursor) cursors.push(cursor);
    } while (cursor !== null && cursors.length < 10);
    expect(seen.sort()).toEqual([c1, c2].sort());
    for (const c of cursors) expect(globex).not.toContain(c);
    const viewed = expectStatus(await cadminClient.get(`/groups/${shared}`), 200).body;
    expect(viewed.memberCount).toBeUndefined();
    const listedCount = (expectStatus(await cadminClient.get('/groups?audience=customer&limit=200'), 200).body.items as { id: string; memberCount?: number }[]).find(
      (g) => g.id === shared,
    )?.memberCount;
    expect(listedCount).toBeUndefined();
    expect(expectStatus(await s.admin.get(`/groups/${shared}`), 200).body.memberCount).toBe(5);
  });

  it('#12 a Group Administrator of an admin-granting group can neither archive nor delete it, nor strip a member', async () => {
    const ops = await group(unique('Ops admins'));
    expectStatus(await s.admin.post(`/groups/${ops}/roles`, { roleId: adminRole }), 201);
    const ga = await s.user(unique('opsga') + '@corp.com');
    const other = await s.user(unique('opsmember') + '@corp.com');
    await add(ops, ga);
    await add(ops, other);
    expectStatus(await s.admin.post(`/groups/${ops}/administrators`, { userId: ga }), 201);
    const client = s.as(ga, 'member');
    const res = await client.post(`/groups/${ops}/archive`);
    expectError(res, 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    expect(res.body.error.details).toMatchObject({ groupId: ops, grantedBy: { groupId: ops, roleId: adminRole } });
    expectError(await client.delete(`/groups/${ops}`), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    expectError(await client.delete(`/groups/${ops}/members/${other}`), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    expect(expectStatus(await s.admin.get(`/groups/${ops}`), 200).body.status).toBe('active');
    expect(await allowed(other, 'delete', 'Account')).toBe(true);
  });

  it('the audit records on what grounds the policy let a non-admin act', async () => {
    expectStatus(await ginaClient.patch(`/groups/${eng}`, { description: 'Builds the product' }), 200);
    const events = expectStatus(await s.admin.get(`/audit?action=group.updated&objectId=${eng}`), 200).body.items as { actor: unknown }[];
    expect(events[0]!.actor).toEqual({ type: 'user', id: gina, as: 'group-administrator' });
    const alice = await s.user(unique('alice') + '@corp.com');
    await add(admins, alice);
    expectStatus(await s.as(alice, 'member').patch(`/groups/${eng}`, { description: 'Builds and runs the product' }), 200);
    const byAlice = expectStatus(await s.admin.get(`/audit?action=group.updated&objectId=${eng}`), 200).body.items as { actor: unknown }[];
    expect(byAlice[0]!.actor).toEqual({ type: 'admin', id: alice });
  });

  it('roles are read by internal users and customer admins, and name only the holders the caller can see', async () => {
    const plainCadmin = await customer(unique('member.cadmin') + '@acme.example', 'acme');
    await add(customerAdmins, plainCadmin);
    // A customer admin by membership, with the token role customer: reads the roles they create.
    expectStatus(await s.as(plainCadmin, 'customer').get('/roles'), 200);
    expectRefused(await s.as(c1, 'customer').get('/roles'));
    const turned = await s.user(unique('turned') + '@corp.com');
    expectStatus(await s.as(turned, 'member').get('/roles'), 200);
    await s.scim.patch(`/Users/${turned}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${CUSTOM_USER_URN}:audience`, value: 'customer' }] });
    expectRefused(await s.as(turned, 'member').get('/roles'));

    const secretTeam = await group(unique('Secret team'));
    const role = expectStatus(await s.admin.post('/roles', { name: unique('Shared viewers'), privileges: [{ target: 'Ticket', level: 'view' }] }), 201).body.id;
    expectStatus(await s.admin.post(`/groups/${secretTeam}/roles`, { roleId: role }), 201);
    expectStatus(await s.admin.post(`/groups/${eng}/roles`, { roleId: role }), 201);
    const asGina = expectStatus(await ginaClient.get(`/roles/${role}`), 200).body;
    expect(asGina.groups).toEqual([eng]);
    expect(asGina.assignedGroups).toBe(1);
    const listed = (expectStatus(await ginaClient.get('/roles'), 200).body.items as { id: string; assignedGroups: number }[]).find((r) => r.id === role);
    expect(listed?.assignedGroups).toBe(1);
    expect(expectStatus(await s.admin.get(`/roles/${role}`), 200).body.groups.sort()).toEqual([secretTeam, eng].sort());
  });
});
