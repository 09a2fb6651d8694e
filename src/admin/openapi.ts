/**
 * The OpenAPI 3.0 description of the admin API (/admin/v1), served at /admin/v1/openapi.json and
 * written to docs/openapi.json (`npm run docs:openapi`; test/admin/openapi-document.test.ts fails
 * when that file is not current). Generated from the operations the routes declare
 * (src/admin/contract: one schema per operation gives the validation, the types and this
 * document), merged with the hand-written fragments of the routes not migrated yet (audit, rules,
 * sync, provisioning log). test/admin/openapi.test.ts walks the
 * routes express has registered and fails when a route is undocumented or a documented operation
 * has no route.
 */
import { z } from 'zod';
import { ref, type Json } from './openapi-kit';
import { rulesOpenApi } from './routes/rules';
import { syncOpenApi } from './routes/sync';
import { eventsOperations } from './routes/events';
import { deprovisioningOperations } from './routes/deprovisioning';
import { webhooksOperations } from './routes/webhooks';
import { provisioningLogOpenApi } from './routes/provisioning-log';
import { sessionOperations } from './routes/session';
import { scimTokensOperations } from './routes/scim-tokens';
import { consoleLinksOperations } from './routes/console-links';
import { groupsOperations } from './routes/groups';
import { membersOperations } from './routes/members';
import { administratorsOperations } from './routes/administrators';
import { projectsOperations } from './routes/projects';
import { invitationsOperations } from './routes/invitations';
import { usersOperations } from './routes/users';
import { rolesOperations } from './routes/roles';
import { permissionsOperations } from './routes/permissions';
import { groupGrantsOperations } from './routes/group-grants';
import { resourcesOperations } from './routes/resources';
import { operation, type Operation } from './contract/operation';
import { ERROR_STATUS, errorRef, pathsOf, SchemaConverter, type PathItems } from './contract/document';
import { SHARED_SCHEMAS } from './contract/schemas';

/** GET /openapi.json (src/admin/routes/openapi.ts): public. */
export const openApiOperation = operation({
  method: 'get',
  path: '/openapi.json',
  tag: 'Meta',
  summary: 'This document',
  public: true,
  responses: { 200: { description: 'OK', schema: z.looseObject({}).meta({ id: 'OpenApi' }) } },
});

/** The operations declared once (src/admin/contract): validation, types and this document come from them. */
export const adminOperations: readonly Operation[] = [
  { openApiOperation },
  sessionOperations,
  scimTokensOperations,
  consoleLinksOperations,
  groupsOperations,
  membersOperations,
  administratorsOperations,
  projectsOperations,
  invitationsOperations,
  usersOperations,
  rolesOperations,
  permissionsOperations,
  groupGrantsOperations,
  resourcesOperations,
  eventsOperations,
  webhooksOperations,
  deprovisioningOperations,
].flatMap((group) => Object.values(group) as Operation[]);

// ---- hand-written: GET /audit (src/admin/routes/audit.ts, not migrated yet) ----------------------

const queryParam = (name: string, description: string, schema: Json = { type: 'string' }): Json => ({ name, in: 'query', required: false, schema, description });
const auditPaths: PathItems = {
  '/audit': {
    get: {
      tags: ['Audit'],
      summary: 'The audit log, newest first (admins)',
      parameters: [
        queryParam(
          'category',
          'auto_assignment: every membership change a rule, SSO mapping or dynamic group made (actor rule:<id>; after.expression, and after.trigger: the user change that caused it)',
          { type: 'string', enum: ['auto_assignment'] },
        ),
        queryParam('action', "Exact action, or a prefix ending in '.' or '*' (group. / group.member*)"),
        queryParam('actor', 'Actor id, or type:id (admin:usr_…, scim-token:tok_…)'),
        queryParam('objectId', 'Object id'),
        queryParam('objectType', 'Object type (Group, User, Invitation, …)'),
        queryParam(
          'actorName',
          "The actor by name: a user (whole words of their name, or their e-mail), a SCIM token by its label, a rule by its name (ignoring case; an id works too). The answer's `matched.actor` lists what the name stood for (at most 50)",
          { type: 'string', maxLength: 300 },
        ),
        queryParam(
          'objectName',
          'What the event is about, by name: a user (whole words of their name, or their e-mail; their membership events included) or a group by its name (ignoring case; an id works too). `matched.object` lists what it stood for',
          { type: 'string', maxLength: 300 },
        ),
        queryParam('from', 'From this time (inclusive)', { type: 'string', format: 'date-time' }),
        queryParam('to', 'Until this time (exclusive)', { type: 'string', format: 'date-time' }),
        queryParam('cursor', 'Continue after the last item of the previous page (nextCursor)'),
        queryParam('limit', 'Page size (1-500)', { type: 'integer', minimum: 1, maximum: 500 }),
      ],
      responses: {
        '200': {
          description: 'OK. With actorName/objectName, also `matched: {actor?, object?}`: the things each name stood for, [{id, kind: user|group|token|rule, name}] (an empty list: no event matches)',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: { items: { type: 'array', items: ref('AuditEvent') }, nextCursor: { type: 'string', nullable: true } },
                required: ['items', 'nextCursor'],
              },
            },
          },
        },
        '401': { description: ERROR_STATUS[401], content: { 'application/json': { schema: errorRef } } },
        '403': { description: ERROR_STATUS[403], content: { 'application/json': { schema: errorRef } } },
      },
    },
  },
};

let cached: Json | undefined;

/** The document (built once per process, a copy per call). */
export function adminOpenApiDocument(): Json {
  cached ??= buildDocument();
  return structuredClone(cached);
}

function buildDocument(): Json {
  const converter = new SchemaConverter();
  for (const schema of SHARED_SCHEMAS) converter.convert(schema, 'output');
  const generated = pathsOf(adminOperations, converter);
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
    // Generated operations first; the hand-written fragments of the routes not migrated yet beside them.
    paths: withGuardAnswers(combinePaths(generated, auditPaths, rulesOpenApi.paths as PathItems, syncOpenApi.paths as PathItems, provisioningLogOpenApi.paths as PathItems)),
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        consoleSession: { type: 'apiKey', in: 'cookie', name: 'scim_console_session', description: 'The operator console (/console); unsafe methods also need X-CSRF-Token from GET /session' },
      },
      schemas: sortedKeys({
        ...converter.components,
        ...rulesOpenApi.schemas,
        ...syncOpenApi.schemas,
        ...provisioningLogOpenApi.schemas,
      }),
    },
  };
}

const sortedKeys = (o: Record<string, Json>): Record<string, Json> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

/**
 * The route guard (src/admin/route-guard.ts) answers 400 UNKNOWN_QUERY_PARAMETER on every operation,
 * so every operation declares 400 (generated operations do; the hand-written fragments get it here).
 */
function withGuardAnswers(items: PathItems): PathItems {
  for (const ops of Object.values(items)) {
    for (const op of Object.values<Json>(ops)) {
      const responses = op.responses as Record<string, Json> | undefined;
      if (responses && !responses['400']) responses['400'] = { description: ERROR_STATUS[400] ?? 'Error', content: { 'application/json': { schema: errorRef } } };
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
