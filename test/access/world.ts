import type request from 'supertest';
import { CORE_GROUP_URN, CORE_USER_URN, CUSTOM_USER_URN } from '../../src/attributes/urns';
import { startAdminStack, type AdminClient, type AdminStack } from '../admin/admin-fixtures';
import type { Actor } from './matrix';

/**
 * The world the access tests run in, built once per suite through the real app (SCIM for users, the
 * admin API as the operator for everything else): the actors of the matrix and the objects of each
 * target kind (test/access/matrix.ts says what each is).
 */
/** The app the world runs on: webhook endpoints point at a closed loopback port, so loopback targets are allowed (nothing leaves the machine). */
export const startWorldStack = () => startAdminStack({ env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' } });

/** Where the world's webhook endpoints point: the discard port on loopback (refused at once, never leaves the machine). */
export const WEBHOOK_URL = 'http://127.0.0.1:9/matrix';

export interface World {
  s: AdminStack;
  op: AdminClient;
  actors: Record<Actor, { id: string; client: AdminClient }>;
  users: { u1: string; u3: string; u4: string; u5: string; u6: string; c1: string; c3: string; c4: string; c5: string };
  emails: Record<string, string>;
  groups: {
    team: string;
    outside: string;
    workspace: string;
    otherWorkspace: string;
    internal: string;
    idp: string;
    grantsAdmin: string;
    teamB: string;
    marketing: string;
    admins: string;
    customerAdmins: string;
  };
  roles: { readOnly: string; train: string; admin: string; acme: string; globex: string; acme2: string; globex2: string };
  projects: { team: string; outside: string; workspace: string; otherWorkspace: string; internal: string };
  invitations: { team: string; outside: string; workspace: string; otherWorkspace: string };
  imports: { team: string; outside: string; workspace: string; otherWorkspace: string };
  rule: string;
  mapping: string;
  scimToken: string;
  webhook: string;
  /** A fresh suffix for names that must be unique. */
  unique(prefix: string): string;
}

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** Fails the build with the answer when a set-up step does not answer `status`. */
export function must(res: request.Response, status: number | number[], what: string): request.Response {
  const ok = Array.isArray(status) ? status : [status];
  if (!ok.includes(res.status)) throw new Error(`world: ${what}: expected ${ok.join('|')}, got ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

/**
 * `beforeScimChanges` runs after everything is built and before the deactivation and the audience
 * change (which the worker, if one ran then, would act on).
 */
export async function buildWorld(s?: AdminStack, opts: { beforeScimChanges?: (w: World) => Promise<void> } = {}): Promise<World> {
  s = s ?? (await startWorldStack());
  const stack = s;
  const op = s.operator();
  let n = 0;
  const unique = (prefix: string) => `${prefix} ${++n}`;
  const emails: Record<string, string> = {};

  async function scimUser(key: string, opts: { audience?: 'user' | 'customer'; workspace?: string } = {}): Promise<string> {
    const userName = `${key}@${opts.workspace ?? 'corp'}.example.com`;
    const res = await stack.scim.post('/Users', {
      schemas: [CORE_USER_URN, CUSTOM_USER_URN],
      userName,
      emails: [{ value: userName, type: 'work', primary: true }],
      active: true,
      [CUSTOM_USER_URN]: { audience: opts.audience ?? 'user', ...(opts.workspace ? { workspace: opts.workspace } : {}) },
    });
    must(res, 201, `create user ${key}`);
    emails[res.body.id] = userName;
    return res.body.id as string;
  }
  const customer = (key: string, workspace: string) => scimUser(key, { audience: 'customer', workspace });

  const ids = {
    alice: await scimUser('alice'),
    cadmin: await customer('cadmin', 'acme'),
    cadmin2: await customer('cadmin2', 'globex'),
    gina: await scimUser('gina'),
    gaOut: await scimUser('gaout'),
    owner: await scimUser('oscar'),
    mike: await scimUser('mike'),
    member: await scimUser('mary'),
    c2: await customer('c2', 'acme'),
    deact: await scimUser('dora'),
    u2: await scimUser('u2'),
  };
  const users = {
    u1: await scimUser('u1'),
    u3: await scimUser('u3'),
    u4: await scimUser('u4'),
    u5: await scimUser('u5'),
    u6: await scimUser('u6'),
    c1: await customer('c1', 'acme'),
    c3: await customer('c3', 'globex'),
    c4: await customer('c4', 'acme'),
    c5: await customer('c5', 'globex'),
  };

  const group = async (name: string, extra: Record<string, unknown> = {}) => must(await op.post('/groups', { name, ...extra }), 201, `create group ${name}`).body.id as string;
  const add = async (g: string, userId: string, role: 'member' | 'manager' = 'member') => must(await op.post(`/groups/${g}/members`, { userId, role }), 201, `add ${userId} to ${g}`);
  const designate = async (g: string, userId: string) => must(await op.post(`/groups/${g}/administrators`, { userId }), 201, `designate ${userId} in ${g}`);

  const admins = await s.defaultGroup('admins');
  const customerAdmins = await s.defaultGroup('customer-admins');
  const support = await s.defaultGroup('support');
  await add(admins, ids.alice);
  await add(admins, ids.u2);
  await add(customerAdmins, ids.cadmin);
  await add(customerAdmins, ids.cadmin2);
  await add(support, users.u4);

  const team = await group('Engineering', { ownerId: ids.owner });
  for (const [u, r] of [
    [ids.mike, 'manager'],
    [ids.member, 'member'],
    [ids.gina, 'member'],
    [users.u1, 'member'],
    [ids.deact, 'manager'],
  ] as const)
    await add(team, u, r);
  await designate(team, ids.gina);
  const teamB = await group('Team B', { ownerId: ids.owner });
  await add(teamB, ids.mike, 'manager');
  await add(teamB, ids.gina);
  await add(teamB, users.u6);
  await designate(teamB, ids.gina);
  const marketing = await group('Marketing');
  await add(marketing, ids.gaOut);
  await add(marketing, users.u5);
  await designate(marketing, ids.gaOut);
  const outside = await group('Finance');
  await add(outside, users.u3);
  const workspace = await group('Acme Buyers', { audience: 'customer' });
  await add(workspace, users.c1);
  await add(workspace, ids.c2);
  const otherWorkspace = await group('Globex Buyers', { audience: 'customer' });
  await add(otherWorkspace, users.c3);
  const idp = must(await s.scim.post('/Groups', { schemas: [CORE_GROUP_URN], displayName: 'Okta Engineering', members: [{ value: users.u1 }] }), 201, 'IdP group').body.id as string;

  const roleList = must(await op.get('/roles'), 200, 'roles').body.items as { id: string; system: string | null }[];
  const systemRole = (key: string) => roleList.find((r) => r.system === key)!.id;
  const customerRole = async (name: string) => must(await op.post('/roles', { name, audience: 'customer', privileges: [{ target: 'Ticket', level: 'view' }] }), 201, `role ${name}`).body.id as string;
  const roles = {
    readOnly: systemRole('read-only'),
    train: systemRole('train'),
    admin: systemRole('admin'),
    acme: await customerRole('Acme Ticket Viewers'),
    globex: await customerRole('Globex Ticket Viewers'),
    acme2: await customerRole('Acme Ticket Viewers 2'),
    globex2: await customerRole('Globex Ticket Viewers 2'),
  };
  const grantsAdmin = await group('Ops', { ownerId: ids.owner });
  must(await op.post(`/groups/${grantsAdmin}/roles`, { roleId: roles.admin }), 201, 'Admin role to Ops');
  await add(grantsAdmin, ids.mike, 'manager');
  await add(grantsAdmin, ids.gina);
  await designate(grantsAdmin, ids.gina);
  must(await op.post(`/groups/${team}/roles`, { roleId: roles.readOnly }), 201, 'ReadOnly to Engineering');
  must(await op.post(`/groups/${workspace}/roles`, { roleId: roles.acme }), 201, 'acme role');
  must(await op.post(`/groups/${otherWorkspace}/roles`, { roleId: roles.globex }), 201, 'globex role');
  must(await op.post(`/users/${users.u1}/roles`, { roleId: roles.train }), 201, 'Train to u1');
  // Customer admins hold what the customer roles they create and assign give (docs/decisions.md).
  must(await op.post(`/groups/${customerAdmins}/roles`, { roleId: await customerRole('Customer admin tickets') }), 201, "customer admins' role");

  const project = async (g: string, name: string) => must(await op.post(`/groups/${g}/projects`, { name }), 201, `project ${name}`).body.id as string;
  const projects = {
    team: await project(team, 'Eng Project'),
    outside: await project(outside, 'Finance Project'),
    workspace: await project(workspace, 'Acme Project'),
    otherWorkspace: await project(otherWorkspace, 'Globex Project'),
    internal: must(await op.post('/resources', { type: 'project', name: 'Internal Project' }), 201, 'internal project').body.id as string,
  };
  await project(teamB, 'Team B Project');

  // Actors' clients: token claims as the IdP-provisioned users would get them.
  const as = (id: string, role: 'member' | 'customer') => ({ id, client: s.as(id, role) });
  const actors: World['actors'] = {
    operator: { id: 'admin-operator', client: op },
    admin: as(ids.alice, 'member'),
    cadminSame: as(ids.cadmin, 'customer'),
    cadminOther: as(ids.cadmin2, 'customer'),
    gaIn: as(ids.gina, 'member'),
    gaOut: as(ids.gaOut, 'member'),
    owner: as(ids.owner, 'member'),
    manager: as(ids.mike, 'member'),
    member: as(ids.member, 'member'),
    customer: as(ids.c2, 'customer'),
    deactivated: as(ids.deact, 'member'),
    turnedCustomer: as(ids.u2, 'member'),
  };

  const invite = async (client: AdminClient, g: string, who: string) =>
    must(await client.post('/invitations', { email: `${who}-${++n}@invited.example.com`, groupIds: [g] }), 201, `invitation into ${g}`).body.id as string;
  const invitations = {
    team: await invite(actors.gaIn.client, team, 'team'),
    outside: await invite(op, outside, 'outside'),
    workspace: await invite(actors.cadminSame.client, workspace, 'acme'),
    otherWorkspace: await invite(actors.cadminOther.client, otherWorkspace, 'globex'),
  };
  const preview = async (client: AdminClient, g: string, email: string) =>
    must(await client.post(`/groups/${g}/members/import`, { csv: `email,role\n${email},member\n` }), 201, `import into ${g}`).body.id as string;
  const imports = {
    team: await preview(op, team, emails[users.u3]!),
    outside: await preview(op, outside, emails[users.u1]!),
    workspace: await preview(actors.cadminSame.client, workspace, emails[ids.c2]!),
    otherWorkspace: await preview(actors.cadminOther.client, otherWorkspace, emails[users.c3]!),
  };

  const rule = must(await op.post('/rules', { name: 'Finance by department', expression: 'department = "Finance"', targetGroupId: outside }), 201, 'rule').body.id as string;
  const mapping = must(await op.post('/mappings', { idpGroup: 'Okta Engineering', targetGroupId: outside }), 201, 'mapping').body.id as string;
  const scimToken = must(await op.post('/scim-tokens', { label: 'second' }), 201, 'SCIM token').body.tokenId as string;
  const webhook = must(await op.post('/webhooks', { url: WEBHOOK_URL }), 201, 'webhook endpoint').body.id as string;

  const world: World = {
    s,
    op,
    actors,
    users,
    emails,
    groups: { team, outside, workspace, otherWorkspace, internal: support, idp, grantsAdmin, teamB, marketing, admins, customerAdmins },
    roles,
    projects,
    invitations,
    imports,
    rule,
    mapping,
    scimToken,
    webhook,
    unique,
  };
  await opts.beforeScimChanges?.(world);

  // Last: the deactivation and the audience change, over SCIM as the IdP does them (no worker runs).
  must(await s.scim.patch(`/Users/${ids.deact}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] }), 200, 'deactivate');
  must(await s.scim.patch(`/Users/${ids.u2}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${CUSTOM_USER_URN}:audience`, value: 'customer' }] }), 200, 'audience change');

  return world;
}
