import { adminErrors, ref, type Json } from '../openapi-kit';
import express, { type Request, type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { param, tenantAdminContext } from './route-kit';
import { AppError } from '../../errors/app-error';
import { RulesService } from '../../domain/sync/rules-service';
import { checkRuleExpression, invalidField, requireRuleTarget } from '../../domain/sync/rule-validation';
import { audienceNote, previewRule } from '../../domain/sync/rule-preview';
import { groupAudienceOf } from '../../domain/groups/user-identity';
import { RuleSetCache } from '../../domain/sync/rule-set';
import type { SyncDeps } from '../../domain/sync/sync-deps';
import type { RuleKind } from '../../domain/sync/rule-records';

function bodyOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AppError('badRequest', 'BODY_NOT_OBJECT', 'The request body must be a JSON object');
  return body as Record<string, unknown>;
}

function kindQuery(req: Request): RuleKind | undefined {
  const kind = req.query.kind;
  if (kind === undefined) return undefined;
  if (kind === 'rule' || kind === 'mapping') return kind;
  throw new AppError('badRequest', 'RULE_INVALID_QUERY', 'kind must be "rule" or "mapping"', { details: { field: 'kind' } });
}

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

  router.get('/rules', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'list rules');
    res.json({ items: await rules.list(ctx.tenantId, kindQuery(req)) });
  });
  router.post('/rules/validate', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'validate rules');
    const body = bodyOf(req);
    // A malformed request is a 400; only a well-formed expression that does not parse or type-check
    // is the 200 {valid: false} answer the editor shows as you type.
    for (const key of Object.keys(body)) {
      if (key !== 'expression' && key !== 'targetGroupId')
        throw new AppError('badRequest', 'RULE_INVALID_FIELD', `Unknown field "${key}"; allowed: expression, targetGroupId`, { details: { field: key } });
    }
    if (typeof body.expression !== 'string') throw new AppError('badRequest', 'RULE_INVALID_FIELD', 'expression must be a string', { details: { field: 'expression' } });
    if (body.targetGroupId !== undefined && (typeof body.targetGroupId !== 'string' || body.targetGroupId === '')) {
      throw new AppError('badRequest', 'RULE_INVALID_FIELD', 'targetGroupId must be a group id', { details: { field: 'targetGroupId' } });
    }
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
  router.post('/rules/preview', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'preview rules');
    const body = bodyOf(req);
    res.json(await previewRule(syncDeps, ctx.tenantId, { expression: body.expression, targetGroupId: body.targetGroupId, ruleId: body.ruleId, sampleSize: body.sampleSize }));
  });
  router.post('/rules', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'create rules');
    res.status(201).json(await rules.create(ctx, bodyOf(req)));
  });
  router.get('/rules/:id', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'read rules');
    res.json(await rules.get(ctx.tenantId, param(req, 'id')));
  });
  router.patch('/rules/:id', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'change rules');
    res.json(await rules.update(ctx, param(req, 'id'), bodyOf(req)));
  });
  router.delete('/rules/:id', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'delete rules');
    await rules.delete(ctx, param(req, 'id'));
    res.status(204).end();
  });
  router.post('/rules/:id/run', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'run rules');
    res.status(202).json(await rules.rerun(ctx, param(req, 'id')));
  });
  return router;
}

/** `groups eq "<name>"`, quoted as a SCIM string (RFC 7644 §3.4.2.2 / JSON escaping). */
export function mappingExpression(idpGroup: string): string {
  return `groups eq ${JSON.stringify(idpGroup)}`;
}

/**
 * /mappings: SSO attribute mapping, "members of IdP group X belong to group Y". Sugar over a
 * rule testing `groups` (same engine, same `rule:<id>` source); listed under /rules too.
 */
