import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { tenantAdminContext } from './route-kit';
import { RulesService } from '../../domain/sync/rules-service';
import { checkRuleExpression, MAX_RULE_NAME, requireRuleTarget } from '../../domain/sync/rule-validation';
import { audienceNote, MAX_SAMPLE, previewRule } from '../../domain/sync/rule-preview';
import { groupAudienceOf } from '../../domain/groups/user-identity';
import { RuleSetCache } from '../../domain/sync/rule-set';
import type { SyncDeps } from '../../domain/sync/sync-deps';
import { MAX_FILTER_LENGTH } from '../../expressions';
import { mount, operation } from '../contract/operation';
import { id, requiredText, timestamp } from '../contract/schema-kit';
import { AUDIENCES } from '../contract/schemas';

// ---- the contract: what these routes take and answer ----------------------------------------

/** The code every refused rule or mapping body answers (kept from the days of its hand-written reader). */
const RULE_FIELD = { 'x-error-code': 'RULE_INVALID_FIELD' } as const;
const IDP_GROUP_MAX = 256;
const PRIORITY_MAX = 1_000_000;

const expression = z
  .string()
  .min(1)
  .max(MAX_FILTER_LENGTH)
  .describe('SCIM filter syntax or the product form, e.g. department = "Sales" AND country in "US","CA" (its grammar is checked by the server: RULE_SYNTAX, RULE_UNKNOWN_ATTRIBUTE, RULE_TYPE)');
const ruleFields = {
  name: requiredText(MAX_RULE_NAME),
  expression,
  targetGroupId: id('The group the rule fills: an internal, static, active group that is not automatic'),
  enabled: z.boolean(),
  priority: z.number().int().min(-PRIORITY_MAX).max(PRIORITY_MAX).describe('Lower runs first (default 100)'),
};
const ruleCreate = z.strictObject({ ...ruleFields, enabled: ruleFields.enabled.optional(), priority: ruleFields.priority.optional() }).meta({ id: 'RuleInput', ...RULE_FIELD });
const ruleUpdate = z
  .strictObject({
    name: ruleFields.name.optional(),
    expression: ruleFields.expression.optional(),
    targetGroupId: ruleFields.targetGroupId.optional(),
    enabled: ruleFields.enabled.optional(),
    priority: ruleFields.priority.optional(),
  })
  .meta({ id: 'RuleUpdate', ...RULE_FIELD });
const mappingCreate = z
  .strictObject({
    // As sent (not trimmed): it is matched against the IdP's group names exactly.
    idpGroup: z.string().min(1).max(IDP_GROUP_MAX).regex(/\S/, { error: 'must not be blank' }).describe('The displayName or externalId of an IdP group, as the IdP sends it'),
    targetGroupId: ruleFields.targetGroupId,
    name: ruleFields.name.optional().describe('Default: "SSO group <idpGroup>"'),
    enabled: ruleFields.enabled.optional(),
    priority: ruleFields.priority.optional(),
  })
  .meta({ id: 'MappingInput', ...RULE_FIELD });
const validateBody = z
  .strictObject({
    // Any text: one that does not parse or type-check is the 200 {valid: false} the editor shows as you type.
    expression: z.string().describe('The expression to check (a syntax error is a 200 {valid: false}, not a 400)'),
    targetGroupId: id('With a target, also say whom its audience leaves out').optional(),
  })
  .meta({ id: 'RuleValidationInput', ...RULE_FIELD });
const previewBody = z
  .strictObject({
    expression,
    targetGroupId: id('Compare against this group (its audience and current members)').optional(),
    ruleId: id('Compare against what this existing rule gave (its source); its target unless targetGroupId is given').optional(),
    sampleSize: z.number().int().min(0).max(MAX_SAMPLE).optional().describe(`Users listed per sample (0-${MAX_SAMPLE}, default 20)`),
  })
  .meta({ id: 'RulePreviewInput', ...RULE_FIELD });

const RuleRunResultSchema = z
  .strictObject({
    version: z.number().int(),
    outcome: z.enum(['completed', 'removed', 'targetMissing']),
    matched: z.number().int(),
    added: z.number().int(),
    removed: z.number().int(),
    durationMs: z.number().int(),
    startedAt: timestamp(),
    finishedAt: timestamp(),
  })
  .meta({ id: 'RuleRunResult' });

