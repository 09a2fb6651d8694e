import type request from 'supertest';
import { CATALOG } from '../../src/domain/permissions/catalog';
import type { Actor, Target } from './matrix';
import { must, WEBHOOK_URL, type World } from './world';

/**
 * The one request each matrix cell sends, per operation and target kind, and how a write that
 * succeeded is undone (as the operator) so that the shared world stays as world.ts built it. Writes
 * that consume their object (delete, rotate, confirm) get a fresh one, built before the first cell
 * and again after any cell that answered 2xx.
 */
export interface CellRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

export interface OpSpec {
  request(w: World, t: Target, fresh: Fresh, actor: Actor): CellRequest;
  fresh?(w: World, t: Target): Promise<Fresh>;
  undo?(w: World, t: Target, fresh: Fresh, res: request.Response): Promise<void>;
  cleanup?(w: World, t: Target, fresh: Fresh): Promise<void>;
}
type Fresh = Record<string, string>;

const get = (path: string): CellRequest => ({ method: 'GET', path });
const post = (path: string, body?: unknown): CellRequest => ({ method: 'POST', path, body });
const patch = (path: string, body: unknown): CellRequest => ({ method: 'PATCH', path, body });
const del = (path: string): CellRequest => ({ method: 'DELETE', path });
const simple = (r: (w: World, t: Target) => CellRequest): OpSpec => ({ request: (w, t) => r(w, t) });

type GroupTarget = Exclude<Target, 'none'>;
const groupOf = (w: World, t: Target): string => w.groups[t as GroupTarget];

/** The member of each target's group that member writes name. */
function memberOf(w: World, t: Target): string {
  const byTarget: Record<GroupTarget, string> = {
    team: w.users.u1,
    outside: w.users.u3,
    workspace: w.users.c1,
    otherWorkspace: w.users.c3,
    internal: w.users.u4,
    idp: w.users.u1,
    grantsAdmin: w.actors.manager.id,
  };
  return byTarget[t as GroupTarget];
}
/** The member's role as world.ts made it. */
const roleOf = (w: World, t: Target): 'member' | 'manager' => (t === 'grantsAdmin' ? 'manager' : 'member');

/** A user not yet in the target's group that the target's scoped actors can see (u6 is in Team B). */
function newcomerOf(w: World, t: Target): string {
  const byTarget: Record<GroupTarget, string> = {
    team: w.users.u6,
    outside: w.users.u1,
    workspace: w.users.c4,
    otherWorkspace: w.users.c5,
    internal: w.users.u1,
    idp: w.users.u3,
    grantsAdmin: w.users.u6,
  };
  return byTarget[t as GroupTarget];
}

const userOf = (w: World, t: Target): string => memberOf(w, t);
const projectOf = (w: World, t: Target): string => w.projects[t as keyof World['projects']];

async function quietly(p: Promise<request.Response>): Promise<void> {
  await p;
}

/** A new group like the target kind's (same owner, managers, Group Administrator, members of the actors), for cells that delete it. */
async function freshGroup(w: World, t: Target): Promise<string> {
  const op = w.op;
  const a = w.actors;
  const create = async (extra: Record<string, unknown>) => must(await op.post('/groups', { name: w.unique(`Fresh ${t}`), ...extra }), 201, `fresh ${t} group`).body.id as string;
  const add = async (g: string, userId: string, role = 'member') => must(await op.post(`/groups/${g}/members`, { userId, role }), 201, 'fresh member');
  switch (t) {
    case 'team':
    case 'grantsAdmin': {
      const g = await create({ ownerId: a.owner.id });
      if (t === 'grantsAdmin') must(await op.post(`/groups/${g}/roles`, { roleId: w.roles.admin }), 201, 'fresh admin role');
      await add(g, a.manager.id, 'manager');
      await add(g, a.gaIn.id);
      if (t === 'team') await add(g, a.member.id);
      must(await op.post(`/groups/${g}/administrators`, { userId: a.gaIn.id }), 201, 'fresh designation');
      return g;
    }
    case 'outside':
      return create({});
    case 'workspace': {
      const g = await create({ audience: 'customer' });
      await add(g, a.customer.id);
      return g;
    }
    case 'otherWorkspace':
      return create({ audience: 'customer' });
    default:
      return groupOf(w, t); // default and IdP groups are not made fresh: every cell on them is refused
  }
}

