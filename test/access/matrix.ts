/**
 * The access matrix of the admin API, as data (issue 18): every operation of the OpenAPI document ×
 * every actor kind × the target kinds the operation takes → the expected answer, with the product
 * document's sentence it rests on. docs/access-matrix.md is rendered from this file
 * (`npm run docs:access-matrix`; test/access/matrix-doc.test.ts fails when it is stale) and
 * test/access/matrix.test.ts sends every cell to the real app.
 *
 * The table is written as rules (who reaches which target) with explicit exceptions, not as cells:
 * the scope tables below say once what each actor sees, edits and manages, and each operation
 * names the rule it follows. This file holds no HTTP: the requests are in requests.ts.
 */

export const ACTORS = {
  operator: 'Operator token (role admin, no user; the CLI and the console)',
  admin: 'Admin: a user in the default Admins group (token role member)',
  cadminSame: "Customer admin of workspace acme (in Customer Admins; the workspace target's own)",
  cadminOther: 'Customer admin of workspace globex (in Customer Admins; another workspace than the workspace target)',
  gaIn: 'Group Administrator in scope: designated (and member) of Engineering (team) and of Ops (grantsAdmin)',
  gaOut: 'Group Administrator out of scope: designated of Marketing only',
  owner: 'Owner (ownerId) of Engineering and of Ops',
  manager: 'Manager (member role manager) of Engineering and of Ops',
  member: 'Plain member of Engineering',
  customer: 'Customer of acme, plain member of Acme Buyers',
  deactivated: 'A manager of Engineering deactivated over SCIM (active=false)',
  turnedCustomer: 'A user in Admins switched to audience customer over SCIM (the worker has not run)',
} as const;
export type Actor = keyof typeof ACTORS;
export const ACTOR_KINDS = Object.keys(ACTORS) as Actor[];

/**
 * Target kinds, each a bundle of concrete objects built once by world.ts (a group, a user of it, a
 * project, a role, an invitation, an import). The "in scope" is `team` for internal actors
 * and `workspace` for the customer admin of acme; "other workspace" is `otherWorkspace` for them.
 */
export const TARGETS = {
  none: 'No object: a list, a create or a tenant-wide operation',
  team: 'In scope: Engineering (internal custom group) with its member u1, project, invitation (sent by gaIn) and import',
  outside: 'Out of scope: Finance (internal custom group) with its member u3 (in no group the scoped actors supervise), project, invitation, import',
  workspace: 'Acme Buyers (customer group) with customer c1 of acme, its project, customer role, invitation and import (by cadminSame)',
  otherWorkspace: 'Globex Buyers (customer group) with customer c3 of globex, its project, customer role, invitation and import (by cadminOther)',
  internal: 'Internal platform objects: the default Support group (member u4), an internal project in no group, a default role (ReadOnly)',
  idp: 'IdP-owned: a group pushed over SCIM (origin scim, member u1); read-only in the admin API',
  grantsAdmin: 'Grants admin: Ops, a custom group holding the Admin role (owner, manager and gaIn in it); the Admin role itself',
} as const;
export type Target = keyof typeof TARGETS;

/** What a cell expects: the operation's documented success, or a refusal. */
export type Outcome =
  | 'ok' // the operation's documented 2xx
  | 'hidden' // 404: the caller may not see the object; answered as for an unknown id
  | 'forbidden' // 403: the caller sees the object but may not do this
  | 'refused' // 403 or 404: refused, the docs not fixing which
  | 'conflict' // 409: the state forbids it whoever asks
  | 'deactivated' // 403 USER_DEACTIVATED
  | 'invalid' // 400
  | 'rejected'; // 400, 403 or 404: refused, where an unseen id may also answer 400 as unknown

export interface Basis {
  doc: string;
  quote: string;
}

const D000 = '000_9057472821853cc2.txt';
const D001 = '001_90741b014cf2b93d.txt';
const D003 = '003_62ae87564c382e9d.txt';
const D004 = '004_4e58476c68b5df73.txt';
const README = 'README.md (project decision)';

export const BASIS = {
  adminsEverything: { doc: D000, quote: 'Admins have access to everything on the app by default.' },
  onlyAdminGrantsAdmin: { doc: D000, quote: 'Only an admin can grant admin privileges to another user.' },
  adminCreatesGroups: { doc: D000, quote: 'You need to be an admin to create a group.' },
  customGroupsOnly: { doc: D000, quote: 'Only custom groups can be updated by admins.' },
  adminsManageMembers: { doc: D000, quote: 'Admins possess the capability to add or remove members from any group.' },
  onlyGroupAdminsInvite: { doc: D000, quote: 'Only admins of an existing group can invite users to a group' },
  customerAdminsWorkspace: { doc: D000, quote: 'Customer Admins: Users who can manage the customer inquiries of their workspace.' },
  adminsAssignRoles: { doc: D000, quote: 'Admins have the authority to configure access for different user groups by assigning or revoking roles.' },
  managerMembers: { doc: D001, quote: 'Member Roles in Group … Manager … Can add/remove members' },
  administratorsManage: { doc: D003, quote: 'Only administrators can create and manage groups.' },
  customerAdminCan: { doc: D004, quote: 'As Customer Admin you can: - Create or modify roles for the customer. - Create, edit, and delete Groups. - Add existing users and projects to groups.' },
  customerAdminDesignates: { doc: D004, quote: 'Designate Group Administrators.' },
  gaSeesOwnGroups: { doc: D004, quote: 'A Group Admin can: - See and edit Groups where he is designated as Group Admin' },
  gaProjects: { doc: D004, quote: 'Create new projects within the group(s). … Give user access to projects. - Remove users and projects from a group.' },
  gaInvites: { doc: D004, quote: 'Invite new users and add them to a specific group.' },
  gaSelfSufficient: { doc: D004, quote: 'Group Admins have full permission for managing the projects and users in their group(s), and are completely self-sufficient in managing those entities.' },
  gaSeesNothingElse: { doc: D004, quote: 'A Group Administrator is unable to see projects or users who are not associated with their group(s).' },
  deactivatedRefused: { doc: README, quote: 'deleted or deactivated users are refused on every route' },
  idpReadOnly: { doc: README, quote: 'IdP groups (`origin: scim`) are read-only: access flows from them only through mappings.' },
  tenantConfigAdmins: { doc: README, quote: 'only an admin changes Admins, internal roles and role assignments, rules and mappings, sync and the audit log' },
  anyoneElse: { doc: README, quote: 'Anyone else | read the groups they belong to and their own permissions' },
  publicDocument: { doc: README, quote: 'The full document is `GET /admin/v1/openapi.json` (public; …)' },
  sessionBearer: { doc: README, quote: "`GET/DELETE /session` (who calls; a console session's CSRF token; sign out)" },
} satisfies Record<string, Basis>;

