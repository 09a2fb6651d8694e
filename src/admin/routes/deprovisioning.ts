import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { tenantAdminContext } from './route-kit';
import { DEPROVISIONING_LIMITS, EMAIL_DOMAIN_AS_SENT, EXEMPT_ID, mergeSettingsInput, readSettings } from '../../domain/deprovisioning/settings';
import { allowHeld, listHeldChanges, rejectHeld, type DecisionSelection } from '../../domain/deprovisioning/held-changes';
import { linkUserToIdp } from '../../domain/deprovisioning/linking';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';
import { auditEvent } from '../../domain/audit';
import { mount, operation } from '../contract/operation';
import { id, timestamp } from '../contract/schema-kit';
import { UserSummarySchema } from '../contract/schemas';

const L = DEPROVISIONING_LIMITS;
const int = (min: number, max: number, description: string) => z.number().int().min(min).max(max).optional().describe(description);
const unique = <T>(list: T[]): T[] => [...new Set(list)];
const exemptIds = (max: number, description: string) =>
  z
    .array(z.string().regex(EXEMPT_ID, { error: 'is not an id (1-64 letters, digits, _ or -)' }))
    .max(max)
    .transform(unique)
    .optional()
    .describe(description);

/** PATCH /deprovisioning/settings: the fields given replace the stored ones (lists whole). */
const SettingsPatchSchema = z.strictObject({
  breaker: z
    .strictObject({
      enabled: z.boolean().optional().describe('Default true'),
      windowMinutes: int(1, L.windowMinutes, 'Sliding window (default 60)'),
      users: int(0, L.users, 'Trips when the deprovisions in the window exceed this many users (default 25)…'),
      percentOfActive: int(0, 100, '…and this percentage of the active users (default 10)'),
    })
    .optional(),
  exemptUserIds: exemptIds(L.exemptUserIds, 'Users the breaker never holds'),
  exemptGroupIds: exemptIds(L.exemptGroupIds, 'Groups whose members the breaker never holds'),
  lifecycle: z
    .strictObject({
      inactiveUsers: z.enum(['keep', 'purge']).optional().describe('Default keep'),
      purgeAfterDays: int(1, L.purgeAfterDays, 'With purge: inactive users are deleted this many days after their deactivation (default 90)'),
    })
    .optional(),
  allowedEmailDomains: z
    .array(
      z
        .string()
        .max(253)
        .regex(EMAIL_DOMAIN_AS_SENT, { error: 'is not a domain name' })
        .transform((d) => d.trim().toLowerCase()),
    )
    .max(L.allowedEmailDomains)
    .transform(unique)
    .optional()
    .describe('A SCIM create or update giving an address outside these domains is refused (400 invalidValue); empty: any. Kept trimmed and in lower case'),
});

const SettingsSchema = z
  .strictObject({
    breaker: z.strictObject({ enabled: z.boolean(), windowMinutes: z.number().int(), users: z.number().int(), percentOfActive: z.number().int() }),
    exemptUserIds: z.array(z.string()),
    exemptGroupIds: z.array(z.string()),
    lifecycle: z.strictObject({ inactiveUsers: z.enum(['keep', 'purge']), purgeAfterDays: z.number().int() }),
    allowedEmailDomains: z.array(z.string()),
    breakerTrippedAt: timestamp().nullable(),
  })
  .meta({ id: 'DeprovisioningSettings' });

const HELD_STATES = ['held', 'rejected'] as const;
/** The IdP request that a held change records (its audit event's id, time, actor and request id). */
const HeldRequestSchema = z.strictObject({ id: z.string(), at: timestamp(), actor: z.looseObject({}), requestId: z.string().optional() });
const decision = { state: z.enum(HELD_STATES), since: timestamp(), decidedAt: timestamp().optional(), decidedBy: z.string().optional() };

const HeldUserSchema = z
  .strictObject({
    user: UserSummarySchema,
    idpState: z.enum(['inactive', 'deleted']).describe('What the IdP asked (what SCIM shows)'),
    ...decision,
    changes: z.array(z.strictObject({ ...HeldRequestSchema.shape, kind: z.enum(['deactivate', 'delete']), retroactive: z.boolean().optional() })),
  })
  .meta({ id: 'HeldUser' });
const HeldGroupChangeSchema = z
  .strictObject({
    groupId: z.string(),
    groupName: z.string().optional(),
    userId: z.string(),
    userName: z.string().optional(),
    ...decision,
    changes: z.array(HeldRequestSchema).describe('The IdP requests that removed the member, in order'),
  })
  .meta({ id: 'HeldGroupChange' });
const HeldGroupDeletionSchema = z.strictObject({ groupId: z.string(), groupName: z.string().optional(), ...decision, change: HeldRequestSchema }).meta({ id: 'HeldGroupDeletion' });
const HeldDecisionSchema = z
  .strictObject({
    decided: z.array(z.string()),
    unchanged: z.array(z.string()),
    decidedGroupChanges: z.array(z.string()).describe('Held IdP group-member removals decided ("groupId|userId")'),
    decidedGroupDeletions: z.array(z.string()).describe('Held IdP group deletions decided (group ids)'),
  })
  .meta({ id: 'HeldDecision' });

/** `userIds` and `groupIds` (both absent, or no body: every held change; a JSON null is refused, never read as "everyone"). */
const selectionList = (what: string, description: string) =>
  z
    .array(id())
    .min(1, { error: `names no ${what}; leave it out to decide on every held change` })
    .max(10_000)
    .transform(unique)
    .optional()
    .describe(description);
