import express, { type Router } from 'express';
import { adminErrors, ref, type Json } from '../openapi-kit';
import type { AdminDeps } from '../admin-deps';
import { param, tenantAdminContext } from './route-kit';
import { invalid, readBody, readIdList } from '../../domain/groups/input';
import { mergeSettingsInput, readSettings } from '../../domain/deprovisioning/settings';
import { allowHeld, listHeldChanges, rejectHeld, type DecisionSelection } from '../../domain/deprovisioning/held-changes';
import { linkUserToIdp } from '../../domain/deprovisioning/linking';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';
import { auditEvent } from '../../domain/audit';

/**
 * /deprovisioning: the tenant's circuit breaker and lifecycle settings, the held changes and the
 * admin's Allow / Reject (all, or per user), and /users/{id}/link (safe linking). Tenant admins
 * only (access policy: canConfigureTenant); docs/deprovisioning.md.
 */
export function deprovisioningRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const breakerDeps = { models: deps.models, memberships: deps.memberships, enqueuer: deps.producer };
  /** `userIds` and `groupIds` (both absent: every held change). */
  const selectionOf = (input: unknown): DecisionSelection | undefined => {
    // No body, or {}: every held change. A JSON null or any other non-object is refused (readBody), not
    // taken for "everyone": allowing every held deprovision is not something a malformed request does.
    if (input === undefined) return undefined;
    const body = readBody(input, ['userIds', 'groupIds']);
    const list = (field: 'userIds' | 'groupIds', what: string) => {
      if (body[field] === undefined) return undefined;
      const ids = readIdList(body, field, { max: 10_000 });
      if (ids.length === 0) throw invalid(field, `"${field}" names no ${what}; leave it out to decide on every held change`);
      return ids;
    };
    const userIds = list('userIds', 'user');
    const groupIds = list('groupIds', 'group');
    if (!userIds && !groupIds) return undefined;
    return { ...(userIds && { userIds }), ...(groupIds && { groupIds }) };
  };

  router.get('/deprovisioning/settings', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'read the deprovisioning settings');
    const { settings, trippedAt } = await readSettings(deps.models, ctx.tenantId);
    res.json({ ...settings, breakerTrippedAt: trippedAt?.toISOString() ?? null });
  });
  router.patch('/deprovisioning/settings', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'change the deprovisioning settings');
    const tenants = repositoriesOf(deps.models).tenants;
    const stored = await tenants.deprovisioningOf(ctx.tenantId);
    if (!stored) throw new AppError('notFound', 'TENANT_NOT_FOUND', 'No such tenant');
    const next = mergeSettingsInput(stored.deprovisioning, req.body);
    await tenants.setDeprovisioning(ctx.tenantId, next);
    await repositoriesOf(deps.models).auditEvents.insertOnce(
      auditEvent({
        tenantId: ctx.tenantId,
        actor: ctx.actor,
        action: 'deprovisioning.settings.changed',
        object: { type: 'Tenant', id: ctx.tenantId },
        before: stored.deprovisioning ?? {},
        after: next,
        ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
      }),
    );
    const { settings, trippedAt } = await readSettings(deps.models, ctx.tenantId);
    res.json({ ...settings, breakerTrippedAt: trippedAt?.toISOString() ?? null });
  });
  router.get('/deprovisioning/held', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'read held deprovisions');
    res.json(await listHeldChanges(breakerDeps, ctx.tenantId));
  });
  router.post('/deprovisioning/held/allow', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'allow held deprovisions');
    res.json(await allowHeld(breakerDeps, ctx, selectionOf(req.body)));
  });
  router.post('/deprovisioning/held/reject', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'reject held deprovisions');
    res.json(await rejectHeld(breakerDeps, ctx, selectionOf(req.body)));
  });
  router.post('/users/:id/link', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'link users to the IdP');
    res.json(await linkUserToIdp(deps.models, ctx, param(req, 'id')));
  });
  return router;
}

// ---- OpenAPI description of these routes (merged into src/admin/openapi.ts) ----------------

