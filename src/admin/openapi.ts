/**
 * The OpenAPI 3.0 description of the admin API (/admin/v1), served at /admin/v1/openapi.json and
 * written to docs/openapi.json (`npm run docs:openapi`; test/admin/openapi-document.test.ts fails
 * when that file is not current). Generated from the operations the routes declare
 * (src/admin/contract: one schema per operation gives the validation, the types and this
 * document). test/admin/openapi.test.ts walks the
 * routes express has registered and fails when a route is undocumented or a documented operation
 * has no route.
 */
import { z } from 'zod';
import { rulesOperations } from './routes/rules';
import { syncOperations } from './routes/sync';
import { auditOperations } from './routes/audit';
import { eventsOperations } from './routes/events';
import { deprovisioningOperations } from './routes/deprovisioning';
import { webhooksOperations } from './routes/webhooks';
import { provisioningLogOperations } from './routes/provisioning-log';
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
import { pathsOf, SchemaConverter } from './contract/document';

type Json = Record<string, unknown>;
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
  rulesOperations,
  syncOperations,
  auditOperations,
  provisioningLogOperations,
  eventsOperations,
  webhooksOperations,
  deprovisioningOperations,
].flatMap((group) => Object.values(group) as Operation[]);

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
    paths: generated,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        consoleSession: { type: 'apiKey', in: 'cookie', name: 'scim_console_session', description: 'The operator console (/console); unsafe methods also need X-CSRF-Token from GET /session' },
      },
      schemas: sortedKeys(converter.components),
    },
  };
}

const sortedKeys = (o: Record<string, Json>): Record<string, Json> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