const DecisionBodySchema = z.strictObject({
  userIds: selectionList('user', 'The users to decide on (their deprovisions and IdP group-member removals); absent with groupIds: every held change'),
  groupIds: selectionList('group', "The IdP groups whose members' held removals to decide on"),
});

export const deprovisioningOperations = {
  getSettings: operation({
    method: 'get',
    path: '/deprovisioning/settings',
    tag: 'Deprovisioning',
    summary: 'The circuit breaker, exemptions, lifecycle and allowed e-mail domains in force (defaults filled in)',
    responses: { 200: { description: 'OK', schema: SettingsSchema } },
    errors: [403],
  }),
  patchSettings: operation({
    method: 'patch',
    path: '/deprovisioning/settings',
    tag: 'Deprovisioning',
    summary: 'Change them: the fields given replace the stored ones (lists whole)',
    body: SettingsPatchSchema,
    responses: { 200: { description: 'OK', schema: SettingsSchema } },
    errors: [403, 404],
  }),
  held: operation({
    method: 'get',
    path: '/deprovisioning/held',
    tag: 'Deprovisioning',
    summary: 'The breaker state and the users whose deprovisions are held (or were rejected), oldest first',
    responses: {
      200: {
        description: 'OK',
        schema: z.strictObject({
          breaker: z.looseObject({}).describe('The breaker settings in force, tripped and trippedAt'),
          held: z.number().int(),
          rejected: z.number().int(),
          items: z.array(HeldUserSchema),
          groupChanges: z
            .strictObject({ held: z.number().int(), rejected: z.number().int(), items: z.array(HeldGroupChangeSchema) })
            .describe('Held IdP group-member removals (SCIM shows them done, access kept), per membership, oldest first'),
          groupDeletions: z.array(HeldGroupDeletionSchema).describe('Held IdP group deletions (SCIM answers 404; the group stays for access), oldest first'),
        }),
      },
    },
    errors: [403],
  }),
  allow: operation({
    method: 'post',
    path: '/deprovisioning/held/allow',
    tag: 'Deprovisioning',
    summary: 'Apply the held changes (all held users, or the ones named, rejected ones included: deactivate at once), in order; idempotent',
    body: DecisionBodySchema,
    bodyOptional: true,
    responses: { 200: { description: 'OK', schema: HeldDecisionSchema } },
    errors: [403],
  }),
  reject: operation({
    method: 'post',
    path: '/deprovisioning/held/reject',
    tag: 'Deprovisioning',
    summary: "Keep the users' access (all held users, or the ones named); the IdP's state stays shown as held; idempotent",
    body: DecisionBodySchema,
    bodyOptional: true,
    responses: { 200: { description: 'OK', schema: HeldDecisionSchema } },
    errors: [403],
  }),
  link: operation({
    method: 'post',
    path: '/users/{id}/link',
    tag: 'Deprovisioning',
    summary: "Link a user the admin API created to the IdP: the IdP's create of a matching user adopts it (same id and access), and the IdP owns it from then on",
    params: z.strictObject({ id: z.string().describe('User id') }),
    responses: { 200: { description: 'OK', schema: z.looseObject({ ...UserSummarySchema.shape, linked: z.boolean() }) } },
    errors: [403, 404, 409],
  }),
};

/**
 * /deprovisioning: the tenant's circuit breaker and lifecycle settings, the held changes and the
 * admin's Allow / Reject (all, or per user), and /users/{id}/link (safe linking). Tenant admins
 * only (access policy: canConfigureTenant); docs/deprovisioning.md.
 */
export function deprovisioningRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const breakerDeps = { models: deps.models, memberships: deps.memberships, enqueuer: deps.producer };
  const ops = deprovisioningOperations;
  const selectionOf = (body: z.output<typeof DecisionBodySchema>): DecisionSelection | undefined =>
    body.userIds || body.groupIds ? { ...(body.userIds && { userIds: body.userIds }), ...(body.groupIds && { groupIds: body.groupIds }) } : undefined;

  mount(router, ops.getSettings, async (_input, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'read the deprovisioning settings');
    const { settings, trippedAt } = await readSettings(deps.models, ctx.tenantId);
    res.json({ ...settings, breakerTrippedAt: trippedAt?.toISOString() ?? null });
  });
  mount(router, ops.patchSettings, async ({ body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'change the deprovisioning settings');
    const tenants = repositoriesOf(deps.models).tenants;
    const stored = await tenants.deprovisioningOf(ctx.tenantId);
    if (!stored) throw new AppError('notFound', 'TENANT_NOT_FOUND', 'No such tenant');
    const next = mergeSettingsInput(stored.deprovisioning, body);
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
  mount(router, ops.held, async (_input, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'read held deprovisions');
    res.json(await listHeldChanges(breakerDeps, ctx.tenantId));
  });
  mount(router, ops.allow, async ({ body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'allow held deprovisions');
    res.json(await allowHeld(breakerDeps, ctx, selectionOf(body)));
  });
  mount(router, ops.reject, async ({ body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'reject held deprovisions');
    res.json(await rejectHeld(breakerDeps, ctx, selectionOf(body)));
  });
  mount(router, ops.link, async ({ params }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'link users to the IdP');
    res.json(await linkUserToIdp(deps.models, ctx, params.id));
  });
  return router;
}