// ---- Scope tables: the one place that says what each actor reaches -------------------------------

const ADMINS: Actor[] = ['operator', 'admin'];
const CUSTOMER_ADMINS: Actor[] = ['cadminSame', 'cadminOther'];
const isAdmin = (a: Actor) => ADMINS.includes(a);
const isCustomerAdmin = (a: Actor) => CUSTOMER_ADMINS.includes(a);

const GROUP_TARGETS: Target[] = ['team', 'outside', 'workspace', 'otherWorkspace', 'internal', 'idp', 'grantsAdmin'];
const CUSTOMER_GROUPS: Target[] = ['workspace', 'otherWorkspace'];

/** Groups each actor may read (member lists included). Customer groups carry no workspace: every customer admin sees them (their members are scoped). */
export const SEES_GROUP: Record<Actor, Target[]> = {
  operator: GROUP_TARGETS,
  admin: GROUP_TARGETS,
  cadminSame: CUSTOMER_GROUPS,
  cadminOther: CUSTOMER_GROUPS,
  gaIn: ['team', 'grantsAdmin'],
  gaOut: [],
  owner: ['team', 'grantsAdmin'],
  manager: ['team', 'grantsAdmin'],
  member: ['team'],
  customer: ['workspace'],
  deactivated: [],
  turnedCustomer: [],
};

/** Groups each actor may edit (settings, archive, delete, projects): admins, customer admins (customer groups), Group Administrators (their groups). */
export const EDITS_GROUP: Record<Actor, Target[]> = {
  ...mapActors(() => []),
  operator: GROUP_TARGETS,
  admin: GROUP_TARGETS,
  cadminSame: CUSTOMER_GROUPS,
  cadminOther: CUSTOMER_GROUPS,
  gaIn: ['team', 'grantsAdmin'],
};

/** Groups whose members each actor manages: editors, plus owners and managers. */
export const MANAGES_MEMBERS: Record<Actor, Target[]> = {
  ...EDITS_GROUP,
  owner: ['team', 'grantsAdmin'],
  manager: ['team', 'grantsAdmin'],
};

/** Target users (u1 of team, u3 of outside, c1 of acme, c3 of globex) each actor may see. */
export const SEES_USER: Record<Actor, Target[]> = {
  ...mapActors(() => []),
  operator: ['team', 'outside', 'workspace', 'otherWorkspace', 'internal', 'idp', 'grantsAdmin'],
  admin: ['team', 'outside', 'workspace', 'otherWorkspace', 'internal', 'idp', 'grantsAdmin'],
  cadminSame: ['workspace'],
  cadminOther: ['otherWorkspace'],
  gaIn: ['team', 'idp', 'grantsAdmin'],
  owner: ['team', 'idp', 'grantsAdmin'],
  manager: ['team', 'idp', 'grantsAdmin'],
};

/** Target projects each actor may see: those of the groups they are in or manage (customer admins: of customer groups). */
export const SEES_PROJECT: Record<Actor, Target[]> = {
  ...mapActors(() => []),
  operator: ['team', 'outside', 'workspace', 'otherWorkspace', 'internal'],
  admin: ['team', 'outside', 'workspace', 'otherWorkspace', 'internal'],
  cadminSame: ['workspace', 'otherWorkspace'],
  cadminOther: ['workspace', 'otherWorkspace'],
  gaIn: ['team'],
  owner: ['team'],
  manager: ['team'],
  member: ['team'],
  customer: ['workspace'],
};

/** Target projects each actor may rename or delete: customer admins those of customer groups, a Group Administrator those of their groups. */
export const EDITS_PROJECT: Record<Actor, Target[]> = {
  ...mapActors(() => []),
  operator: ['team', 'outside', 'workspace', 'otherWorkspace', 'internal'],
  admin: ['team', 'outside', 'workspace', 'otherWorkspace', 'internal'],
  cadminSame: ['workspace', 'otherWorkspace'],
  cadminOther: ['workspace', 'otherWorkspace'],
  gaIn: ['team'],
};

