import { ref, type Json } from './openapi-kit';
/**
 * The OpenAPI 3.0 description of the admin API (/admin/v1), served at /admin/v1/openapi.json.
 * test/admin/openapi.test.ts walks the routes express has registered and fails when a route is
 * undocumented or a documented operation has no route, so this file stays true to the code.
 */
import { rulesOpenApi } from './routes/rules';
import { syncOpenApi } from './routes/sync';
import { sessionOpenApi } from './routes/session';
import { scimTokensOpenApi } from './routes/scim-tokens';
import { eventsOpenApi } from './routes/events';
import { deprovisioningOpenApi } from './routes/deprovisioning';
import { webhooksOpenApi } from './routes/webhooks';
import { provisioningLogOpenApi } from './routes/provisioning-log';
import { consoleLinksOpenApi } from './routes/console-links';

type PathItems = Record<string, Record<string, Json>>;

const str = (description?: string, extra: Json = {}): Json => ({ type: 'string', ...(description ? { description } : {}), ...extra });
const nullable = (schema: Json): Json => ({ ...schema, nullable: true });
const arrayOf = (items: Json): Json => ({ type: 'array', items });
const obj = (properties: Record<string, Json>, required: string[] = [], extra: Json = {}): Json => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
  ...extra,
});
const enumOf = (values: string[], description?: string): Json => str(description, { enum: values });

const pathParam = (name: string, description: string): Json => ({ name, in: 'path', required: true, schema: str(), description });
const queryParam = (name: string, description: string, schema: Json = str()): Json => ({ name, in: 'query', required: false, schema, description });

const ERROR_STATUS: Record<number, string> = {
  400: 'Invalid request (error.code says what, error.details.field which input)',
  401: 'Missing, invalid or expired token; a token naming a tenant that does not exist, or a user who is not (or no longer) in it; a crit header',
  403: 'The caller may see the object but not do this, or the caller is deactivated (USER_DEACTIVATED); ADMIN_GRANT_REQUIRES_ADMIN when the change would grant admin-level access (a group that is Admins, or holds or inherits an admin-level role) and the caller is not an admin',
  404: "Not found, or not visible to the caller (another tenant, outside a Group Administrator's groups)",
  409: 'Conflicts with the current state (error.code says which rule)',
};

interface OperationSpec {
  summary: string;
  description?: string;
  tag: string;
  params?: Json[];
  body?: Json;
  bodyContent?: Json;
  ok: number;
  response?: Json;
  /** A second success status with the same body (e.g. 200 when a POST finds the assignment made already). */
  alsoOk?: { status: number; description: string };
  errors?: number[];
  public?: boolean;
}

function operation(spec: OperationSpec): Json {
  const responses: Json = {};
  responses[String(spec.ok)] = spec.response ? { description: 'OK', content: { 'application/json': { schema: spec.response } } } : { description: spec.ok === 204 ? 'Done; no content' : 'OK' };
  if (spec.alsoOk) {
    responses[String(spec.alsoOk.status)] = { description: spec.alsoOk.description, ...(spec.response ? { content: { 'application/json': { schema: spec.response } } } : {}) };
  }
  for (const status of [...(spec.public ? [] : [401]), ...(spec.errors ?? [])]) {
    responses[String(status)] = { description: ERROR_STATUS[status] ?? 'Error', content: { 'application/json': { schema: ref('Error') } } };
  }
  return {
    tags: [spec.tag],
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.params?.length ? { parameters: spec.params } : {}),
    ...(spec.body || spec.bodyContent ? { requestBody: { required: true, content: spec.bodyContent ?? { 'application/json': { schema: spec.body } } } } : {}),
    responses,
    ...(spec.public ? { security: [] } : {}),
  };
}

const groupId = pathParam('id', 'Group id (grp_…)');
const userIdParam = pathParam('userId', 'User id');
/** The cursor and page size of a cursor-paged list; `maxLimit` is the largest page the route serves. */
const cursorParams = (maxLimit: number): Json[] => [
  queryParam('cursor', 'Continue after the last item of the previous page (nextCursor)'),
  queryParam('limit', `Page size (1-${maxLimit})`, { type: 'integer', minimum: 1, maximum: maxLimit }),
];
const page = (item: Json): Json => obj({ items: arrayOf(item), nextCursor: nullable(str('Pass as `cursor` for the next page; null on the last page')) }, ['items', 'nextCursor']);