const csvFor = (w: World, userId: string) => ({ csv: `email,role\n${w.emails[userId]},member\n` });

/** Who sent each target's invitation and import preview (world.ts). */
const authorOf = (w: World, t: Target) => (t === 'workspace' ? w.actors.cadminSame.client : t === 'otherWorkspace' ? w.actors.cadminOther.client : t === 'team' ? w.actors.gaIn.client : w.op);
const importAuthorOf = (w: World, t: Target) => (t === 'workspace' ? w.actors.cadminSame.client : t === 'otherWorkspace' ? w.actors.cadminOther.client : w.op);

const isAdminActor = (a: Actor) => a === 'operator' || a === 'admin';

export const SPECS: Record<string, OpSpec> = {
  'GET /openapi.json': simple(() => get('/openapi.json')),

  'GET /groups': simple(() => get('/groups?limit=200')),
  'POST /groups': {
    request: (w, t) =>
      post(
        '/groups',
        t === 'workspace'
          ? { name: w.unique('New buyers'), audience: 'customer' }
          : t === 'grantsAdmin'
            ? { name: w.unique('Below Ops'), parentId: w.groups.grantsAdmin }
            : { name: w.unique('New team') },
      ),
    undo: async (w, _t, _f, res) => void must(await w.op.delete(`/groups/${res.body.id}`), 204, 'undo group create'),
  },
  'GET /groups/{id}': simple((w, t) => get(`/groups/${groupOf(w, t)}`)),
  'PATCH /groups/{id}': simple((w, t) => patch(`/groups/${groupOf(w, t)}`, { description: 'checked by the access matrix' })),
  'DELETE /groups/{id}': {
    fresh: async (w, t) => ({ group: await freshGroup(w, t) }),
    request: (_w, _t, f) => del(`/groups/${f.group}`),
  },
  'POST /groups/{id}/archive': {
    request: (w, t) => post(`/groups/${groupOf(w, t)}/archive`),
    undo: async (w, t) => void must(await w.op.post(`/groups/${groupOf(w, t)}/unarchive`), 200, 'undo archive'),
  },
  'POST /groups/{id}/unarchive': {
    fresh: async (w, t) => {
      must(await w.op.post(`/groups/${groupOf(w, t)}/archive`), 200, 'archive for unarchive');
      return {};
    },
    request: (w, t) => post(`/groups/${groupOf(w, t)}/unarchive`),
    cleanup: async (w, t) => quietly(w.op.post(`/groups/${groupOf(w, t)}/unarchive`)),
  },

  'GET /groups/{id}/members': simple((w, t) => get(`/groups/${groupOf(w, t)}/members`)),
  'POST /groups/{id}/members': {
    request: (w, t) => post(`/groups/${groupOf(w, t)}/members`, { userId: newcomerOf(w, t) }),
    undo: async (w, t) => void must(await w.op.delete(`/groups/${groupOf(w, t)}/members/${newcomerOf(w, t)}`), 200, 'undo member add'),
  },
  'PATCH /groups/{id}/members/{userId}': {
    request: (w, t) => patch(`/groups/${groupOf(w, t)}/members/${memberOf(w, t)}`, { role: roleOf(w, t) === 'manager' ? 'member' : 'manager' }),
    undo: async (w, t) => void must(await w.op.patch(`/groups/${groupOf(w, t)}/members/${memberOf(w, t)}`, { role: roleOf(w, t) }), 200, 'undo role change'),
  },
  'DELETE /groups/{id}/members/{userId}': {
    request: (w, t) => del(`/groups/${groupOf(w, t)}/members/${memberOf(w, t)}`),
    undo: async (w, t, _f, res) => {
      if (res.body?.membershipEnded) must(await w.op.post(`/groups/${groupOf(w, t)}/members`, { userId: memberOf(w, t), role: roleOf(w, t) }), 201, 'undo member removal');
    },
  },
  'POST /groups/{id}/members/import': simple((w, t) => post(`/groups/${groupOf(w, t)}/members/import`, csvFor(w, newcomerOf(w, t)))),
  'GET /groups/{id}/members/import/template': simple((w, t) => get(`/groups/${groupOf(w, t)}/members/import/template`)),
  'GET /groups/{id}/members/import/{importId}': simple((w, t) => get(`/groups/${groupOf(w, t)}/members/import/${w.imports[t as keyof World['imports']]}`)),
  'POST /groups/{id}/members/import/{importId}/confirm': {
    fresh: async (w, t) => ({
      import: must(await importAuthorOf(w, t).post(`/groups/${groupOf(w, t)}/members/import`, csvFor(w, newcomerOf(w, t))), 201, 'fresh import').body.id as string,
    }),
    request: (w, t, f) => post(`/groups/${groupOf(w, t)}/members/import/${f.import}/confirm`),
    undo: async (w, t) => quietly(w.op.delete(`/groups/${groupOf(w, t)}/members/${newcomerOf(w, t)}`)),
  },

  'GET /groups/{id}/administrators': simple((w, t) => get(`/groups/${groupOf(w, t)}/administrators`)),
  'POST /groups/{id}/administrators': {
    request: (w, t) => post(`/groups/${groupOf(w, t)}/administrators`, { userId: memberOf(w, t) }),
    undo: async (w, t) => void must(await w.op.delete(`/groups/${groupOf(w, t)}/administrators/${memberOf(w, t)}`), 204, 'undo designation'),
  },
  'DELETE /groups/{id}/administrators/{userId}': {
    fresh: async (w, t) => {
      must(await w.op.post(`/groups/${groupOf(w, t)}/administrators`, { userId: memberOf(w, t) }), 201, 'fresh designation');
      return {};
    },
    request: (w, t) => del(`/groups/${groupOf(w, t)}/administrators/${memberOf(w, t)}`),
    cleanup: async (w, t) => quietly(w.op.delete(`/groups/${groupOf(w, t)}/administrators/${memberOf(w, t)}`)),
  },

  'GET /groups/{id}/projects': simple((w, t) => get(`/groups/${groupOf(w, t)}/projects`)),
  'POST /groups/{id}/projects': {
    request: (w, t) =>
      t === 'internal' ? post(`/groups/${w.groups.workspace}/projects`, { projectId: w.projects.internal }) : post(`/groups/${groupOf(w, t)}/projects`, { name: w.unique('New project') }),
    undo: async (w, t, _f, res) =>
      void (t === 'internal'
        ? must(await w.op.delete(`/groups/${w.groups.workspace}/projects/${w.projects.internal}`), 204, 'undo project add')
        : must(await w.op.delete(`/resources/${res.body.id}`), 204, 'undo project create')),
  },
  'DELETE /groups/{id}/projects/{projectId}': {
    request: (w, t) => del(`/groups/${groupOf(w, t)}/projects/${projectOf(w, t)}`),
    undo: async (w, t) => void must(await w.op.post(`/groups/${groupOf(w, t)}/projects`, { projectId: projectOf(w, t) }), 201, 'undo project removal'),
  },

  'GET /invitations': simple(() => get('/invitations?limit=200')),
  'POST /invitations': {
    request: (w, t) => post('/invitations', { email: `${w.unique('new').replace(' ', '-')}@invited.example.com`, groupIds: [groupOf(w, t)] }),
    undo: async (w, _t, _f, res) => void must(await w.op.delete(`/invitations/${res.body.id}`), 200, 'undo invitation'),
  },
  'GET /invitations/{id}': simple((w, t) => get(`/invitations/${w.invitations[t as keyof World['invitations']]}`)),
  'DELETE /invitations/{id}': {
    fresh: async (w, t) => ({
      invitation: must(await authorOf(w, t).post('/invitations', { email: `${w.unique('fresh').replace(' ', '-')}@invited.example.com`, groupIds: [groupOf(w, t)] }), 201, 'fresh invitation').body
        .id as string,
    }),
    request: (_w, _t, f) => del(`/invitations/${f.invitation}`),
  },

  'GET /users': simple(() => get('/users?limit=200')),
  'POST /users': simple((w) => {
    const email = `${w.unique('provisioned').replace(' ', '-')}@corp.example.com`;
    return post('/users', { userName: email, email });
  }),
  'GET /users/{id}': simple((w, t) => get(`/users/${userOf(w, t)}`)),
  'GET /users/{id}/permissions': simple((w, t) => get(`/users/${userOf(w, t)}/permissions`)),
  'GET /users/{id}/roles': simple((w, t) => get(`/users/${userOf(w, t)}/roles`)),
  'POST /users/{id}/roles': {
    request: (w, t) => post(`/users/${t === 'workspace' ? w.users.c1 : w.users.u1}/roles`, { roleId: t === 'workspace' ? w.roles.acme : t === 'grantsAdmin' ? w.roles.admin : w.roles.readOnly }),
    undo: async (w, t) =>
      void must(
        await w.op.delete(`/users/${t === 'workspace' ? w.users.c1 : w.users.u1}/roles/${t === 'workspace' ? w.roles.acme : t === 'grantsAdmin' ? w.roles.admin : w.roles.readOnly}`),
        204,
        'undo user role',
      ),
  },
  'DELETE /users/{id}/roles/{roleId}': {
    request: (w) => del(`/users/${w.users.u1}/roles/${w.roles.train}`),
    undo: async (w) => void must(await w.op.post(`/users/${w.users.u1}/roles`, { roleId: w.roles.train }), 201, 'undo user role removal'),
  },
  'POST /authorize': simple((w, t) => post('/authorize', { userId: userOf(w, t), action: 'view', target: 'Ticket' })),

  'GET /roles': simple(() => get('/roles')),
  'POST /roles': {
    request: (w, t, _f, actor) => {
      const audience = isAdminActor(actor) ? {} : { audience: 'customer' };
      if (t === 'workspace') return post('/roles', { name: w.unique('Customer role'), audience: 'customer', privileges: [{ target: 'Ticket', level: 'view' }] });
      if (t === 'internal')
        return post('/roles', {
          name: w.unique('Platform role'),
          ...audience,
          privileges: [
            { target: 'Product', level: 'view' },
            { target: 'Platform Users', level: 'delete' },
          ],
        });
      return post('/roles', { name: w.unique('Near admin'), ...audience, privileges: nearAdmin() });
    },
    undo: async (w, _t, _f, res) => void must(await w.op.delete(`/roles/${res.body.id}`), 204, 'undo role create'),
  },
  'GET /roles/{id}': simple((w, t) => get(`/roles/${roleOf4(w, t)}`)),
  'PATCH /roles/{id}': simple((w, t) => patch(`/roles/${roleOf4(w, t)}`, { name: w.unique('Renamed role') })),
  'DELETE /roles/{id}': {
    fresh: async (w, t) => ({
      role:
        t === 'workspace' || t === 'otherWorkspace'
          ? (must(await w.op.post('/roles', { name: w.unique('Fresh customer role'), audience: 'customer', privileges: [{ target: 'Ticket', level: 'view' }] }), 201, 'fresh role').body.id as string)
          : roleOf4(w, t),
    }),
    request: (_w, _t, f) => del(`/roles/${f.role}`),
  },
  'GET /permissions/catalog': simple(() => get('/permissions/catalog')),
  'GET /groups/{id}/roles': simple((w, t) => get(`/groups/${groupOf(w, t)}/roles`)),
  'POST /groups/{id}/roles': {
    request: (w, t) => post(`/groups/${groupRoleTarget(w, t).group}/roles`, { roleId: groupRoleTarget(w, t).add }),
    undo: async (w, t) => void must(await w.op.delete(`/groups/${groupRoleTarget(w, t).group}/roles/${groupRoleTarget(w, t).add}`), 204, 'undo group role'),
  },
  'DELETE /groups/{id}/roles/{roleId}': {
    request: (w, t) => del(`/groups/${groupRoleTarget(w, t).group}/roles/${groupRoleTarget(w, t).held}`),
    undo: async (w, t) => void must(await w.op.post(`/groups/${groupRoleTarget(w, t).group}/roles`, { roleId: groupRoleTarget(w, t).held }), 201, 'undo group role removal'),
  },
  'GET /groups/{id}/resources': simple((w, t) => get(`/groups/${groupOf(w, t)}/resources`)),
  'POST /groups/{id}/resources': {
    request: (w, t) =>
      t === 'internal'
        ? post(`/groups/${w.groups.workspace}/resources`, { resourceId: w.projects.internal, level: 'view' })
        : post(`/groups/${groupOf(w, t)}/resources`, { resourceId: projectOf(w, t), level: 'view' }),
    undo: async (w, t) =>
      void (t === 'internal'
        ? must(await w.op.delete(`/groups/${w.groups.workspace}/resources/${w.projects.internal}`), 204, 'undo resource assignment')
        : must(await w.op.post(`/groups/${groupOf(w, t)}/resources`, { resourceId: projectOf(w, t), level: 'edit' }), [200, 201], 'undo level change')),
  },
  'DELETE /groups/{id}/resources/{resourceId}': {
    request: (w, t) => del(`/groups/${groupOf(w, t)}/resources/${projectOf(w, t)}`),
    undo: async (w, t) => void must(await w.op.post(`/groups/${groupOf(w, t)}/resources`, { resourceId: projectOf(w, t), level: 'edit' }), 201, 'undo resource removal'),
  },

  'GET /resources': simple(() => get('/resources?limit=200')),
  'POST /resources': {
    request: (w, t) => post('/resources', { type: 'project', name: w.unique('Made project'), ...(t === 'none' ? {} : { groupId: groupOf(w, t) }) }),
    undo: async (w, _t, _f, res) => void must(await w.op.delete(`/resources/${res.body.id}`), 204, 'undo resource create'),
  },
  'GET /resources/{id}': simple((w, t) => get(`/resources/${projectOf(w, t)}`)),
  'PATCH /resources/{id}': simple((w, t) => patch(`/resources/${projectOf(w, t)}`, { name: w.unique('Renamed project') })),
  'DELETE /resources/{id}': {
    fresh: async (w, t) => ({
      resource:
        t === 'internal'
          ? (must(await w.op.post('/resources', { type: 'project', name: w.unique('Fresh internal project') }), 201, 'fresh project').body.id as string)
          : (must(await w.op.post(`/groups/${groupOf(w, t)}/projects`, { name: w.unique('Fresh project') }), 201, 'fresh project').body.id as string),
    }),
    request: (_w, _t, f) => del(`/resources/${f.resource}`),
  },

  'GET /audit': simple(() => get('/audit?limit=1')),
  'GET /rules': simple(() => get('/rules')),
  'POST /rules': {
    request: (w) => post('/rules', { name: w.unique('Matrix rule'), expression: 'department = "Nowhere"', targetGroupId: w.groups.outside }),
    undo: async (w, _t, _f, res) => void must(await w.op.delete(`/rules/${res.body.id}`), 204, 'undo rule'),
  },
  'POST /rules/validate': simple(() => post('/rules/validate', { expression: 'department = "Finance"' })),
  'POST /rules/preview': simple((w) => post('/rules/preview', { expression: 'department = "Finance"', targetGroupId: w.groups.outside })),
  'GET /rules/{id}': simple((w) => get(`/rules/${w.rule}`)),
  'PATCH /rules/{id}': simple((w) => patch(`/rules/${w.rule}`, { name: w.unique('Renamed rule') })),
  'DELETE /rules/{id}': {
    fresh: async (w) => ({
      rule: must(await w.op.post('/rules', { name: w.unique('Fresh rule'), expression: 'department = "Nowhere"', targetGroupId: w.groups.outside }), 201, 'fresh rule').body.id as string,
    }),
    request: (_w, _t, f) => del(`/rules/${f.rule}`),
  },
  'POST /rules/{id}/run': simple((w) => post(`/rules/${w.rule}/run`)),
  'GET /mappings': simple(() => get('/mappings')),
  'POST /mappings': {
    request: (w) => post('/mappings', { idpGroup: w.unique('Okta group'), targetGroupId: w.groups.outside }),
    undo: async (w, _t, _f, res) => void must(await w.op.delete(`/mappings/${res.body.id}`), 204, 'undo mapping'),
  },
  'GET /mappings/{id}': simple((w) => get(`/mappings/${w.mapping}`)),
  'DELETE /mappings/{id}': {
    fresh: async (w) => ({ mapping: must(await w.op.post('/mappings', { idpGroup: w.unique('Fresh Okta group'), targetGroupId: w.groups.outside }), 201, 'fresh mapping').body.id as string }),
    request: (_w, _t, f) => del(`/mappings/${f.mapping}`),
  },
  'GET /sync/status': simple(() => get('/sync/status')),
  'GET /sync/failures': simple(() => get('/sync/failures')),
  'GET /sync/jobs': simple(() => get('/sync/jobs')),
  'POST /sync/failures/{id}/retry': simple(() => post('/sync/failures/no-such-job/retry')),
  'GET /scim-tokens': simple(() => get('/scim-tokens')),
  'GET /provisioning-log': simple(() => get('/provisioning-log?limit=1')),
  'POST /console-links': simple(() => post('/console-links', { ttlSeconds: 60 })),
  'POST /scim-tokens': {
    request: (w) => post('/scim-tokens', { label: w.unique('matrix') }),
    undo: async (w, _t, _f, res) => void must(await w.op.delete(`/scim-tokens/${res.body.tokenId}`), 200, 'undo token'),
  },
  'POST /scim-tokens/{id}/rotate': {
    fresh: async (w) => ({ token: must(await w.op.post('/scim-tokens', { label: w.unique('fresh') }), 201, 'fresh token').body.tokenId as string }),
    request: (_w, _t, f) => post(`/scim-tokens/${f.token}/rotate`),
  },
  'DELETE /scim-tokens/{id}': {
    fresh: async (w) => ({ token: must(await w.op.post('/scim-tokens', { label: w.unique('fresh') }), 201, 'fresh token').body.tokenId as string }),
    request: (_w, _t, f) => del(`/scim-tokens/${f.token}`),
  },
  'GET /events': simple(() => get('/events?limit=5')),
  'GET /deprovisioning/settings': simple(() => get('/deprovisioning/settings')),
  'PATCH /deprovisioning/settings': simple(() => patch('/deprovisioning/settings', { lifecycle: { inactiveUsers: 'keep' } })),
  'GET /deprovisioning/held': simple(() => get('/deprovisioning/held')),
  'POST /deprovisioning/held/allow': simple(() => post('/deprovisioning/held/allow', {})),
  'POST /deprovisioning/held/reject': simple(() => post('/deprovisioning/held/reject', {})),
  'POST /users/{id}/link': {
    fresh: async (w) => {
      const email = `${w.unique('linkable').replace(' ', '-')}@corp.example.com`;
      return { user: must(await w.op.post('/users', { userName: email, email }), 201, 'fresh admin-created user').body.id as string };
    },
    request: (_w, _t, f) => post(`/users/${f.user}/link`),
  },
  'GET /webhooks': simple(() => get('/webhooks')),
  'POST /webhooks': {
    request: () => post('/webhooks', { url: WEBHOOK_URL }),
    undo: async (w, _t, _f, res) => void must(await w.op.delete(`/webhooks/${res.body.id}`), 204, 'undo webhook'),
  },
  'GET /webhooks/{id}': simple((w) => get(`/webhooks/${w.webhook}`)),
  'PATCH /webhooks/{id}': simple((w) => patch(`/webhooks/${w.webhook}`, { types: ['user.created'] })),
  'DELETE /webhooks/{id}': {
    fresh: async (w) => ({ webhook: must(await w.op.post('/webhooks', { url: WEBHOOK_URL }), 201, 'fresh webhook').body.id as string }),
    request: (_w, _t, f) => del(`/webhooks/${f.webhook}`),
  },
  'POST /webhooks/{id}/rotate-secret': simple((w) => post(`/webhooks/${w.webhook}/rotate-secret`, {})),
  'POST /webhooks/{id}/redeliver': simple((w) => post(`/webhooks/${w.webhook}/redeliver`, {})),
  'POST /webhooks/{id}/test': simple((w) => post(`/webhooks/${w.webhook}/test`)),
  'GET /webhooks/{id}/deliveries': simple((w) => get(`/webhooks/${w.webhook}/deliveries`)),
  'GET /session': simple(() => get('/session')),
  'DELETE /session': simple(() => del('/session')),
};

function roleOf4(w: World, t: Target): string {
  return t === 'workspace' ? w.roles.acme : t === 'otherWorkspace' ? w.roles.globex : t === 'internal' ? w.roles.readOnly : w.roles.admin;
}

/** Per target: the group, a role it holds, and a role it does not hold yet. */
function groupRoleTarget(w: World, t: Target): { group: string; held: string; add: string } {
  switch (t) {
    case 'workspace':
      return { group: w.groups.workspace, held: w.roles.acme, add: w.roles.acme2 };
    case 'otherWorkspace':
      return { group: w.groups.otherWorkspace, held: w.roles.globex, add: w.roles.globex2 };
    case 'grantsAdmin':
      return { group: w.groups.team, held: w.roles.readOnly, add: w.roles.admin };
    default:
      return { group: w.groups.team, held: w.roles.readOnly, add: w.roles.train };
  }
}

/** Every catalogue target at its top level except Ticket (delete → edit): issue 18 #6's near-admin role. */
function nearAdmin(): { target: string; level: string }[] {
  return CATALOG.targets.map((x) => ({ target: x.name, level: x.name === 'Ticket' ? 'edit' : x.levels[x.levels.length - 1]! }));
}