export function mappingsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const rules = new RulesService(deps);

  router.get('/mappings', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'list mappings');
    res.json({ items: await rules.list(ctx.tenantId, 'mapping') });
  });
  router.post('/mappings', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'create mappings');
    const body = bodyOf(req);
    for (const key of Object.keys(body)) {
      if (!['idpGroup', 'targetGroupId', 'name', 'enabled', 'priority'].includes(key)) throw invalidField(key, `"${key}" is not a mapping field (idpGroup, targetGroupId, name, enabled, priority)`);
    }
    const idpGroup = body.idpGroup;
    if (typeof idpGroup !== 'string' || idpGroup.trim() === '' || idpGroup.length > 256) {
      throw invalidField('idpGroup', 'idpGroup must be the displayName or externalId of an IdP group (1-256 characters)');
    }
    const view = await rules.create(
      ctx,
      { name: body.name ?? `SSO group ${idpGroup}`, expression: mappingExpression(idpGroup), targetGroupId: body.targetGroupId, enabled: body.enabled, priority: body.priority },
      { kind: 'mapping', idpGroup },
    );
    res.status(201).json(view);
  });
  router.get('/mappings/:id', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'read mappings');
    res.json(await rules.get(ctx.tenantId, param(req, 'id'), 'mapping'));
  });
  router.delete('/mappings/:id', async (req, res) => {
    const ctx = await tenantAdminContext(deps, req, res, 'delete mappings');
    await rules.delete(ctx, param(req, 'id'), 'mapping');
    res.status(204).end();
  });
  return router;
}

// ---- OpenAPI description of these routes (merged into src/admin/openapi.ts) ----------------

const idPath = (what: string): Json => ({ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: `${what} id` });
const ok = (status: number, schema?: Json): Json => ({
  [String(status)]: schema ? { description: 'OK', content: { 'application/json': { schema } } } : { description: 'Done; no content' },
});
const op = (summary: string, status: number, response: Json | undefined, extra: Json = {}, errors: number[] = []): Json => ({
  tags: ['Rules'],
  summary,
  responses: { ...ok(status, response), ...adminErrors(...errors) },
  ...extra,
});
const body = (schema: Json): Json => ({ requestBody: { required: true, content: { 'application/json': { schema } } } });

