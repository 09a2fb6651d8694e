import { AppError } from '../../errors/app-error';
import { repositoriesOf } from '../../persistence/repositories';
import type { Models } from '../../persistence/models';
import { newId } from '../../persistence/ids';
import type { Logger } from '../../observability/logger';
import type { SchemaRegistry } from '../../attributes/registry';
import type { RuleChangeReason } from '../../queue/jobs';
import { recordAudit, type AuditActor } from '../audit';
import { bumpRuleSetVersion } from './rule-set-version';
import { requestRuleRun } from './reevaluation';
import type { RuleKind, RuleRunResult, SyncedRuleDoc } from './rule-records';
import { compileOrThrow, invalidField, requireRuleTarget } from './rule-validation';
import type { JobEnqueuer } from './sync-deps';

/** What writing rules needs (the admin API's dependencies fit). */
export interface RuleWriteDeps {
  models: Models;
  registry: SchemaRegistry;
  producer: JobEnqueuer;
  logger: Logger;
}

/** Who changes a rule, for the audit trail. */
export interface RuleActorContext {
  tenantId: string;
  actor: AuditActor;
  requestId?: string;
}

/** A rule as the admin API shows it. */
export interface RuleView {
  id: string;
  kind: RuleKind;
  name: string;
  expression: string;
  targetGroupId: string;
  enabled: boolean;
  priority: number;
  idpGroup?: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  /** Whether the rule's latest change is still being applied, and how far its run got. */
  sync: { pending: boolean; pendingSince?: Date; progress?: { matched: number; added: number; removed: number } };
  lastRun?: RuleRunResult;
  /** The target group no longer exists (deleted): the rule gives nothing (and is disabled). */
  targetMissing?: boolean;
}

/**
 * A rule's fields as the admin API's schema (src/admin/routes/rules.ts) reads them: name trimmed,
 * not blank, at most MAX_RULE_NAME characters; priority a whole number within ±1,000,000.
 * The expression's grammar and the target group are checked here.
 */
export interface RuleFields {
  name: string;
  expression: string;
  targetGroupId: string;
  enabled?: boolean;
  priority?: number;
}

/** A partial change: fields left out keep their value. */
export type RuleInput = Partial<RuleFields>;

const DEFAULT_PRIORITY = 100;
const WRITE_ATTEMPTS = 5;

export function toRuleView(doc: SyncedRuleDoc): RuleView {
  const view: RuleView = {
    id: doc._id,
    kind: doc.kind ?? 'rule',
    name: doc.name,
    expression: doc.expression,
    targetGroupId: doc.targetGroupId,
    enabled: doc.enabled,
    priority: doc.priority,
    version: doc.version,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    sync: { pending: Boolean(doc.sync?.pendingSince) },
  };
  if (doc.idpGroup !== undefined) view.idpGroup = doc.idpGroup;
  if (doc.sync?.pendingSince) view.sync.pendingSince = doc.sync.pendingSince;
  if (doc.progress) view.sync.progress = { matched: doc.progress.matched, added: doc.progress.added, removed: doc.progress.removed };
  if (doc.lastRun) view.lastRun = doc.lastRun;
  return view;
}

const notFound = (id: string) => new AppError('notFound', 'RULE_NOT_FOUND', `No rule ${id}`);

/**
 * Rule use-cases (admin API): every change is one single-document write that also bumps the
 * rule's sync version and marks it pending (the outbox, DESIGN §5), then the tenant's rule-set
 * version is bumped (workers recompile), the change is audited and a `rule.changed` job is
 * enqueued. If the enqueue is lost, the sweeper finds the pending mark. Deleting leaves a
 * tombstone until the worker has removed every membership the rule gave.
 */
export class RulesService {
  constructor(private readonly deps: RuleWriteDeps) {}