const schemas: Record<string, Json> = {
  Error: obj({ error: obj({ code: str('Stable UPPER_SNAKE identifier'), message: str(), details: { type: 'object', additionalProperties: true } }, ['code', 'message']) }, ['error']),
  Group: obj(
    {
      id: str(),
      name: str(),
      description: nullable(str()),
      origin: enumOf(['internal', 'scim'], "'scim' groups are the IdP's and read-only here"),
      audience: enumOf(['user', 'customer']),
      kind: enumOf(['static', 'dynamic']),
      status: enumOf(['active', 'archived']),
      default: { type: 'boolean', description: 'A default group: not renamed, changed, archived or deleted' },
      system: nullable(str('Key of a default group')),
      automatic: nullable(enumOf(['allInternal', 'allCustomers'], 'Contains every active internal user / customer')),
      parentId: nullable(str()),
      ownerId: nullable(str()),
      rule: nullable(obj({ expression: str(), ruleId: str() })),
      readOnly: { type: 'boolean' },
      memberCount: { type: 'integer' },
      createdAt: str(undefined, { format: 'date-time' }),
      updatedAt: str(undefined, { format: 'date-time' }),
    },
    ['id', 'name', 'origin', 'audience', 'kind', 'status'],
  ),
  GroupCreate: obj(
    {
      name: str('1-100 characters, unique per tenant ignoring case', { minLength: 1, maxLength: 100 }),
      description: str(),
      audience: enumOf(['user', 'customer'], 'Default user'),
      kind: enumOf(['static', 'dynamic'], 'Default static'),
      parentId: nullable(str('Parent group: no cycles, at most 5 levels')),
      ownerId: nullable(str('A user of the group audience whom the caller can see (else 404 USER_NOT_FOUND, as for an unknown id); becomes a member who cannot be removed')),
      rule: nullable(
        obj({ expression: str('Rule language, e.g. department = "Sales" AND country in "US","CA"', { minLength: 1 }) }, ['expression'], {
          description: 'Dynamic groups only: kept as the rule dyn_<groupId>',
          additionalProperties: false,
        }),
      ),
    },
    ['name'],
    { additionalProperties: false },
  ),
  GroupUpdate: obj(
    {
      name: str('1-100 characters', { minLength: 1, maxLength: 100 }),
      description: nullable(str()),
      parentId: nullable(str()),
      ownerId: nullable(str('A user the caller can see (else 404 USER_NOT_FOUND); the previous owner stays a plain member (audited group.owner.changed)')),
      rule: nullable(obj({ expression: str() }, ['expression'], { description: 'Dynamic groups only; null removes the rule' })),
    },
    [],
    { additionalProperties: false },
  ),
  UserSummary: obj({ id: str(), userName: str(), displayName: str(), emails: arrayOf(str()), audience: enumOf(['user', 'customer']), active: { type: 'boolean' } }, [
    'id',
    'userName',
    'emails',
    'audience',
    'active',
  ]),
  Member: obj(
    {
      userId: str(),
      role: enumOf(['member', 'manager']),
      sources: arrayOf(str("Who holds the membership: 'scim', 'manual', 'import', 'owner', 'rule:<id>', 'dynamic', 'automatic'")),
      user: nullable(ref('UserSummary')),
    },
    ['userId', 'role', 'sources'],
  ),
  MemberImport: obj(
    {
      id: str(),
      groupId: str(),
      status: enumOf(['previewed', 'applied']),
      summary: obj({ added: { type: 'integer' }, skipped: { type: 'integer' }, error: { type: 'integer' } }),
      rows: arrayOf(obj({ line: { type: 'integer' }, email: str(), role: str(), outcome: enumOf(['added', 'skipped', 'error']), reason: str(), userId: str() }, ['line', 'email', 'outcome'])),
      createdAt: str(undefined, { format: 'date-time' }),
      appliedAt: str(undefined, { format: 'date-time' }),
    },
    ['id', 'groupId', 'status', 'summary', 'rows'],
  ),
  Invitation: obj(
    {
      id: str(),
      email: str(),
      groupIds: arrayOf(str()),
      role: enumOf(['member', 'manager']),
      status: enumOf(['pending', 'accepted', 'revoked']),
      invitedBy: str(),
      userId: nullable(str()),
      result: nullable(arrayOf(obj({ groupId: str(), outcome: enumOf(['added', 'skipped']), reason: str() }))),
      createdAt: str(undefined, { format: 'date-time' }),
      acceptedAt: nullable(str(undefined, { format: 'date-time' })),
      revokedAt: nullable(str(undefined, { format: 'date-time' })),
    },
    ['id', 'email', 'groupIds', 'status'],
  ),
  Administrator: obj({ userId: str(), user: nullable(ref('UserSummary')), createdAt: str(undefined, { format: 'date-time' }) }, ['userId']),
  Project: obj({ id: str(), type: enumOf(['project']), name: str(), level: str("The group's level on the project (edit)") }, ['id', 'name'], { additionalProperties: true }),
  AuditEvent: obj(
    {
      id: str(),
      at: str(undefined, { format: 'date-time' }),
      actor: obj({
        type: enumOf(['scim-token', 'admin', 'user', 'rule', 'system', 'cli'], 'admin: an admin-API caller the access policy holds a tenant admin; user: any other admin-API caller'),
        id: str(),
        as: enumOf(['customer-admin', 'group-administrator', 'manager', 'member'], 'For a user: the grounds the access policy let them act on'),
      }),
      action: str('e.g. group.created, group.member.added, user.created'),
      object: obj({ type: str(), id: str() }),
      before: {},
      after: {},
      requestId: nullable(str()),
      names: obj(
        {
          actor: str("The actor's name: a SCIM token's label, a rule's name, a user's name"),
          object: str("The object's name (a user's or a group's)"),
          user: str('The name of the user a membership event names (after/before.userId)'),
        },
        [],
        { description: 'Names for the ids, where they still exist (the ids stay authoritative)' },
      ),
    },
    ['id', 'at', 'actor', 'action', 'object'],
  ),
  Role: obj(
    {
      id: str(),
      name: str(),
      description: nullable(str()),
      privileges: arrayOf(obj({ target: str(), level: enumOf(['hide', 'view', 'use', 'edit', 'create', 'delete']), implies: arrayOf(str()) }, ['target', 'level'])),
      default: { type: 'boolean' },
      system: nullable(str()),
      audience: enumOf(['user', 'customer'], 'customer: a role for customers, which customer admins create, change and assign to customer groups'),
    },
    ['id', 'name', 'privileges'],
  ),
  RoleInput: obj(
    {
      name: str(undefined, { minLength: 1 }),
      audience: enumOf(['user', 'customer'], 'user (default for admins) or customer (always, for customer admins)'),
      description: str(),
      privileges: arrayOf(obj({ target: str(undefined, { minLength: 1 }), level: enumOf(['hide', 'view', 'use', 'edit', 'create', 'delete']) }, ['target', 'level'], { additionalProperties: false })),
    },
    ['name'],
    { additionalProperties: false },
  ),
  RoleUpdate: obj(
    {
      name: str(undefined, { minLength: 1 }),
      description: str(),
      privileges: arrayOf(obj({ target: str(undefined, { minLength: 1 }), level: enumOf(['hide', 'view', 'use', 'edit', 'create', 'delete']) }, ['target', 'level'], { additionalProperties: false })),
    },
    [],
    { additionalProperties: false },
  ),
  AuthorizeRequest: {
    ...obj(
      {
        userId: str(undefined, { minLength: 1 }),
        action: enumOf(['view', 'use', 'edit', 'create', 'delete'], 'use: data sources (queries use its data); on an agent, view suffices'),
        target: str('A catalogue target, e.g. Ticket', { minLength: 1 }),
        resource: str('A resource id (agent, data source, project)', { minLength: 1 }),
      },
      ['userId', 'action'],
      { additionalProperties: false },
    ),
    description: 'Exactly one of target and resource.',
    oneOf: [{ required: ['target'] }, { required: ['resource'] }],
  },
  AuthorizeDecision: obj(
    {
      allowed: { type: 'boolean' },
      decision: enumOf(['allow', 'deny']),
      userId: str(),
      action: str(),
      target: str(),
      resource: obj({ id: str(), type: str(), name: str() }),
      level: str('The highest level the user holds (hide when none)'),
      reason: obj({ code: str('ADMIN, GROUP_ROLE, INHERITED_GROUP_ROLE, GROUP_RESOURCE, NO_GRANT, …'), message: str(), source: { type: 'object', additionalProperties: true } }, ['code', 'message']),
    },
    ['allowed', 'decision', 'reason'],
  ),
  Resource: obj(
    {
      id: str(),
      type: enumOf(['agent', 'data source', 'project']),
      name: str(),
      createdBy: nullable(str()),
      groups: arrayOf(obj({ groupId: str(), level: str() })),
      createdAt: str(undefined, { format: 'date-time' }),
      updatedAt: str(undefined, { format: 'date-time' }),
    },
    ['id', 'type', 'name'],
  ),
  Permissions: { type: 'object', additionalProperties: true, description: 'Effective permissions: per target and per resource the best level with every source (group, role)' },
  Catalog: { type: 'object', additionalProperties: true, description: 'Targets, levels (hide < view < use < edit < create < delete; only data sources offer use) and dependencies' },
  OpenApi: { type: 'object', additionalProperties: true },
};