/** Invitations each actor sees: admins all, anyone else the ones they sent (team: gaIn's; workspace: cadminSame's; otherWorkspace: cadminOther's). */
export const SEES_INVITATION: Record<Actor, Target[]> = {
  ...mapActors(() => []),
  operator: ['team', 'outside', 'workspace', 'otherWorkspace'],
  admin: ['team', 'outside', 'workspace', 'otherWorkspace'],
  gaIn: ['team'],
  cadminSame: ['workspace'],
  cadminOther: ['otherWorkspace'],
};

/**
 * Ids no list or read may show the actor (checked on every 2xx GET of the matrix test): target
 * users and groups outside their reach. A customer never sees another workspace; a Group
 * Administrator nothing outside their groups.
 */
export const NEVER_SHOWN: Record<Actor, { users: Target[]; groups: Target[] }> = {
  operator: { users: [], groups: [] },
  admin: { users: [], groups: [] },
  cadminSame: { users: ['team', 'outside', 'otherWorkspace'], groups: ['team', 'outside', 'grantsAdmin'] },
  cadminOther: { users: ['team', 'outside', 'workspace'], groups: ['team', 'outside', 'grantsAdmin'] },
  gaIn: { users: ['outside', 'workspace', 'otherWorkspace'], groups: ['outside', 'workspace', 'otherWorkspace'] },
  gaOut: { users: ['team', 'outside', 'workspace', 'otherWorkspace'], groups: ['team', 'outside', 'workspace', 'otherWorkspace', 'grantsAdmin'] },
  owner: { users: ['outside', 'workspace', 'otherWorkspace'], groups: ['outside', 'workspace', 'otherWorkspace'] },
  manager: { users: ['outside', 'workspace', 'otherWorkspace'], groups: ['outside', 'workspace', 'otherWorkspace'] },
  member: { users: ['outside', 'workspace', 'otherWorkspace'], groups: ['outside', 'workspace', 'otherWorkspace', 'grantsAdmin'] },
  customer: { users: ['team', 'outside', 'otherWorkspace'], groups: ['team', 'outside', 'otherWorkspace', 'grantsAdmin'] },
  deactivated: { users: [], groups: [] },
  turnedCustomer: { users: ['team', 'outside', 'workspace', 'otherWorkspace'], groups: ['team', 'outside', 'workspace', 'otherWorkspace', 'grantsAdmin'] },
};

function mapActors<T>(f: (a: Actor) => T): Record<Actor, T> {
  return Object.fromEntries(ACTOR_KINDS.map((a) => [a, f(a)])) as Record<Actor, T>;
}

// ---- Rules: an operation's cells from the scope tables ---------------------------------------------

type Rule = (actor: Actor, target: Target) => Outcome;

/** Readable where seen, 404 elsewhere. */
const readWhere =
  (table: Record<Actor, Target[]>): Rule =>
  (a, t) =>
    table[a].includes(t) ? 'ok' : 'hidden';
/** Allowed where `may`, 403 where only seen, 404 elsewhere. */
const writeWhere =
  (may: Record<Actor, Target[]>, sees: Record<Actor, Target[]>): Rule =>
  (a, t) =>
    may[a].includes(t) ? 'ok' : sees[a].includes(t) ? 'forbidden' : 'hidden';
const adminsOnly: Rule = (a) => (isAdmin(a) ? 'ok' : 'forbidden');
const everyone: Rule = () => 'ok';
const readsRoles: Rule = (a) => (a === 'customer' || a === 'turnedCustomer' ? 'forbidden' : 'ok');

export interface Exception {
  actors?: Actor[];
  targets?: Target[];
  outcome: Outcome;
  why: string;
}

export interface OperationRow {
  targets: Target[];
  rule: Rule;
  /** Later exceptions win over earlier ones and over the rule. */
  exceptions?: Exception[];
  basis: Basis[];
  /** Cells where the docs are ambiguous: the safe answer picked, and why. */
  notes?: string[];
  /** No authentication (the deactivated user gets the same answer as anyone). */
  public?: boolean;
}

const GRANTS_ADMIN_BY_NON_ADMIN: Exception = {
  targets: ['grantsAdmin'],
  actors: ACTOR_KINDS.filter((a) => !isAdmin(a) && SEES_GROUP[a].includes('grantsAdmin')),
  outcome: 'forbidden',
  why: 'Only an admin grants admin: 403 ADMIN_GRANT_REQUIRES_ADMIN',
};
const DEFAULT_GROUP_IMMUTABLE: Exception = { actors: ADMINS, targets: ['internal'], outcome: 'conflict', why: 'GROUP_DEFAULT_IMMUTABLE: default groups are not changed' };
const IDP_READ_ONLY: Exception = { actors: ADMINS, targets: ['idp'], outcome: 'conflict', why: 'GROUP_READ_ONLY: IdP groups change at the IdP' };

const MEMBER_TARGETS: Target[] = ['team', 'outside', 'workspace', 'otherWorkspace', 'internal', 'idp', 'grantsAdmin'];
const USER_TARGETS: Target[] = ['team', 'outside', 'workspace', 'otherWorkspace'];
const ROLE_TARGETS: Target[] = ['workspace', 'otherWorkspace', 'internal', 'grantsAdmin'];
const PROJECT_TARGETS: Target[] = ['team', 'outside', 'workspace', 'otherWorkspace', 'internal'];
const INVITATION_TARGETS: Target[] = ['team', 'outside', 'workspace', 'otherWorkspace'];