export const RuleSchema = z
  .strictObject({
    id: z.string(),
    kind: z.enum(['rule', 'mapping', 'dynamic']).describe("dynamic: a dynamic group's own rule (read-only here: its group manages it)"),
    name: z.string(),
    expression: z.string(),
    targetGroupId: z.string(),
    enabled: z.boolean(),
    priority: z.number().int(),
    idpGroup: z.string().optional().describe('Mappings: the IdP group mapped'),
    version: z.number().int(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
    sync: z
      .strictObject({
        pending: z.boolean().describe("The rule's latest change is still being applied"),
        pendingSince: timestamp().optional(),
        progress: z.strictObject({ matched: z.number().int(), added: z.number().int(), removed: z.number().int() }).optional().describe('How far the running full run got'),
      })
      .describe('Whether the latest change is applied'),
    lastRun: RuleRunResultSchema.optional(),
    targetMissing: z.boolean().optional().describe('The target group was deleted: the rule was disabled with it and gives nothing'),
  })
  .meta({ id: 'Rule' });

export const RuleValidationSchema = z
  .discriminatedUnion('valid', [
    z.strictObject({
      valid: z.literal(true),
      syntax: z.enum(['product', 'scim']),
      attributes: z.array(z.string()).describe('The attributes it reads (schema URNs for extensions)'),
      usesGroups: z.boolean(),
      groupNames: z.array(z.string()).describe('IdP group names a `groups` test names'),
      targetGroupId: z.string().optional(),
      targetAudience: z.enum(AUDIENCES).optional(),
      note: z.string().optional().describe("Whom the target's audience leaves out: a rule adds only users of its target group's audience"),
    }),
    z.strictObject({
      valid: z.literal(false),
      error: z.strictObject({
        code: z.string().describe('RULE_SYNTAX, RULE_UNKNOWN_ATTRIBUTE, RULE_TYPE, …'),
        message: z.string(),
        line: z.number().int().optional(),
        column: z.number().int().optional(),
        hint: z.string().optional(),
      }),
    }),
  ])
  .meta({ id: 'RuleValidation' });

const PreviewUserSchema = z.strictObject({ id: z.string(), userName: z.string().optional(), displayName: z.string().optional() }).meta({ id: 'PreviewUser' });
const previewSide = () => z.strictObject({ count: z.number().int(), sample: z.array(PreviewUserSchema) });

export const RulePreviewSchema = z
  .strictObject({
    matched: z.number().int().describe('Active users the expression matches (with a target: those of its audience only)'),
    sample: z.array(PreviewUserSchema),
    membership: z
      .strictObject({
        targetGroupId: z.string(),
        adds: previewSide().describe('Matching users who are not members now and would be added'),
        removes: z
          .strictObject({ ...previewSide().shape, leavingGroup: z.number().int().describe('Of them, members by this rule only: they would leave the group') })
          .describe('Users the rule (ruleId) gave membership to who no longer match: they lose its source'),
        alreadyMembers: z.number().int(),
      })
      .optional()
      .describe('Against the target group (absent without one)'),
    audience: z
      .strictObject({
        target: z.enum(AUDIENCES),
        excluded: previewSide().describe('Users the expression matches whom the audience leaves out'),
        note: z.string(),
      })
      .optional()
      .describe("With a target: a rule adds only users of its target group's audience (internal users to user groups, customers to customer groups)"),
    usesGroups: z.boolean(),
    attributes: z.array(z.string()),
    warnings: z
      .array(
        z.strictObject({
          code: z.enum(['VALUE_NEVER_SEEN', 'IDP_GROUP_UNKNOWN', 'MATCHES_NO_ONE']),
          message: z.string(),
          attribute: z.string().optional(),
          value: z.string().optional(),
          suggestions: z.array(z.string()).describe('The nearest values seen (or IdP group names pushed), nearest first'),
        }),
      )
      .describe('VALUE_NEVER_SEEN: an `eq` on a value no user of the tenant was ever given; IDP_GROUP_UNKNOWN: a `groups` test naming no IdP group pushed; MATCHES_NO_ONE'),
    durationMs: z.number().int(),
  })
  .meta({ id: 'RulePreview' });

const rulePath = z.strictObject({ id: z.string().describe('Rule id') });
const mappingPath = z.strictObject({ id: z.string().describe('Mapping id') });
const ruleList = z.strictObject({ items: z.array(RuleSchema) });
const ADMIN = [403];

export const rulesOperations = {
  list: operation({
    method: 'get',
    path: '/rules',
    tag: 'Rules',
    summary: 'List rules (kind rule and mapping)',
    query: z.strictObject({ kind: z.enum(['rule', 'mapping']).optional().describe('Only rules or only mappings') }).meta({ 'x-error-code': 'RULE_INVALID_QUERY' }),
    responses: { 200: { description: 'OK', schema: ruleList } },
    errors: ADMIN,
  }),
  create: operation({
    method: 'post',
    path: '/rules',
    tag: 'Rules',
    summary: 'Create a rule; its full run is queued',
    body: ruleCreate,
    responses: { 201: { description: 'Created', schema: RuleSchema } },
    errors: ADMIN,
  }),
  validate: operation({
    method: 'post',
    path: '/rules/validate',
    tag: 'Rules',
    summary: "Parse and type-check an expression; with targetGroupId, also say whom the target's audience leaves out",
    body: validateBody,
    responses: { 200: { description: 'OK: {valid: true, …} or {valid: false, error} (a syntax error is not a 400)', schema: RuleValidationSchema } },
    errors: ADMIN,
  }),
  preview: operation({
    method: 'post',
    path: '/rules/preview',
    tag: 'Rules',
    summary: 'Dry run: matches, a sample, and adds/removes against current membership; changes nothing',
    body: previewBody,
    responses: { 200: { description: 'OK', schema: RulePreviewSchema } },
    errors: [...ADMIN, 404],
  }),
  get: operation({
    method: 'get',
    path: '/rules/{id}',
    tag: 'Rules',
    summary: "Read a rule with its sync state and last run (a dynamic group's own rule too, read-only)",
    params: rulePath,
    responses: { 200: { description: 'OK', schema: RuleSchema } },
    errors: [...ADMIN, 404],
  }),
  update: operation({
    method: 'patch',
    path: '/rules/{id}',
    tag: 'Rules',
    summary: "Change a rule (partial); its full run is queued. A dynamic group's rule: 409 RULE_MANAGED_BY_GROUP",
    params: rulePath,
    body: ruleUpdate,
    responses: { 200: { description: 'OK', schema: RuleSchema } },
    errors: [...ADMIN, 404, 409],
  }),
  delete: operation({
    method: 'delete',
    path: '/rules/{id}',
    tag: 'Rules',
    summary: "Delete a rule; the memberships it gave are removed by the worker. A dynamic group's rule: 409 RULE_MANAGED_BY_GROUP",
    params: rulePath,
    responses: { 204: { description: 'Done; no content' } },
    errors: [...ADMIN, 404, 409],
  }),
  run: operation({
    method: 'post',
    path: '/rules/{id}/run',
    tag: 'Rules',
    summary: 'Run the rule over the whole tenant again (reconcile)',
    params: rulePath,
    responses: { 202: { description: 'Queued', schema: RuleSchema } },
    errors: [...ADMIN, 404],
  }),
  listMappings: operation({
    method: 'get',
    path: '/mappings',
    tag: 'Rules',
    summary: 'List SSO attribute mappings',
    responses: { 200: { description: 'OK', schema: ruleList } },
    errors: ADMIN,
  }),
  createMapping: operation({
    method: 'post',
    path: '/mappings',
    tag: 'Rules',
    summary: 'Map an IdP group to a group (a rule `groups eq "<idpGroup>"`)',
    body: mappingCreate,
    responses: { 201: { description: 'Created', schema: RuleSchema } },
    errors: ADMIN,
  }),
  getMapping: operation({
    method: 'get',
    path: '/mappings/{id}',
    tag: 'Rules',
    summary: 'Read a mapping',
    params: mappingPath,
    responses: { 200: { description: 'OK', schema: RuleSchema } },
    errors: [...ADMIN, 404],
  }),
  deleteMapping: operation({
    method: 'delete',
    path: '/mappings/{id}',
    tag: 'Rules',
    summary: 'Delete a mapping',
    params: mappingPath,
    responses: { 204: { description: 'Done; no content' } },
    errors: [...ADMIN, 404],
  }),
};

// ---- the routes ----------------------------------------------------------------------------

function syncDepsOf(deps: AdminDeps): SyncDeps {
  return {
    models: deps.models,
    memberships: deps.memberships,
    registry: deps.registry,
    logger: deps.logger,
    ruleSets: new RuleSetCache(deps.models, deps.registry, deps.logger),
  };
}

/**
 * /rules: auto-assignment and SSO-mapping rules ("users matching EXPRESSION belong to GROUP").
 * Writes return at once; the worker applies the change (GET /rules/:id shows `sync.pending` and,
 * when done, `lastRun`). Mappings are rules too and reachable here; a dynamic group's own rule
 * is managed through its group, not here.
 */
export function rulesRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const rules = new RulesService(deps);
  const syncDeps = syncDepsOf(deps);
  const ops = rulesOperations;

  mount(router, ops.list, async ({ query }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'list rules');
    res.json({ items: await rules.list(ctx.tenantId, query.kind) });
  });
  mount(router, ops.validate, async ({ body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'validate rules');
    const check = checkRuleExpression(deps.registry, body.expression);
    if (body.targetGroupId === undefined || !check.valid) {
      res.json(check);
      return;
    }
    // With a target, say whom its audience leaves out (the same rule every path obeys).
    const target = await requireRuleTarget(deps.models, ctx.tenantId, body.targetGroupId, 'rule');
    const audience = groupAudienceOf(target);
    res.json({ ...check, targetGroupId: target._id, targetAudience: audience, note: audienceNote(audience) });
  });
  mount(router, ops.preview, async ({ body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'preview rules');
    res.json(await previewRule(syncDeps, ctx.tenantId, body));
  });
  mount(router, ops.create, async ({ body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'create rules');
    res.status(201).json(await rules.create(ctx, body));
  });
  mount(router, ops.get, async ({ params }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'read rules');
    res.json(await rules.get(ctx.tenantId, params.id));
  });
  mount(router, ops.update, async ({ params, body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'change rules');
    res.json(await rules.update(ctx, params.id, body));
  });
  mount(router, ops.delete, async ({ params }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'delete rules');
    await rules.delete(ctx, params.id);
    res.status(204).end();
  });
  mount(router, ops.run, async ({ params }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'run rules');
    res.status(202).json(await rules.rerun(ctx, params.id));
  });
  return router;
}