const json = (schema: Json): Json => ({ 'application/json': { schema } });

/** Every documented operation, keyed by OpenAPI path then method. */
const paths: PathItems = {
  '/openapi.json': {
    get: operation({ tag: 'Meta', summary: 'This document', public: true, ok: 200, response: ref('OpenApi') }),
  },
  '/groups': {
    get: operation({
      tag: 'Groups',
      summary: 'List groups',
      description:
        'Internal groups by default; origin=scim lists the IdP groups (read-only). Non-admins see the groups they belong to, manage or administer (customer admins: also every customer group).',
      params: [
        queryParam('q', 'Search: part of the name, case-insensitive', str(undefined, { maxLength: 100 })),
        queryParam('origin', 'internal (default) or scim', enumOf(['internal', 'scim'])),
        queryParam('status', 'active or archived', enumOf(['active', 'archived'])),
        queryParam('assignable', 'true: only groups that can be assigned (active)', enumOf(['true', 'false'])),
        queryParam('audience', 'user or customer', enumOf(['user', 'customer'])),
        queryParam('kind', 'static or dynamic', enumOf(['static', 'dynamic'])),
        queryParam('parentId', 'Children of this group'),
        queryParam('sort', 'name (default), -name, memberCount, -memberCount', enumOf(['name', '-name', 'memberCount', '-memberCount'])),
        queryParam('page', '1-based page', { type: 'integer', minimum: 1, maximum: 100000 }),
        queryParam('limit', 'Page size (max 200)', { type: 'integer', minimum: 1, maximum: 200 }),
      ],
      ok: 200,
      response: obj({ items: arrayOf(ref('Group')), page: { type: 'integer' }, limit: { type: 'integer' }, total: { type: 'integer' } }),
      errors: [400],
    }),
    post: operation({
      tag: 'Groups',
      summary: 'Create a group (admins; customer admins for customer groups)',
      body: ref('GroupCreate'),
      ok: 201,
      response: ref('Group'),
      errors: [400, 403, 404, 409],
    }),
  },
  '/groups/{id}': {
    get: operation({ tag: 'Groups', summary: 'Get a group with its member count', params: [groupId], ok: 200, response: ref('Group'), errors: [404] }),
    patch: operation({
      tag: 'Groups',
      summary: 'Change a custom group (name, description, parent, owner, rule)',
      description:
        'Default groups and IdP groups are refused (GROUP_DEFAULT_IMMUTABLE, GROUP_READ_ONLY); a parent creating a cycle or more than 5 levels is refused (GROUP_PARENT_CYCLE, GROUP_DEPTH_EXCEEDED).',
      params: [groupId],
      body: ref('GroupUpdate'),
      ok: 200,
      response: ref('Group'),
      errors: [400, 403, 404, 409],
    }),
    delete: operation({ tag: 'Groups', summary: 'Delete a custom group (not one with child groups)', params: [groupId], ok: 204, errors: [403, 404, 409] }),
  },
  '/groups/{id}/archive': {
    post: operation({ tag: 'Groups', summary: 'Archive a custom group (left out of assignment choices)', params: [groupId], ok: 200, response: ref('Group'), errors: [403, 404, 409] }),
  },
  '/groups/{id}/unarchive': {
    post: operation({ tag: 'Groups', summary: 'Unarchive a group', params: [groupId], ok: 200, response: ref('Group'), errors: [403, 404, 409] }),
  },
  '/groups/{id}/members': {
    get: operation({
      tag: 'Members',
      summary: 'List members, ordered by user id',
      params: [groupId, ...cursorParams(500)],
      ok: 200,
      response: obj({
        items: arrayOf(ref('Member')),
        total: nullable({ type: 'integer', description: 'null when a customer admin sees a stored group scoped to their workspace' }),
        nextCursor: nullable(str()),
      }),
      errors: [400, 404],
    }),
    post: operation({
      tag: 'Members',
      summary: "Add a member (source 'manual')",
      description:
        'Admins, customer admins (customer groups), the group owner and managers, and its Group Administrators (users they can see). Only admins add members to a group whose members get admin-level access (Admins, or a group holding or inheriting the Admin role or one as strong): 403 ADMIN_GRANT_REQUIRES_ADMIN. Automatic and dynamic groups are refused.',
      params: [groupId],
      body: {
        ...obj(
          {
            userId: str('The user to add; or', { minLength: 1 }),
            email: str('their e-mail address (exactly one of userId and email; an address several visible users share answers 409 USER_EMAIL_AMBIGUOUS)', { format: 'email', maxLength: 254 }),
            role: enumOf(['member', 'manager']),
          },
          [],
          { additionalProperties: false },
        ),
        oneOf: [{ required: ['userId'] }, { required: ['email'] }],
      },
      ok: 201,
      response: ref('Member'),
      errors: [400, 403, 404, 409],
    }),
  },
  '/groups/{id}/members/{userId}': {
    patch: operation({
      tag: 'Members',
      summary: "Change a member's role in the group",
      params: [groupId, userIdParam],
      body: obj({ role: enumOf(['member', 'manager']) }, ['role'], { additionalProperties: false }),
      ok: 200,
      response: ref('Member'),
      errors: [400, 403, 404],
    }),
    delete: operation({
      tag: 'Members',
      summary: "Remove what the admin API granted ('manual' and 'import')",
      description: 'Other sources (scim, rules, owner) keep the membership. The owner cannot be removed (GROUP_OWNER_NOT_REMOVABLE).',
      params: [groupId, userIdParam, queryParam('source', 'Remove only this source', enumOf(['manual', 'import']))],
      ok: 200,
      response: {
        allOf: [ref('Member'), obj({ removedSources: arrayOf(str()), membershipEnded: { type: 'boolean' } }, ['removedSources', 'membershipEnded'])],
        description: 'The Member as it stands now (sources [] once the membership ended), and what was removed',
      },
      errors: [400, 403, 404, 409],
    }),
  },
  '/groups/{id}/members/import': {
    post: operation({
      tag: 'Members',
      summary: 'Preview a CSV member import (email,role; at most 1,000 rows)',
      description: 'Stores the per-row outcome (added / skipped / error); nothing changes until confirmed.',
      params: [groupId],
      bodyContent: { 'text/csv': { schema: str('email,role header then rows') }, ...json(obj({ csv: str() }, ['csv'])) },
      ok: 201,
      response: ref('MemberImport'),
      errors: [400, 403, 404, 409],
    }),
  },
  '/groups/{id}/members/import/template': {
    get: {
      ...operation({ tag: 'Members', summary: 'Download the CSV import template (email,role header; role member or manager, default member)', params: [groupId], ok: 200, errors: [403, 404] }),
      responses: {
        200: { description: 'The template', content: { 'text/csv': { schema: str('email,role') } } },
        401: { description: ERROR_STATUS[401], content: json(ref('Error')) },
        403: { description: ERROR_STATUS[403], content: json(ref('Error')) },
        404: { description: ERROR_STATUS[404], content: json(ref('Error')) },
      },
    },
  },
  '/groups/{id}/members/import/{importId}': {
    get: operation({ tag: 'Members', summary: 'Get an import preview', params: [groupId, pathParam('importId', 'Import id')], ok: 200, response: ref('MemberImport'), errors: [403, 404] }),
  },
  '/groups/{id}/members/import/{importId}/confirm': {
    post: operation({
      tag: 'Members',
      summary: "Apply the previewed 'added' rows (source 'import'); once",
      description:
        'Each row is re-checked against the current state and the rows report what really happened: a user gone, of another audience, no longer visible, or a member since the preview (membership and role left as they are) is skipped with the reason. Only real additions are audited.',
      params: [groupId, pathParam('importId', 'Import id')],
      ok: 200,
      response: ref('MemberImport'),
      errors: [403, 404, 409],
    }),
  },
  '/groups/{id}/administrators': {
    get: operation({ tag: 'Group administrators', summary: 'List Group Administrators', params: [groupId], ok: 200, response: obj({ items: arrayOf(ref('Administrator')) }), errors: [404] }),
    post: operation({
      tag: 'Group administrators',
      summary: 'Designate a member as Group Administrator (custom groups)',
      params: [groupId],
      body: obj({ userId: str(undefined, { minLength: 1 }) }, ['userId'], { additionalProperties: false }),
      ok: 201,
      response: obj({ userId: str(), createdAt: str() }),
      errors: [400, 403, 404, 409],
    }),
  },
  '/groups/{id}/administrators/{userId}': {
    delete: operation({ tag: 'Group administrators', summary: 'Remove a Group Administrator designation', params: [groupId, userIdParam], ok: 204, errors: [403, 404] }),
  },
  '/groups/{id}/projects': {
    get: operation({ tag: 'Projects', summary: "The group's projects", params: [groupId], ok: 200, response: obj({ items: arrayOf(ref('Project')) }), errors: [404] }),
    post: operation({
      tag: 'Projects',
      summary: 'Create a project in the group ({name}) or add a visible one ({projectId}); granted to the group at edit',
      description: "The same rules as POST /resources with groupId and POST /groups/{id}/resources: admins, customer admins (customer groups) and the group's Group Administrators.",
      params: [groupId],
      body: {
        ...obj({ name: str('A new project', { minLength: 1 }), projectId: str('An existing project', { minLength: 1 }) }, [], { additionalProperties: false }),
        oneOf: [{ required: ['name'] }, { required: ['projectId'] }],
      },
      ok: 201,
      response: ref('Project'),
      errors: [400, 403, 404, 409],
    }),
  },
  '/groups/{id}/projects/{projectId}': {
    delete: operation({ tag: 'Projects', summary: 'Take a project out of the group', params: [groupId, pathParam('projectId', 'Project id')], ok: 204, errors: [403, 404] }),
  },
  '/invitations': {
    get: operation({
      tag: 'Invitations',
      summary: 'List invitations (admins: all; others: the ones they sent)',
      params: [queryParam('status', 'pending, accepted or revoked', enumOf(['pending', 'accepted', 'revoked'])), queryParam('email', 'Exact address'), ...cursorParams(200)],
      ok: 200,
      response: page(ref('Invitation')),
      errors: [400],
    }),
    post: operation({
      tag: 'Invitations',
      summary: 'Invite an e-mail address into groups; applied when that user is provisioned (at once if they exist and the caller can see them)',
      description: 'An existing user the caller cannot see is neither revealed nor added: the invitation stays pending, answered as for an address no user has.',
      body: obj(
        { email: str(undefined, { format: 'email', minLength: 3, maxLength: 254 }), groupIds: { ...arrayOf(str(undefined, { minLength: 1 })), minItems: 1 }, role: enumOf(['member', 'manager']) },
        ['email', 'groupIds'],
        { additionalProperties: false },
      ),
      ok: 201,
      response: ref('Invitation'),
      errors: [400, 403, 404, 409],
    }),
  },
  '/invitations/{id}': {
    get: operation({ tag: 'Invitations', summary: 'Get an invitation', params: [pathParam('id', 'Invitation id')], ok: 200, response: ref('Invitation'), errors: [404] }),
    delete: operation({
      tag: 'Invitations',
      summary: 'Revoke a pending invitation (kept as revoked)',
      params: [pathParam('id', 'Invitation id')],
      ok: 200,
      response: ref('Invitation'),
      errors: [404, 409],
    }),
  },
  '/users': {
    get: operation({
      tag: 'Users',
      summary: "Search users (admins: all; customer admins: customers and their groups' users; owners, managers and Group Administrators: their groups' users)",
      params: [
        queryParam('q', 'Start of userName, e-mail or display name', str(undefined, { maxLength: 100 })),
        queryParam(
          'search',
          'People search: every word must equal a whole word or value of any attribute (name, e-mail or its domain, userName, externalId, enterprise and custom values), ignoring case. ' +
            "While users stored before people search are being caught up (started by the tenant's first search), the answer carries `indexing: true` and may miss them",
        ),
        queryParam('audience', 'user or customer', enumOf(['user', 'customer'])),
        ...cursorParams(200),
      ],
      ok: 200,
      response: { ...page(ref('UserSummary')), description: 'With `search`, also `indexing: true` while older users are being caught up' },
      errors: [400, 403],
    }),
    post: operation({
      tag: 'Users',
      summary: 'Provision a user (admins); pending invitations for the address are applied',
      body: {
        ...obj(
          {
            userName: str('Default: email', { minLength: 1, maxLength: 254 }),
            email: str(undefined, { format: 'email', maxLength: 254 }),
            displayName: str(undefined, { maxLength: 256 }),
            audience: enumOf(['user', 'customer']),
            active: { type: 'boolean' },
          },
          [],
          { additionalProperties: false },
        ),
        anyOf: [{ required: ['userName'] }, { required: ['email'] }],
      },
      ok: 201,
      response: ref('UserSummary'),
      errors: [400, 403, 409],
    }),
  },
  '/users/{id}': {
    get: operation({
      tag: 'Users',
      summary: 'Get a user with the groups the caller may see them in, and why they are in each',
      params: [pathParam('id', 'User id')],
      ok: 200,
      response: {
        allOf: [
          ref('UserSummary'),
          obj({
            groups: arrayOf(
              obj({
                groupId: str(),
                groupName: nullable(str()),
                role: str(),
                sources: arrayOf(str()),
                why: arrayOf(
                  obj(
                    {
                      source: str(),
                      kind: enumOf(['scim', 'manual', 'import', 'owner', 'rule', 'mapping', 'dynamic', 'automatic', 'unknown']),
                      description: str('e.g. matches auto-assignment rule "Support": department = "Support"'),
                      rule: obj({ id: str(), name: str(), expression: str(), enabled: { type: 'boolean' } }, ['id', 'name', 'expression']),
                    },
                    ['source', 'kind', 'description'],
                  ),
                ),
                cause: nullable(
                  obj({ at: str(undefined, { format: 'date-time' }), actor: obj({ type: str(), id: str() }), after: {} }, ['at', 'actor'], {
                    description: 'Admins: the newest event that added this membership (after.expression, after.trigger: the user change that caused it)',
                  }),
                ),
              }),
            ),
            attributes: { type: 'object', description: "Admins: the user's SCIM attributes (core, enterprise and custom extensions; never the password)" },
            recentEvents: { ...arrayOf(ref('AuditEvent')), description: "Admins: the user's newest audit events (their own and the membership changes naming them), newest first" },
          }),
        ],
      },
      errors: [404],
    }),
  },
  '/audit': {
    get: operation({
      tag: 'Audit',
      summary: 'The audit log, newest first (admins)',
      params: [
        queryParam(
          'category',
          'auto_assignment: every membership change a rule, SSO mapping or dynamic group made (actor rule:<id>; after.expression, and after.trigger: the user change that caused it)',
          enumOf(['auto_assignment']),
        ),
        queryParam('action', "Exact action, or a prefix ending in '.' or '*' (group. / group.member*)"),
        queryParam('actor', 'Actor id, or type:id (admin:usr_…, scim-token:tok_…)'),
        queryParam('objectId', 'Object id'),
        queryParam('objectType', 'Object type (Group, User, Invitation, …)'),
        queryParam(
          'actorName',
          "The actor by name: a user (whole words of their name, or their e-mail), a SCIM token by its label, a rule by its name (ignoring case; an id works too). The answer's `matched.actor` lists what the name stood for (at most 50)",
          str(undefined, { maxLength: 300 }),
        ),
        queryParam(
          'objectName',
          'What the event is about, by name: a user (whole words of their name, or their e-mail; their membership events included) or a group by its name (ignoring case; an id works too). `matched.object` lists what it stood for',
          str(undefined, { maxLength: 300 }),
        ),
        queryParam('from', 'From this time (inclusive)', str(undefined, { format: 'date-time' })),
        queryParam('to', 'Until this time (exclusive)', str(undefined, { format: 'date-time' })),
        ...cursorParams(500),
      ],
      ok: 200,
      response: {
        ...page(ref('AuditEvent')),
        description: 'With actorName/objectName, also `matched: {actor?, object?}`: the things each name stood for, [{id, kind: user|group|token|rule, name}] (an empty list: no event matches)',
      },
      errors: [400, 403],
    }),
  },
};