const json = (schema: Json): Json => ({ content: { 'application/json': { schema } } });
const ok = (schema: Json): Json => ({ description: 'OK', ...json(schema) });
const tags = ['Deprovisioning'];
const idPath: Json = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'User id' };
const decisionBody: Json = {
  required: false,
  ...json({
    type: 'object',
    properties: {
      userIds: {
        type: 'array',
        items: { type: 'string' },
        minItems: 1,
        maxItems: 10000,
        description: 'The users to decide on (their deprovisions and IdP group-member removals); absent with groupIds: every held change',
      },
      groupIds: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 10000, description: "The IdP groups whose members' held removals to decide on" },
    },
  }),
};
/** The IdP request that a held group change records (its audit event's id, time, actor and request id). */
const heldRequest: Json = {
  type: 'object',
  properties: { id: { type: 'string' }, at: { type: 'string', format: 'date-time' }, actor: { type: 'object', additionalProperties: true }, requestId: { type: 'string' } },
  required: ['id', 'at', 'actor'],
};
const settingsSchema: Json = {
  type: 'object',
  properties: {
    breaker: {
      type: 'object',
      properties: {
        enabled: { type: 'boolean', description: 'Default true' },
        windowMinutes: { type: 'integer', minimum: 1, maximum: 10080, description: 'Sliding window (default 60)' },
        users: { type: 'integer', minimum: 0, description: 'Trips when the deprovisions in the window exceed this many users (default 25)…' },
        percentOfActive: { type: 'integer', minimum: 0, maximum: 100, description: '…and this percentage of the active users (default 10)' },
      },
    },
    exemptUserIds: { type: 'array', items: { type: 'string' }, description: 'Users the breaker never holds' },
    exemptGroupIds: { type: 'array', items: { type: 'string' }, description: 'Groups whose members the breaker never holds' },
    lifecycle: {
      type: 'object',
      properties: {
        inactiveUsers: { type: 'string', enum: ['keep', 'purge'], description: 'Default keep' },
        purgeAfterDays: { type: 'integer', minimum: 1, maximum: 3650, description: 'With purge: inactive users are deleted this many days after their deactivation (default 90)' },
      },
    },
    allowedEmailDomains: { type: 'array', items: { type: 'string' }, description: 'A SCIM create or update giving an address outside these domains is refused (400 invalidValue); empty: any' },
  },
};