/** `groups eq "<name>"`, quoted as a SCIM string (RFC 7644 §3.4.2.2 / JSON escaping). */
export function mappingExpression(idpGroup: string): string {
  return `groups eq ${JSON.stringify(idpGroup)}`;
}

/** A mapping's name when none is given: "SSO group <idpGroup>", within a rule name's limit. */
export function defaultMappingName(idpGroup: string): string {
  return `SSO group ${idpGroup.trim()}`.slice(0, MAX_RULE_NAME).trim();
}

/**
 * /mappings: SSO attribute mapping, "members of IdP group X belong to group Y". Sugar over a
 * rule testing `groups` (same engine, same `rule:<id>` source); listed under /rules too.
 */
export function mappingsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const rules = new RulesService(deps);
  const ops = rulesOperations;

  mount(router, ops.listMappings, async (_input, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'list mappings');
    res.json({ items: await rules.list(ctx.tenantId, 'mapping') });
  });
  mount(router, ops.createMapping, async ({ body }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'create mappings');
    const { idpGroup, name, ...rest } = body;
    const view = await rules.create(ctx, { ...rest, name: name ?? defaultMappingName(idpGroup), expression: mappingExpression(idpGroup) }, { kind: 'mapping', idpGroup });
    res.status(201).json(view);
  });
  mount(router, ops.getMapping, async ({ params }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'read mappings');
    res.json(await rules.get(ctx.tenantId, params.id, 'mapping'));
  });
  mount(router, ops.deleteMapping, async ({ params }, req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'delete mappings');
    await rules.delete(ctx, params.id, 'mapping');
    res.status(204).end();
  });
  return router;
}