/** Operations of the roles, grants, resources and permissions routes (src/admin/routes/{roles,permissions,group-grants,resources}.ts). */
const permissionPaths: PathItems = {
  '/roles': {
    get: operation({ tag: 'Roles', summary: 'List roles', params: [queryParam('q', 'Part of the name')], ok: 200, response: obj({ items: arrayOf(ref('Role')) }) }),
    post: operation({
      tag: 'Roles',
      summary: 'Create a role (admins; customer admins: customer roles, never admin-level); privileges checked against catalogue dependencies',
      body: ref('RoleInput'),
      ok: 201,
      response: ref('Role'),
      errors: [400, 403, 409],
    }),
  },
  '/roles/{id}': {
    get: operation({ tag: 'Roles', summary: 'Get a role', params: [pathParam('id', 'Role id')], ok: 200, response: ref('Role'), errors: [404] }),
    patch: operation({ tag: 'Roles', summary: 'Change a role', params: [pathParam('id', 'Role id')], body: ref('RoleUpdate'), ok: 200, response: ref('Role'), errors: [400, 403, 404, 409] }),
    delete: operation({ tag: 'Roles', summary: 'Delete a role', params: [pathParam('id', 'Role id')], ok: 204, errors: [403, 404, 409] }),
  },
  '/permissions/catalog': {
    get: operation({ tag: 'Permissions', summary: 'The permission catalogue', ok: 200, response: ref('Catalog') }),
  },
  '/groups/{id}/roles': {
    get: operation({
      tag: 'Grants',
      summary: "The group's roles (own and inherited)",
      params: [groupId],
      ok: 200,
      response: obj({ items: arrayOf({ type: 'object', additionalProperties: true }) }),
      errors: [404],
    }),
    post: operation({
      tag: 'Grants',
      summary: 'Assign a role to the group',
      params: [groupId],
      body: obj({ roleId: str(undefined, { minLength: 1 }) }, ['roleId'], { additionalProperties: false }),
      ok: 201,
      alsoOk: { status: 200, description: 'Assigned already' },
      response: { type: 'object', additionalProperties: true },
      errors: [400, 403, 404, 409],
    }),
  },
  '/groups/{id}/roles/{roleId}': {
    delete: operation({ tag: 'Grants', summary: 'Revoke a role from the group', params: [groupId, pathParam('roleId', 'Role id')], ok: 204, errors: [403, 404] }),
  },
  '/groups/{id}/resources': {
    get: operation({
      tag: 'Grants',
      summary: 'Resources assigned to the group',
      params: [groupId],
      ok: 200,
      response: obj({ items: arrayOf({ type: 'object', additionalProperties: true }) }),
      errors: [404],
    }),
    post: operation({
      tag: 'Grants',
      summary: 'Assign a resource (agent, data source, project) to the group at a level',
      params: [groupId],
      body: obj({ resourceId: str(undefined, { minLength: 1 }), level: enumOf(['hide', 'view', 'use', 'edit', 'create', 'delete']) }, ['resourceId', 'level'], { additionalProperties: false }),
      ok: 201,
      alsoOk: { status: 200, description: 'Assigned at that level already (outcome unchanged)' },
      response: { type: 'object', additionalProperties: true },
      errors: [400, 403, 404, 409],
    }),
  },
  '/groups/{id}/resources/{resourceId}': {
    delete: operation({ tag: 'Grants', summary: 'Take a resource away from the group', params: [groupId, pathParam('resourceId', 'Resource id')], ok: 204, errors: [403, 404] }),
  },
  '/users/{id}/permissions': {
    get: operation({
      tag: 'Permissions',
      summary: "A user's effective permissions, with the group and role behind each",
      params: [pathParam('id', 'User id')],
      ok: 200,
      response: ref('Permissions'),
      errors: [403, 404],
    }),
  },
  '/users/{id}/roles': {
    get: operation({
      tag: 'Grants',
      summary: 'Roles assigned to the user directly (their org-level role)',
      params: [pathParam('id', 'User id')],
      ok: 200,
      response: obj({ items: arrayOf({ type: 'object', additionalProperties: true }) }, [], { additionalProperties: true }),
      errors: [403, 404],
    }),
    post: operation({
      tag: 'Grants',
      summary: 'Assign a role to the user directly (201 when new, 200 when it was assigned already)',
      params: [pathParam('id', 'User id')],
      body: obj({ roleId: str(undefined, { minLength: 1 }) }, ['roleId'], { additionalProperties: false }),
      ok: 201,
      alsoOk: { status: 200, description: 'Assigned already' },
      response: { type: 'object', additionalProperties: true },
      errors: [400, 403, 404],
    }),
  },
  '/users/{id}/roles/{roleId}': {
    delete: operation({ tag: 'Grants', summary: 'Revoke a role assigned to the user directly', params: [pathParam('id', 'User id'), pathParam('roleId', 'Role id')], ok: 204, errors: [403, 404] }),
  },
  '/resources': {
    get: operation({
      tag: 'Resources',
      summary: 'List agents, data sources and projects (non-admins: those of their groups)',
      params: [
        queryParam('type', 'agent, data source or project', enumOf(['agent', 'data source', 'project'])),
        queryParam('q', 'Part of the name', str(undefined, { maxLength: 100 })),
        queryParam('groupId', 'Resources assigned to this group'),
        queryParam('page', '1-based page', { type: 'integer', minimum: 1, maximum: 100000 }),
        queryParam('limit', 'Page size (max 200)', { type: 'integer', minimum: 1, maximum: 200 }),
      ],
      ok: 200,
      response: obj({ items: arrayOf(ref('Resource')), page: { type: 'integer' }, limit: { type: 'integer' }, total: { type: 'integer' } }),
      errors: [400],
    }),
    post: operation({
      tag: 'Resources',
      summary: 'Create a resource; with groupId also assign it to that group (how a Group Administrator creates a project)',
      body: obj(
        {
          type: enumOf(['agent', 'data source', 'project']),
          name: str(undefined, { minLength: 1 }),
          groupId: str(undefined, { minLength: 1 }),
          level: {
            ...enumOf(['hide', 'view', 'use', 'edit', 'create', 'delete'], "With groupId: the group's level (null or absent: edit)"),
            enum: ['hide', 'view', 'use', 'edit', 'create', 'delete', null],
            nullable: true,
          },
        },
        ['type', 'name'],
        { additionalProperties: false },
      ),
      ok: 201,
      response: ref('Resource'),
      errors: [400, 403, 404, 409],
    }),
  },
  '/resources/{id}': {
    get: operation({ tag: 'Resources', summary: 'Get a resource with the groups it is assigned to', params: [pathParam('id', 'Resource id')], ok: 200, response: ref('Resource'), errors: [404] }),
    patch: operation({
      tag: 'Resources',
      summary: 'Rename a resource',
      params: [pathParam('id', 'Resource id')],
      body: obj({ name: str(undefined, { minLength: 1 }) }, ['name'], { additionalProperties: false }),
      ok: 200,
      response: ref('Resource'),
      errors: [400, 403, 404, 409],
    }),
    delete: operation({ tag: 'Resources', summary: 'Delete a resource and its assignments', params: [pathParam('id', 'Resource id')], ok: 204, errors: [403, 404] }),
  },
  '/authorize': {
    post: operation({
      tag: 'Permissions',
      summary: 'May this user do this? allow/deny with the reason',
      body: ref('AuthorizeRequest'),
      ok: 200,
      response: ref('AuthorizeDecision'),
      errors: [400, 404],
    }),
  },
};