/** Members are managed where the group is, and the user named is one the actor sees. */
const manageMember: Rule = (a, t) => {
  if (!MANAGES_MEMBERS[a].includes(t)) return SEES_GROUP[a].includes(t) ? 'forbidden' : 'hidden';
  return SEES_USER[a].includes(t) ? 'ok' : 'hidden';
};

const changeProject: Rule = (a, t) => (EDITS_PROJECT[a].includes(t) ? 'ok' : SEES_PROJECT[a].includes(t) ? 'forbidden' : 'refused');

const adminConfig = (basis: Basis[] = [BASIS.tenantConfigAdmins]): OperationRow => ({ targets: ['none'], rule: adminsOnly, basis });
const adminConfigOn = (basis: Basis[] = [BASIS.tenantConfigAdmins]): OperationRow => ({ targets: ['outside'], rule: adminsOnly, basis });

/** Keyed by "METHOD /path" exactly as the OpenAPI document names them. */
export const MATRIX: Record<string, OperationRow> = {
  'GET /openapi.json': { targets: ['none'], rule: everyone, public: true, basis: [BASIS.publicDocument] },

  // ---- Groups
  'GET /groups': {
    targets: ['none'],
    rule: everyone,
    basis: [BASIS.anyoneElse, BASIS.gaSeesNothingElse],
    notes: ['Everyone may list; the list shows only what the caller may see (NEVER_SHOWN is checked on the body).'],
  },
  'POST /groups': {
    targets: ['team', 'workspace', 'grantsAdmin'],
    rule: (a, t) => (isAdmin(a) ? 'ok' : t === 'workspace' && isCustomerAdmin(a) ? 'ok' : 'forbidden'),
    basis: [BASIS.adminCreatesGroups, BASIS.customerAdminCan, BASIS.onlyAdminGrantsAdmin],
    notes: ['team: an internal group; workspace: a customer group; grantsAdmin: a group below Ops (its members would inherit the Admin role).'],
  },
  'GET /groups/{id}': { targets: GROUP_TARGETS, rule: readWhere(SEES_GROUP), basis: [BASIS.anyoneElse, BASIS.gaSeesOwnGroups, BASIS.gaSeesNothingElse] },
  'PATCH /groups/{id}': {
    targets: GROUP_TARGETS,
    rule: writeWhere(EDITS_GROUP, SEES_GROUP),
    exceptions: [DEFAULT_GROUP_IMMUTABLE, IDP_READ_ONLY],
    basis: [BASIS.customGroupsOnly, BASIS.gaSeesOwnGroups, BASIS.customerAdminCan],
    notes: ['The body changes the description only; scope-changing bodies (rule, parent, owner) are in the property test and the reproductions.'],
  },
  'DELETE /groups/{id}': {
    targets: GROUP_TARGETS,
    rule: writeWhere(EDITS_GROUP, SEES_GROUP),
    exceptions: [
      DEFAULT_GROUP_IMMUTABLE,
      IDP_READ_ONLY,
      { ...GRANTS_ADMIN_BY_NON_ADMIN, actors: ['gaIn'], why: 'Deleting an admin-granting group changes who holds admin: admins only (safe answer; issue 18 #12)' },
    ],
    basis: [BASIS.customGroupsOnly, BASIS.gaSeesOwnGroups, BASIS.onlyAdminGrantsAdmin],
  },
  'POST /groups/{id}/archive': {
    targets: GROUP_TARGETS,
    rule: writeWhere(EDITS_GROUP, SEES_GROUP),
    exceptions: [
      DEFAULT_GROUP_IMMUTABLE,
      IDP_READ_ONLY,
      { ...GRANTS_ADMIN_BY_NON_ADMIN, actors: ['gaIn'], why: 'Archiving an admin-granting group removes admin from its members: admins only (issue 18 #12)' },
    ],
    basis: [BASIS.customGroupsOnly, BASIS.gaSeesOwnGroups, BASIS.onlyAdminGrantsAdmin],
  },
  'POST /groups/{id}/unarchive': {
    targets: ['team', 'outside', 'workspace', 'otherWorkspace', 'grantsAdmin'],
    rule: writeWhere(EDITS_GROUP, SEES_GROUP),
    exceptions: [{ ...GRANTS_ADMIN_BY_NON_ADMIN, actors: ['gaIn'] }],
    basis: [BASIS.customGroupsOnly, BASIS.onlyAdminGrantsAdmin],
  },

  // ---- Members
  'GET /groups/{id}/members': { targets: GROUP_TARGETS, rule: readWhere(SEES_GROUP), basis: [BASIS.anyoneElse, BASIS.customerAdminsWorkspace] },
  'POST /groups/{id}/members': {
    targets: MEMBER_TARGETS,
    rule: manageMember,
    exceptions: [{ actors: ADMINS, targets: ['internal'], outcome: 'ok', why: 'Support is a default group with hand-managed members' }, IDP_READ_ONLY, GRANTS_ADMIN_BY_NON_ADMIN],
    basis: [BASIS.adminsManageMembers, BASIS.managerMembers, BASIS.gaSeesNothingElse, BASIS.customerAdminsWorkspace, BASIS.onlyAdminGrantsAdmin],
    notes: [
      "The user added is one the actor sees for team (u6, of Team B which gaIn, owner and manager supervise) and grantsAdmin (u6); otherwise the target's user of another group (issue 18 #1-#3).",
    ],
  },
  'PATCH /groups/{id}/members/{userId}': {
    targets: MEMBER_TARGETS,
    rule: manageMember,
    exceptions: [{ actors: ADMINS, targets: ['internal'], outcome: 'ok', why: 'Support takes member roles' }, IDP_READ_ONLY],
    basis: [BASIS.managerMembers, BASIS.customerAdminsWorkspace],
    notes: ["grantsAdmin: making Ops's manager a plain member grants nothing: allowed to its managers."],
  },
  'DELETE /groups/{id}/members/{userId}': {
    targets: MEMBER_TARGETS,
    rule: manageMember,
    exceptions: [
      { actors: ADMINS, targets: ['internal'], outcome: 'ok', why: 'Support members are hand-managed' },
      { actors: ADMINS, targets: ['idp'], outcome: 'conflict', why: "MEMBERSHIP_NOT_ADMIN_MANAGED: the IdP's membership is the IdP's" },
      { ...GRANTS_ADMIN_BY_NON_ADMIN, why: "Taking admin away is an admin's too (docs/decisions.md): 403 ADMIN_GRANT_REQUIRES_ADMIN" },
    ],
    basis: [BASIS.adminsManageMembers, BASIS.managerMembers, BASIS.customerAdminsWorkspace, BASIS.onlyAdminGrantsAdmin],
  },
  'POST /groups/{id}/members/import': {
    targets: ['team', 'outside', 'workspace', 'otherWorkspace', 'grantsAdmin'],
    rule: (a, t) => (MANAGES_MEMBERS[a].includes(t) ? 'ok' : SEES_GROUP[a].includes(t) ? 'forbidden' : 'hidden'),
    exceptions: [GRANTS_ADMIN_BY_NON_ADMIN],
    basis: [BASIS.managerMembers, BASIS.onlyAdminGrantsAdmin],
  },
  'GET /groups/{id}/members/import/template': {
    targets: ['team', 'outside', 'workspace', 'otherWorkspace'],
    rule: (a, t) => (MANAGES_MEMBERS[a].includes(t) ? 'ok' : SEES_GROUP[a].includes(t) ? 'forbidden' : 'hidden'),
    basis: [BASIS.managerMembers],
  },
  'GET /groups/{id}/members/import/{importId}': {
    targets: ['team', 'outside', 'workspace', 'otherWorkspace'],
    rule: (a, t) => (isAdmin(a) ? 'ok' : (a === 'cadminSame' && t === 'workspace') || (a === 'cadminOther' && t === 'otherWorkspace') ? 'ok' : 'refused'),
    basis: [BASIS.gaSeesNothingElse, BASIS.customerAdminsWorkspace],
    notes: ["Safe answer (issue 18 #10): a preview names users by e-mail; only its author and admins read it. team's and outside's imports are an admin's."],
  },
  'POST /groups/{id}/members/import/{importId}/confirm': {
    targets: ['team', 'outside', 'workspace', 'otherWorkspace'],
    rule: (a, t) => (isAdmin(a) ? 'ok' : (a === 'cadminSame' && t === 'workspace') || (a === 'cadminOther' && t === 'otherWorkspace') ? 'ok' : 'refused'),
    basis: [BASIS.gaSeesNothingElse],
    notes: ['Safe answer (issue 18 #10): only the author of a preview, or an admin, applies it.'],
  },

  // ---- Group Administrators
  'GET /groups/{id}/administrators': { targets: GROUP_TARGETS, rule: readWhere(SEES_GROUP), basis: [BASIS.anyoneElse] },
  'POST /groups/{id}/administrators': {
    targets: ['team', 'outside', 'workspace', 'otherWorkspace', 'internal', 'idp', 'grantsAdmin'],
    rule: (a, t) => {
      if (isAdmin(a)) return 'ok';
      if (isCustomerAdmin(a) && CUSTOMER_GROUPS.includes(t)) return SEES_USER[a].includes(t) ? 'ok' : 'hidden';
      return SEES_GROUP[a].includes(t) ? 'forbidden' : 'hidden';
    },
    exceptions: [DEFAULT_GROUP_IMMUTABLE, IDP_READ_ONLY],
    basis: [BASIS.customerAdminDesignates, BASIS.adminsEverything],
    notes: ["The user designated is the target group's member (u1, u3, c1, c3, u4; gaIn for grantsAdmin). Support: default groups take no Group Administrators (409, safe answer)."],
  },
  'DELETE /groups/{id}/administrators/{userId}': {
    targets: ['team', 'workspace', 'otherWorkspace', 'grantsAdmin'],
    rule: (a, t) => {
      if (isAdmin(a)) return 'ok';
      if (isCustomerAdmin(a) && CUSTOMER_GROUPS.includes(t)) return SEES_USER[a].includes(t) ? 'ok' : 'hidden';
      return SEES_GROUP[a].includes(t) ? 'forbidden' : 'hidden';
    },
    basis: [BASIS.customerAdminDesignates],
    notes: ['The designation removed: gaIn of team and grantsAdmin; c1 of Acme Buyers; c3 of Globex Buyers.'],
  },

  // ---- Projects
  'GET /groups/{id}/projects': { targets: GROUP_TARGETS, rule: readWhere(SEES_GROUP), basis: [BASIS.gaProjects] },
  'POST /groups/{id}/projects': {
    targets: ['team', 'outside', 'workspace', 'otherWorkspace', 'internal'],
    rule: (a, t) => {
      if (t === 'internal') return isAdmin(a) ? 'ok' : SEES_GROUP[a].includes('workspace') && EDITS_GROUP[a].includes('workspace') ? 'hidden' : 'refused';
      return writeWhere(EDITS_GROUP, SEES_GROUP)(a, t);
    },
    basis: [BASIS.gaProjects, BASIS.customerAdminCan, BASIS.gaSeesNothingElse],
    notes: [
      'internal: adding the internal project (in no group) to Acme Buyers by id (issue 18 #7): customer admins do not see it (404); others do not see the group.',
      'Other targets create a new project in the group by name.',
    ],
  },
  'DELETE /groups/{id}/projects/{projectId}': {
    targets: ['team', 'outside', 'workspace', 'otherWorkspace'],
    rule: writeWhere(EDITS_GROUP, SEES_GROUP),
    basis: [BASIS.gaProjects],
  },

  // ---- Invitations
  'GET /invitations': { targets: ['none'], rule: everyone, basis: [BASIS.onlyGroupAdminsInvite], notes: ['Non-admins list the invitations they sent.'] },
  'POST /invitations': {
    targets: ['team', 'outside', 'workspace', 'otherWorkspace', 'internal', 'idp', 'grantsAdmin'],
    rule: writeWhere(EDITS_GROUP, SEES_GROUP),
    exceptions: [{ actors: ADMINS, targets: ['internal'], outcome: 'ok', why: 'Admins invite into default groups' }, IDP_READ_ONLY, GRANTS_ADMIN_BY_NON_ADMIN],
    basis: [BASIS.onlyGroupAdminsInvite, BASIS.gaInvites, BASIS.onlyAdminGrantsAdmin],
    notes: ['Owners and managers manage members but do not invite (doc 000: only admins of a group invite).'],
  },
  'GET /invitations/{id}': { targets: INVITATION_TARGETS, rule: readWhere(SEES_INVITATION), basis: [BASIS.onlyGroupAdminsInvite] },
  'DELETE /invitations/{id}': {
    targets: INVITATION_TARGETS,
    rule: readWhere(SEES_INVITATION),
    basis: [BASIS.onlyGroupAdminsInvite],
    notes: ['The sender or an admin revokes; anyone else gets 404 as for an unknown id.'],
  },

  // ---- Users
  'GET /users': {
    targets: ['none'],
    rule: (a) => (isAdmin(a) || isCustomerAdmin(a) || ['gaIn', 'gaOut', 'owner', 'manager'].includes(a) ? 'ok' : 'forbidden'),
    basis: [BASIS.gaSeesNothingElse, BASIS.customerAdminsWorkspace],
    notes: ['Callers who supervise no group have no directory (403).'],
  },
  'POST /users': adminConfig([BASIS.adminsEverything]),
  'GET /users/{id}': {
    targets: USER_TARGETS,
    rule: readWhere(SEES_USER),
    basis: [BASIS.gaSeesNothingElse, BASIS.customerAdminsWorkspace],
  },
  'GET /users/{id}/permissions': {
    targets: USER_TARGETS,
    rule: (a) => (isAdmin(a) ? 'ok' : 'refused'),
    basis: [BASIS.anyoneElse],
    notes: ["Anyone reads their own permissions; another user's are admin business (safe answer: a Group Administrator or customer admin does not read them either)."],
  },
  'GET /users/{id}/roles': {
    targets: USER_TARGETS,
    rule: (a, t) => (isAdmin(a) ? 'ok' : SEES_USER[a].includes(t) ? 'forbidden' : 'refused'),
    basis: [BASIS.tenantConfigAdmins],
    notes: ['Org-level role assignments are admin business; unseen users may answer 403 or 404.'],
  },
  'POST /users/{id}/roles': {
    targets: ['team', 'workspace', 'grantsAdmin'],
    rule: (a, t) => (isAdmin(a) ? 'ok' : SEES_USER[a].includes(t) ? 'forbidden' : 'refused'),
    basis: [BASIS.tenantConfigAdmins, BASIS.onlyAdminGrantsAdmin],
    notes: ['team: u1 given ReadOnly; workspace: c1 given the acme customer role; grantsAdmin: u1 given the Admin role.'],
  },
  'DELETE /users/{id}/roles/{roleId}': {
    targets: ['team'],
    rule: (a, t) => (isAdmin(a) ? 'ok' : SEES_USER[a].includes(t) ? 'forbidden' : 'refused'),
    basis: [BASIS.tenantConfigAdmins],
  },
  'POST /authorize': {
    targets: USER_TARGETS,
    rule: (a) => (isAdmin(a) ? 'ok' : 'refused'),
    basis: [BASIS.anyoneElse],
    notes: ['As GET /users/{id}/permissions: a decision names groups and roles, so only admins ask about someone else (safe answer).'],
  },

  // ---- Roles and grants
  'GET /roles': { targets: ['none'], rule: readsRoles, basis: [BASIS.customerAdminCan], notes: ['Plain customers read no roles (safe answer); customer admins must, to create and assign them.'] },
  'POST /roles': {
    targets: ['workspace', 'internal', 'grantsAdmin'],
    rule: (a, t) => (isAdmin(a) ? 'ok' : isCustomerAdmin(a) && t === 'workspace' ? 'ok' : 'forbidden'),
    exceptions: [
      {
        actors: CUSTOMER_ADMINS,
        targets: ['internal'],
        outcome: 'rejected',
        why: 'A customer role naming an internal platform target (Platform Users: delete), issue 18 #6: refused (400 naming the target, or 403)',
      },
    ],
    basis: [BASIS.customerAdminCan, BASIS.onlyAdminGrantsAdmin, BASIS.tenantConfigAdmins],
    notes: [
      'workspace: a customer role (Ticket: view); internal: a customer role on Platform Users; grantsAdmin: every target at its top level but one (issue 18 #6), audience customer for customer admins.',
    ],
  },
  'GET /roles/{id}': {
    targets: ROLE_TARGETS,
    rule: readsRoles,
    basis: [BASIS.customerAdminCan],
    notes: ['The answer names the groups and users holding the role: only those the caller may see (NEVER_SHOWN).'],
  },
  'PATCH /roles/{id}': {
    targets: ROLE_TARGETS,
    rule: (a, t) => (isAdmin(a) ? 'ok' : isCustomerAdmin(a) && CUSTOMER_GROUPS.includes(t) ? 'ok' : 'forbidden'),
    exceptions: [{ actors: ADMINS, targets: ['internal', 'grantsAdmin'], outcome: 'conflict', why: 'ROLE_DEFAULT_IMMUTABLE: default roles keep their name' }],
    basis: [BASIS.customerAdminCan, BASIS.tenantConfigAdmins],
    notes: ['Customer roles carry no workspace: any customer admin may change either (ambiguous; the README decision kept).', 'The body renames the role.'],
  },
  'DELETE /roles/{id}': {
    targets: ROLE_TARGETS,
    rule: (a, t) => (isAdmin(a) ? 'ok' : isCustomerAdmin(a) && CUSTOMER_GROUPS.includes(t) ? 'ok' : 'forbidden'),
    exceptions: [{ actors: ADMINS, targets: ['internal', 'grantsAdmin'], outcome: 'conflict', why: 'ROLE_DEFAULT_UNDELETABLE' }],
    basis: [BASIS.customerAdminCan, BASIS.tenantConfigAdmins],
  },
  'GET /permissions/catalog': { targets: ['none'], rule: everyone, basis: [BASIS.customerAdminCan] },
  'GET /groups/{id}/roles': { targets: GROUP_TARGETS, rule: readWhere(SEES_GROUP), basis: [BASIS.anyoneElse] },
  'POST /groups/{id}/roles': {
    targets: ['team', 'workspace', 'otherWorkspace', 'grantsAdmin'],
    // grantsAdmin assigns the Admin role to Engineering: what the actor sees is Engineering.
    rule: (a, t) => (isAdmin(a) ? 'ok' : isCustomerAdmin(a) && CUSTOMER_GROUPS.includes(t) ? 'ok' : SEES_GROUP[a].includes(t === 'grantsAdmin' ? 'team' : t) ? 'forbidden' : 'hidden'),
    basis: [BASIS.adminsAssignRoles, BASIS.customerAdminCan, BASIS.onlyAdminGrantsAdmin],
    notes: ["team: ReadOnly to Engineering; workspace / otherWorkspace: that workspace's customer role to its group; grantsAdmin: the Admin role to Engineering."],
  },
  'DELETE /groups/{id}/roles/{roleId}': {
    targets: ['team', 'workspace', 'otherWorkspace'],
    rule: (a, t) => (isAdmin(a) ? 'ok' : isCustomerAdmin(a) && CUSTOMER_GROUPS.includes(t) ? 'ok' : SEES_GROUP[a].includes(t) ? 'forbidden' : 'hidden'),
    basis: [BASIS.adminsAssignRoles, BASIS.customerAdminCan],
  },
  'GET /groups/{id}/resources': { targets: GROUP_TARGETS, rule: readWhere(SEES_GROUP), basis: [BASIS.gaProjects] },
  'POST /groups/{id}/resources': {
    targets: ['team', 'outside', 'workspace', 'otherWorkspace', 'internal'],
    rule: (a, t) => {
      if (t === 'internal') return isAdmin(a) ? 'ok' : 'rejected';
      return writeWhere(EDITS_GROUP, SEES_GROUP)(a, t);
    },
    basis: [BASIS.gaProjects, BASIS.customerAdminCan, BASIS.gaSeesNothingElse],
    notes: ["Each target assigns a project the actor can see in that group's scope (a second project of the group); internal: the internal project to Acme Buyers (issue 18 #7)."],
  },
  'DELETE /groups/{id}/resources/{resourceId}': {
    targets: ['team', 'outside', 'workspace', 'otherWorkspace'],
    rule: writeWhere(EDITS_GROUP, SEES_GROUP),
    basis: [BASIS.gaProjects],
  },

  // ---- Resources
  'GET /resources': { targets: ['none'], rule: everyone, basis: [BASIS.gaSeesNothingElse], notes: ['Non-admins see the resources of their groups (issue 18 #7).'] },
  'POST /resources': {
    targets: ['none', 'team', 'outside', 'workspace', 'otherWorkspace'],
    rule: (a, t) => (t === 'none' ? (isAdmin(a) ? 'ok' : 'forbidden') : writeWhere(EDITS_GROUP, SEES_GROUP)(a, t)),
    basis: [BASIS.gaProjects, BASIS.customerAdminCan],
    notes: ['none: a project in no group, admins only (safe answer: a project outside every group is internal).'],
  },
  'GET /resources/{id}': { targets: PROJECT_TARGETS, rule: readWhere(SEES_PROJECT), basis: [BASIS.gaSeesNothingElse] },
  'PATCH /resources/{id}': {
    targets: PROJECT_TARGETS,
    rule: changeProject,
    basis: [BASIS.customerAdminCan, BASIS.gaSelfSufficient],
    notes: ["Projects outside the caller's view may answer 403 or 404."],
  },
  'DELETE /resources/{id}': {
    targets: PROJECT_TARGETS,
    rule: changeProject,
    basis: [BASIS.customerAdminCan, BASIS.gaSelfSufficient],
  },

  // ---- Tenant configuration: admins only
  'GET /audit': adminConfig(),
  'GET /rules': adminConfig(),
  'POST /rules': adminConfig(),
  'POST /rules/validate': adminConfig(),
  'POST /rules/preview': adminConfig(),
  'GET /rules/{id}': adminConfigOn(),
  'PATCH /rules/{id}': adminConfigOn(),
  'DELETE /rules/{id}': adminConfigOn(),
  'POST /rules/{id}/run': adminConfigOn(),
  'GET /mappings': adminConfig(),
  'POST /mappings': adminConfig(),
  'GET /mappings/{id}': adminConfigOn(),
  'DELETE /mappings/{id}': adminConfigOn(),
  'GET /sync/status': adminConfig(),
  'GET /sync/failures': adminConfig(),
  'GET /sync/jobs': adminConfig(),
  'POST /sync/failures/{id}/retry': {
    targets: ['none'],
    rule: (a) => (isAdmin(a) ? 'hidden' : 'forbidden'),
    basis: [BASIS.tenantConfigAdmins],
    notes: ['No job has failed: an admin gets 404 for the id, anyone else 403.'],
  },
  'GET /scim-tokens': adminConfig(),
  'GET /provisioning-log': adminConfig(),
  'POST /console-links': adminConfig(),
  'POST /scim-tokens': adminConfig(),
  'POST /scim-tokens/{id}/rotate': adminConfigOn(),
  'DELETE /scim-tokens/{id}': adminConfigOn(),

  // ---- Change events and webhooks (docs/events.md: tenant admins only)
  'GET /events': adminConfig([BASIS.tenantConfigAdmins]),
  'GET /webhooks': adminConfig(),
  'POST /webhooks': adminConfig(),
  'GET /webhooks/{id}': adminConfigOn(),
  'PATCH /webhooks/{id}': adminConfigOn(),
  'DELETE /webhooks/{id}': adminConfigOn(),
  'POST /webhooks/{id}/rotate-secret': adminConfigOn(),
  'POST /webhooks/{id}/redeliver': adminConfigOn(),
  'POST /webhooks/{id}/test': adminConfigOn(),
  'GET /webhooks/{id}/deliveries': adminConfigOn(),

  // ---- Deprovisioning safeguards and safe linking (docs/deprovisioning.md: tenant admins only)
  'GET /deprovisioning/settings': adminConfig(),
  'PATCH /deprovisioning/settings': adminConfig(),
  'GET /deprovisioning/held': adminConfig(),
  'POST /deprovisioning/held/allow': adminConfig(),
  'POST /deprovisioning/held/reject': adminConfig(),
  'POST /users/{id}/link': adminConfigOn(),

  // ---- Session
  'GET /session': { targets: ['none'], rule: everyone, basis: [BASIS.anyoneElse] },
  'DELETE /session': { targets: ['none'], rule: () => 'conflict', basis: [BASIS.sessionBearer], notes: ['Bearer callers: 409 SESSION_NOT_CONSOLE.'] },
};