export const rulesOpenApi: { paths: Record<string, Json>; schemas: Record<string, Json> } = {
  paths: {
    '/rules': {
      get: op(
        'List rules (kind rule and mapping)',
        200,
        { type: 'object', properties: { items: { type: 'array', items: ref('Rule') } } },
        {
          parameters: [{ name: 'kind', in: 'query', required: false, schema: { type: 'string', enum: ['rule', 'mapping'] } }],
        },
        [400],
      ),
      post: op('Create a rule; its full run is queued', 201, ref('Rule'), body(ref('RuleInput')), [400]),
    },
    '/rules/validate': {
      post: op(
        "Parse and type-check an expression; with targetGroupId, also say whom the target's audience leaves out",
        200,
        ref('RuleValidation'),
        body({ type: 'object', properties: { expression: { type: 'string' }, targetGroupId: { type: 'string', minLength: 1 } }, required: ['expression'], additionalProperties: false }),
        [400],
      ),
    },
    '/rules/preview': {
      post: op('Dry run: matches, a sample, and adds/removes against current membership; changes nothing', 200, ref('RulePreview'), body(ref('RulePreviewInput')), [400, 404]),
    },
    '/rules/{id}': {
      get: op("Read a rule with its sync state and last run (a dynamic group's own rule too, read-only)", 200, ref('Rule'), { parameters: [idPath('Rule')] }, [404]),
      patch: op(
        "Change a rule (partial); its full run is queued. A dynamic group's rule: 409 RULE_MANAGED_BY_GROUP",
        200,
        ref('Rule'),
        { parameters: [idPath('Rule')], ...body(ref('RuleInput')) },
        [400, 404, 409],
      ),
      delete: op("Delete a rule; the memberships it gave are removed by the worker. A dynamic group's rule: 409 RULE_MANAGED_BY_GROUP", 204, undefined, { parameters: [idPath('Rule')] }, [404, 409]),
    },
    '/rules/{id}/run': {
      post: op('Run the rule over the whole tenant again (reconcile)', 202, ref('Rule'), { parameters: [idPath('Rule')] }, [404]),
    },
    '/mappings': {
      get: op('List SSO attribute mappings', 200, { type: 'object', properties: { items: { type: 'array', items: ref('Rule') } } }),
      post: op('Map an IdP group to a group (a rule `groups eq "<idpGroup>"`)', 201, ref('Rule'), body(ref('MappingInput')), [400]),
    },
    '/mappings/{id}': {
      get: op('Read a mapping', 200, ref('Rule'), { parameters: [idPath('Mapping')] }, [404]),
      delete: op('Delete a mapping', 204, undefined, { parameters: [idPath('Mapping')] }, [404]),
    },
  },
  schemas: {
    RuleInput: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 200 },
        expression: { type: 'string', minLength: 1, description: 'SCIM filter syntax or the product form, e.g. department = "Sales" AND country in "US","CA"' },
        targetGroupId: { type: 'string', minLength: 1 },
        enabled: { type: 'boolean' },
        priority: { type: 'integer' },
      },
      additionalProperties: false,
    },
    MappingInput: {
      type: 'object',
      properties: {
        idpGroup: { type: 'string', minLength: 1, maxLength: 256, description: 'The displayName or externalId of an IdP group' },
        targetGroupId: { type: 'string', minLength: 1 },
        name: { type: 'string', minLength: 1, maxLength: 200 },
        enabled: { type: 'boolean' },
        priority: { type: 'integer' },
      },
      required: ['idpGroup', 'targetGroupId'],
      additionalProperties: false,
    },
    Rule: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        kind: { type: 'string', enum: ['rule', 'mapping', 'dynamic'] },
        name: { type: 'string' },
        expression: { type: 'string' },
        targetGroupId: { type: 'string' },
        enabled: { type: 'boolean' },
        priority: { type: 'integer' },
        idpGroup: { type: 'string' },
        version: { type: 'integer' },
        createdAt: { type: 'string', format: 'date-time' },
        updatedAt: { type: 'string', format: 'date-time' },
        sync: { type: 'object', additionalProperties: true },
        lastRun: ref('RuleRunResult'),
        targetMissing: { type: 'boolean', description: 'The target group was deleted: the rule was disabled with it and gives nothing' },
      },
    },
    RuleRunResult: {
      type: 'object',
      properties: {
        version: { type: 'integer' },
        outcome: { type: 'string', enum: ['completed', 'removed', 'targetMissing'] },
        matched: { type: 'integer' },
        added: { type: 'integer' },
        removed: { type: 'integer' },
        durationMs: { type: 'integer' },
        startedAt: { type: 'string', format: 'date-time' },
        finishedAt: { type: 'string', format: 'date-time' },
      },
    },
    RuleValidation: {
      type: 'object',
      description:
        '{valid: true, syntax, attributes, usesGroups, groupNames[, targetGroupId, targetAudience, note]} or {valid: false, error: {code, message, line, column, hint}}. ' +
        "A rule adds only users of its target group's audience (internal users to user groups, customers to customer groups).",
      additionalProperties: true,
    },
    RulePreviewInput: {
      type: 'object',
      properties: { expression: { type: 'string', minLength: 1 }, targetGroupId: { type: 'string', minLength: 1 }, ruleId: { type: 'string', minLength: 1 }, sampleSize: { type: 'integer' } },
      required: ['expression'],
      additionalProperties: false,
    },
    RulePreview: {
      type: 'object',
      additionalProperties: true,
      description:
        '{matched, sample, membership?: {targetGroupId, adds, removes, alreadyMembers}, audience?: {target, excluded: {count, sample}, note}, usesGroups, attributes, warnings, durationMs}. ' +
        'With a target, matched counts only users of its audience; audience.excluded are the users the expression matches whom the audience leaves out. ' +
        'warnings[]: {code, message, attribute?, value?, suggestions[]}: VALUE_NEVER_SEEN (an `eq` on a value no user of the tenant was ever given; suggestions are the nearest values seen for that attribute), ' +
        'IDP_GROUP_UNKNOWN (a `groups` test naming no IdP group pushed; suggestions are the nearest group names), MATCHES_NO_ONE.',
    },
  },
};