export function adminOpenApiDocument(): Json {
  return {
    openapi: '3.0.3',
    info: {
      title: 'scim-sync admin API',
      version: '1',
      description:
        'Groups, hierarchy, members, invitations, Group Administrators, roles and permissions, and the audit log. ' +
        'Every call is scoped to the tenant of the bearer JWT (claims sub, tenant, role; kind "operator" for a token with no user), or of the operator console\'s session cookie (an operator; POST, PATCH and DELETE also need its X-CSRF-Token header); objects of other tenants answer 404. ' +
        'A user token is refused while its user is deleted (401) or deactivated (403). ' +
        'Errors are {"error": {"code", "message", "details"}}.',
    },
    servers: [{ url: '/admin/v1' }],
    security: [{ bearerAuth: [] }, { consoleSession: [] }],
    tags: [
      'Groups',
      'Members',
      'Group administrators',
      'Projects',
      'Invitations',
      'Users',
      'Roles',
      'Grants',
      'Resources',
      'Permissions',
      'Rules',
      'Sync',
      'Audit',
      'Session',
      'IdP connection',
      'Events',
      'Webhooks',
      'Deprovisioning',
      'Meta',
    ].map((name) => ({ name })),
    // The rules and sync routes describe themselves beside their code; merged here.
    paths: withGuardAnswers(
      combinePaths(
        paths,
        permissionPaths,
        rulesOpenApi.paths as PathItems,
        syncOpenApi.paths as PathItems,
        sessionOpenApi.paths as PathItems,
        scimTokensOpenApi.paths as PathItems,
        eventsOpenApi.paths as PathItems,
        webhooksOpenApi.paths as PathItems,
        provisioningLogOpenApi.paths as PathItems,
        consoleLinksOpenApi.paths as PathItems,
        deprovisioningOpenApi.paths as PathItems,
      ),
    ),
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        consoleSession: { type: 'apiKey', in: 'cookie', name: 'scim_console_session', description: 'The operator console (/console); unsafe methods also need X-CSRF-Token from GET /session' },
      },
      schemas: {
        ...schemas,
        ...rulesOpenApi.schemas,
        ...syncOpenApi.schemas,
        ...sessionOpenApi.schemas,
        ...scimTokensOpenApi.schemas,
        ...eventsOpenApi.schemas,
        ...webhooksOpenApi.schemas,
        ...provisioningLogOpenApi.schemas,
        ...deprovisioningOpenApi.schemas,
      },
    },
  };
}

/**
 * The route guard (src/admin/route-guard.ts) answers 400 UNKNOWN_QUERY_PARAMETER on every operation,
 * so every operation declares 400, once, here rather than in each module's fragment.
 */
function withGuardAnswers(items: PathItems): PathItems {
  for (const ops of Object.values(items)) {
    for (const op of Object.values<Json>(ops)) {
      const responses = op.responses as Record<string, Json> | undefined;
      if (responses && !responses['400']) responses['400'] = { description: ERROR_STATUS[400] ?? 'Error', content: { 'application/json': { schema: ref('Error') } } };
    }
  }
  return items;
}

/** Path items from several modules; operations on one path from different modules are kept together. */
function combinePaths(...sources: PathItems[]): PathItems {
  const out: PathItems = {};
  for (const source of sources) for (const [path, ops] of Object.entries(source)) out[path] = { ...(out[path] ?? {}), ...ops };
  return out;
}