/**
 * Cells that still differ from the matrix with the policy in place: holes left for the policy to
 * close, listed so the suite stays green while they are open. The matrix test fails for any other
 * difference, and fails when a listed cell starts to answer as the matrix says (remove it then).
 */
export interface KnownHole {
  op: string;
  actors: Actor[];
  targets: Target[];
  /** What the app answers today. */
  answers: string;
}

export const KNOWN_HOLES: KnownHole[] = [];

export function knownHole(op: string, actor: Actor, target: Target): KnownHole | undefined {
  return KNOWN_HOLES.find((h) => h.op === op && h.actors.includes(actor) && h.targets.includes(target));
}

/** The expected outcome of one cell: deactivated callers first, then the exceptions (last wins), then the rule. */
export function expectedOutcome(op: string, actor: Actor, target: Target): { outcome: Outcome; why?: string } {
  const row = MATRIX[op];
  if (!row) throw new Error(`no matrix row for ${op}`);
  if (actor === 'deactivated' && !row.public) return { outcome: 'deactivated', why: 'USER_DEACTIVATED on every route' };
  let found: Exception | undefined;
  for (const e of row.exceptions ?? []) {
    if ((e.actors ?? ACTOR_KINDS).includes(actor) && (e.targets ?? row.targets).includes(target)) found = e;
  }
  if (found) return { outcome: found.outcome, why: found.why };
  return { outcome: row.rule(actor, target) };
}

/** Statuses an outcome accepts; `ok` is the operation's documented success. */
export function statusesOf(outcome: Outcome, okStatus: number): number[] {
  switch (outcome) {
    case 'ok':
      return [okStatus];
    case 'hidden':
      return [404];
    case 'forbidden':
    case 'deactivated':
      return [403];
    case 'refused':
      return [403, 404];
    case 'conflict':
      return [409];
    case 'invalid':
      return [400];
    case 'rejected':
      return [400, 403, 404];
  }
}