  async list(tenantId: string, kind?: RuleKind): Promise<RuleView[]> {
    const docs = await repositoriesOf(this.deps.models).rules.liveOfKind(tenantId, kind);
    docs.sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name) || (a._id < b._id ? -1 : 1));
    return this.withTargets(tenantId, docs.map(toRuleView));
  }

  /** Any rule by id, a dynamic group's own rule included (read-only here: its group manages it). */
  async get(tenantId: string, id: string, kind?: RuleKind): Promise<RuleView> {
    const doc = await this.find(tenantId, id, kind, { readOnly: true });
    return (await this.withTargets(tenantId, [toRuleView(doc)]))[0]!;
  }

  /** Marks the rules whose target group no longer exists (deleted), so the failure shows. */
  private async withTargets(tenantId: string, views: RuleView[]): Promise<RuleView[]> {
    const targets = [...new Set(views.map((v) => v.targetGroupId))];
    if (targets.length === 0) return views;
    const existing = await repositoriesOf(this.deps.models).groups.existingIds(tenantId, targets);
    return views.map((v) => ({ ...v, targetMissing: !existing.has(v.targetGroupId) }));
  }

  /**
   * Disables the rules and mappings that give membership of a group being deleted, each audited
   * and run (which removes what they gave), so none stays enabled pointing nowhere.
   */
  async disableRulesTargeting(ctx: RuleActorContext, groupId: string): Promise<string[]> {
    const docs = await repositoriesOf(this.deps.models).rules.enabledIdsTargeting(ctx.tenantId, groupId);
    for (const { _id } of docs) await this.update(ctx, _id, { enabled: false });
    return docs.map((d) => d._id);
  }

  async create(ctx: RuleActorContext, input: RuleFields, extra: { kind?: RuleKind; idpGroup?: string; id?: string } = {}): Promise<RuleView> {
    const kind = extra.kind ?? 'rule';
    const { name, expression } = input;
    compileOrThrow(this.deps.registry, expression);
    const target = await requireRuleTarget(this.deps.models, ctx.tenantId, input.targetGroupId, kind);
    const now = new Date();
    const doc: SyncedRuleDoc = {
      _id: extra.id ?? newId('rul'),
      tenantId: ctx.tenantId,
      kind,
      name,
      expression,
      targetGroupId: target._id,
      enabled: input.enabled ?? true,
      priority: input.priority ?? DEFAULT_PRIORITY,
      version: 1,
      sync: { version: 1, pendingSince: now },
      createdBy: ctx.actor.id,
      createdAt: now,
      updatedAt: now,
    };
    if (extra.idpGroup !== undefined) doc.idpGroup = extra.idpGroup;
    await repositoriesOf(this.deps.models).rules.insert(doc);
    await this.afterWrite(ctx, 'rule.created', undefined, doc, 'created');
    return toRuleView(doc);
  }

  /** Partial update; fields left out keep their value. Nothing changed: nothing written, no run. */
  async update(ctx: RuleActorContext, id: string, input: RuleInput, kind?: RuleKind): Promise<RuleView> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const existing = await this.find(ctx.tenantId, id, kind);
      const set: Record<string, unknown> = {};
      if (input.name !== undefined && input.name !== existing.name) set.name = input.name;
      if (input.expression !== undefined && input.expression !== existing.expression) {
        compileOrThrow(this.deps.registry, input.expression);
        set.expression = input.expression;
      }
      if (input.targetGroupId !== undefined && input.targetGroupId !== existing.targetGroupId) {
        if (existing.kind === 'dynamic') throw invalidField('targetGroupId', "a dynamic group's rule always targets its group");
        set.targetGroupId = (await requireRuleTarget(this.deps.models, ctx.tenantId, input.targetGroupId, existing.kind ?? 'rule'))._id;
      }
      if (input.enabled !== undefined && input.enabled !== existing.enabled) set.enabled = input.enabled;
      if (input.priority !== undefined && input.priority !== existing.priority) set.priority = input.priority;
      if (Object.keys(set).length === 0) return toRuleView(existing);

      const now = new Date();
      const previousTarget = set.targetGroupId !== undefined ? existing.targetGroupId : undefined;
      const updated = await repositoriesOf(this.deps.models).rules.editIfVersion(ctx.tenantId, id, existing.version, set, now, previousTarget);
      if (!updated) continue;
      const reason: RuleChangeReason = Object.keys(set).length === 1 && set.enabled !== undefined ? (set.enabled ? 'enabled' : 'disabled') : 'updated';
      await this.afterWrite(ctx, 'rule.updated', existing, updated, reason);
      return toRuleView(updated);
    }
    throw new AppError('conflict', 'RULE_WRITE_CONFLICT', `Rule ${id} is being changed by someone else; try again`);
  }

  /** Deletes: a tombstone (disabled, hidden) that the worker removes once the rule's memberships are gone. */
  async delete(ctx: RuleActorContext, id: string, kind?: RuleKind): Promise<void> {
    const existing = await this.find(ctx.tenantId, id, kind);
    const now = new Date();
    const updated = await repositoriesOf(this.deps.models).rules.tombstone(ctx.tenantId, id, now);
    if (!updated) throw notFound(id);
    await this.afterWrite(ctx, 'rule.deleted', existing, updated, 'deleted');
  }

  /** Runs the rule over the whole tenant again without changing it (an operator's "re-run now"). */
  async rerun(ctx: RuleActorContext, id: string, kind?: RuleKind): Promise<RuleView> {
    // Re-running changes no rule: a dynamic group's own rule may be re-run here too.
    await this.find(ctx.tenantId, id, kind, { readOnly: true });
    await requestRuleRun(this.deps.models, this.deps.producer, ctx.tenantId, id, 'reconcile');
    await recordAudit(this.deps.models, { tenantId: ctx.tenantId, actor: ctx.actor, action: 'rule.rerun', object: { type: 'Rule', id }, requestId: ctx.requestId });
    return this.get(ctx.tenantId, id, kind);
  }

  /**
   * A rule that exists and is not deleted; `kind` narrows. A dynamic group's own rule is read here
   * (the group's `rule.ruleId` points at it) but changed only through its group: 409 otherwise.
   */
  async find(tenantId: string, id: string, kind?: RuleKind, opts: { readOnly?: boolean } = {}): Promise<SyncedRuleDoc> {
    const doc = await repositoriesOf(this.deps.models).rules.findOfTenant(tenantId, id);
    if (!doc || doc.deletedAt) throw notFound(id);
    const docKind = doc.kind ?? 'rule';
    if (kind !== undefined && kind !== docKind) throw notFound(id);
    if (docKind === 'dynamic' && !opts.readOnly) {
      throw new AppError('conflict', 'RULE_MANAGED_BY_GROUP', `Rule ${id} is the rule of dynamic group ${doc.targetGroupId}: change it with PATCH /groups/${doc.targetGroupId} {"rule": …}`, {
        details: { groupId: doc.targetGroupId },
      });
    }
    return doc;
  }

  private async afterWrite(ctx: RuleActorContext, action: string, before: SyncedRuleDoc | undefined, after: SyncedRuleDoc, reason: RuleChangeReason) {
    await bumpRuleSetVersion(this.deps.models, ctx.tenantId);
    await recordAudit(this.deps.models, {
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      action,
      object: { type: 'Rule', id: after._id },
      before: before && auditView(before),
      after: after.deletedAt ? undefined : auditView(after),
      requestId: ctx.requestId,
    });
    await this.deps.producer.enqueue('rule.changed', { tenantId: ctx.tenantId, ruleId: after._id, version: after.sync.version, reason });
  }
}

function auditView(doc: SyncedRuleDoc) {
  return {
    kind: doc.kind ?? 'rule',
    name: doc.name,
    expression: doc.expression,
    targetGroupId: doc.targetGroupId,
    enabled: doc.enabled,
    priority: doc.priority,
    version: doc.version,
  };
}