export const deprovisioningOpenApi: { paths: Record<string, Json>; schemas: Record<string, Json> } = {
  paths: {
    '/deprovisioning/settings': {
      get: {
        tags,
        summary: 'The circuit breaker, exemptions, lifecycle and allowed e-mail domains in force (defaults filled in)',
        responses: { '200': ok(ref('DeprovisioningSettings')), ...adminErrors() },
      },
      patch: {
        tags,
        summary: 'Change them: the fields given replace the stored ones (lists whole)',
        requestBody: { required: true, ...json(settingsSchema) },
        responses: { '200': ok(ref('DeprovisioningSettings')), ...adminErrors(400) },
      },
    },
    '/deprovisioning/held': {
      get: {
        tags,
        summary: 'The breaker state and the users whose deprovisions are held (or were rejected), oldest first',
        responses: {
          '200': ok({
            type: 'object',
            properties: {
              breaker: { type: 'object', additionalProperties: true },
              held: { type: 'integer' },
              rejected: { type: 'integer' },
              items: { type: 'array', items: ref('HeldUser') },
              groupChanges: {
                type: 'object',
                description: 'Held IdP group-member removals (SCIM shows them done, access kept), per membership, oldest first',
                properties: { held: { type: 'integer' }, rejected: { type: 'integer' }, items: { type: 'array', items: ref('HeldGroupChange') } },
                required: ['held', 'rejected', 'items'],
              },
              groupDeletions: { type: 'array', description: 'Held IdP group deletions (SCIM answers 404; the group stays for access), oldest first', items: ref('HeldGroupDeletion') },
            },
            required: ['breaker', 'held', 'rejected', 'items', 'groupChanges', 'groupDeletions'],
          }),
          ...adminErrors(),
        },
      },
    },
    '/deprovisioning/held/allow': {
      post: {
        tags,
        summary: 'Apply the held changes (all held users, or the ones named, rejected ones included: deactivate at once), in order; idempotent',
        requestBody: decisionBody,
        responses: { '200': ok(ref('HeldDecision')), ...adminErrors(400) },
      },
    },
    '/deprovisioning/held/reject': {
      post: {
        tags,
        summary: "Keep the users' access (all held users, or the ones named); the IdP's state stays shown as held; idempotent",
        requestBody: decisionBody,
        responses: { '200': ok(ref('HeldDecision')), ...adminErrors(400) },
      },
    },
    '/users/{id}/link': {
      post: {
        tags,
        summary: "Link a user the admin API created to the IdP: the IdP's create of a matching user adopts it (same id and access), and the IdP owns it from then on",
        parameters: [idPath],
        responses: { '200': ok({ allOf: [ref('UserSummary'), { type: 'object', properties: { linked: { type: 'boolean' } } }] }), ...adminErrors(404, 409) },
      },
    },
  },
  schemas: {
    DeprovisioningSettings: { ...settingsSchema, properties: { ...(settingsSchema.properties as Record<string, Json>), breakerTrippedAt: { type: 'string', format: 'date-time', nullable: true } } },
    HeldUser: {
      type: 'object',
      properties: {
        user: ref('UserSummary'),
        idpState: { type: 'string', enum: ['inactive', 'deleted'], description: 'What the IdP asked (what SCIM shows)' },
        state: { type: 'string', enum: ['held', 'rejected'] },
        since: { type: 'string', format: 'date-time' },
        decidedAt: { type: 'string', format: 'date-time' },
        decidedBy: { type: 'string' },
        changes: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              kind: { type: 'string', enum: ['deactivate', 'delete'] },
              at: { type: 'string', format: 'date-time' },
              actor: { type: 'object', additionalProperties: true },
              requestId: { type: 'string' },
              retroactive: { type: 'boolean' },
            },
            required: ['id', 'kind', 'at', 'actor'],
          },
        },
      },
      required: ['user', 'idpState', 'state', 'since', 'changes'],
    },
    HeldGroupChange: {
      type: 'object',
      properties: {
        groupId: { type: 'string' },
        groupName: { type: 'string' },
        userId: { type: 'string' },
        userName: { type: 'string' },
        state: { type: 'string', enum: ['held', 'rejected'] },
        since: { type: 'string', format: 'date-time' },
        decidedAt: { type: 'string', format: 'date-time' },
        decidedBy: { type: 'string' },
        changes: {
          type: 'array',
          description: 'The IdP requests that removed the member, in order',
          items: heldRequest,
        },
      },
      required: ['groupId', 'userId', 'state', 'since', 'changes'],
    },
    HeldGroupDeletion: {
      type: 'object',
      properties: {
        groupId: { type: 'string' },
        groupName: { type: 'string' },
        state: { type: 'string', enum: ['held', 'rejected'] },
        since: { type: 'string', format: 'date-time' },
        decidedAt: { type: 'string', format: 'date-time' },
        decidedBy: { type: 'string' },
        change: heldRequest,
      },
      required: ['groupId', 'state', 'since', 'change'],
    },
    HeldDecision: {
      type: 'object',
      properties: {
        decided: { type: 'array', items: { type: 'string' } },
        unchanged: { type: 'array', items: { type: 'string' } },
        decidedGroupChanges: { type: 'array', items: { type: 'string' }, description: 'Held IdP group-member removals decided ("groupId|userId")' },
        decidedGroupDeletions: { type: 'array', items: { type: 'string' }, description: 'Held IdP group deletions decided (group ids)' },
      },
      required: ['decided', 'unchanged', 'decidedGroupChanges', 'decidedGroupDeletions'],
    },
  },
};
