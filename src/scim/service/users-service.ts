import { isDeepStrictEqual } from 'node:util';
import type { AuditEventDoc, UserDoc } from '../../persistence/models';
import type { ResourceStore } from '../../persistence/resource-store';
import { storableAttrs } from '../../persistence/resource-store';
import { repositoriesOf } from '../../persistence/repositories';
import { newId } from '../../persistence/ids';
import { attributeDiff, auditEvent, writeUserAudits } from '../../domain/audit';
import { accessEvents } from '../../domain/access-events';
import { abandonPendingChange, completePendingChange, recordPendingChange } from '../../domain/recovery/pending-changes';
import { applyPendingInvitations } from '../../domain/groups/invitations';
import { automaticMembershipEvents } from '../../domain/groups/automatic-membership-audit';
import { userChangeTrigger } from '../../domain/sync/user-change-trigger';
import type { UserChangeReason } from '../../queue/jobs';
import { applyPatch, parsePatchRequest } from '../patch';
import { recoveryDepsOf, type ScimDeps } from './scim-deps';
import type { Preconditions, ScimContext } from './context';
import { checkIfMatch } from './etag';
import { afterLostRace, notFound, rethrowDuplicate, writeAttemptsFor, writeConflict } from './resource-writer';
import { toRepresentation } from './representation';
import { assertWithinLimits } from './resource-limits';
import { assertDeadlineNotAnswered } from '../../http/request-deadline';

const uniquenessMessage = (attrs: Record<string, unknown>) => `userName "${String(attrs.userName)}" is already taken in this tenant`;

/** SCIM User use-cases (RFC 7644 §3.3-§3.6). HTTP-free: the router adapts requests onto these. */
export class UsersService {
  private readonly store: ResourceStore<UserDoc>;

  constructor(private readonly deps: ScimDeps) {
    this.store = repositoriesOf(deps.models).users;
  }

  async get(ctx: ScimContext, id: string): Promise<UserDoc> {
    const doc = await this.store.find(ctx.tenantId, id);
    if (!doc) throw notFound('User', id);
    return doc;
  }

  async create(ctx: ScimContext, body: unknown): Promise<UserDoc> {
    return (await this.createUser(ctx, body)).doc;
  }

  /**
   * Creates a user; `memberless` says it holds no membership yet (no pending invitation applied),
   * so its representation needs no memberships read: an import's every create saves a query.
   */
  async createUser(ctx: ScimContext, body: unknown): Promise<{ doc: UserDoc; memberless: boolean }> {
    const { registry } = this.deps;
    const valid = registry.validateResource('User', body, { mode: 'create' });
    assertWithinLimits('User', valid.attrs, this.deps.limits);
    const now = new Date();
    const doc: UserDoc = {
      _id: newId('usr'),
      tenantId: ctx.tenantId,
      attrs: storableAttrs(valid.attrs),
      lc: registry.shadows('User', valid.attrs) as UserDoc['lc'],
      version: 1,
      sync: { version: 1, pendingSince: now },
      createdAt: now,
      updatedAt: now,
    };
    const audits = await this.auditsOf(ctx, 'user.created', undefined, doc);
    await this.store.insert(doc, audits).catch((err) => rethrowDuplicate(err, uniquenessMessage(valid.attrs)));
    // Independent of each other: invitations add manual memberships; the audit trail and the job follow the write.
    const [invitations] = await Promise.all([
      applyPendingInvitations(this.deps.models, this.deps.memberships, ctx.tenantId, doc),
      this.afterWrite(ctx, audits, undefined, doc, 'created'),
    ]);
    return { doc, memberless: invitations.applied.length === 0 && invitations.failed.length === 0 };
  }

  async replace(ctx: ScimContext, id: string, body: unknown, pre: Preconditions): Promise<UserDoc> {
    return this.mutate(ctx, id, pre, async (existing) => {
      const valid = this.deps.registry.validateResource('User', body, { mode: 'replace', existing: existing.attrs });
      return { attrs: valid.attrs };
    }, 'user.replaced', 'replaced');
  }

  async patch(ctx: ScimContext, id: string, body: unknown, pre: Preconditions): Promise<UserDoc> {
    const { registry } = this.deps;
    const view = registry.view('User');
    const ops = parsePatchRequest(body, view);
    return this.mutate(ctx, id, pre, async (existing) => {
      // As clients see it (with id and meta): a path-less value repeating them unchanged is a no-op.
      const result = applyPatch(view, toRepresentation(registry, 'User', existing, ctx.baseUrl), ops);
      if (!result.changed) return null;
      return { attrs: registry.validateResource('User', result.resource, { mode: 'replace', existing: existing.attrs }).attrs };
    }, 'user.patched', 'patched');
  }

  async delete(ctx: ScimContext, id: string, pre: Preconditions): Promise<void> {
    const existing = await this.get(ctx, id);
    checkIfMatch(pre.ifMatch, existing.version);
    // Several documents change (the user, its memberships, the audit trail): the intent is
    // recorded first, so a crash part-way is finished by the sweeper (domain/recovery). It carries
    // the events an earlier write left on the user (its request died before writing them).
    const change = await recordPendingChange(this.deps.models, 'user.delete', id, {
      tenantId: ctx.tenantId, actor: ctx.actor, action: 'user.deleted', object: { type: 'User', id },
      before: this.auditView(existing), requestId: ctx.requestId,
    }, existing.pendingAudit);
    const deleted = await this.store.deleteReturning(ctx.tenantId, id);
    if (!deleted) {
      await abandonPendingChange(this.deps.models, change);
      throw notFound('User', id);
    }
    await completePendingChange(recoveryDepsOf(this.deps), change, { eventsLeft: deleted.pendingAudit ?? [] });
  }

  /**
   * Read-compute-write with optimistic concurrency: the write applies only to the version that was
   * read, so two concurrent PATCHes to one user both land (the loser recomputes on the new state).
   * `compute` returning null, or the attributes stored already, means "no change": nothing is
   * written and the version stays (Okta re-PUTs unchanged users on every import, with the password
   * when password sync is on; passwords are not kept: docs/decisions.md).
   */
  private async mutate(
    ctx: ScimContext,
    id: string,
    pre: Preconditions,
    compute: (existing: UserDoc) => Promise<{ attrs: Record<string, unknown> } | null>,
    action: string,
    reason: UserChangeReason,
  ): Promise<UserDoc> {
    const { registry } = this.deps;
    const attempts = writeAttemptsFor(pre);
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await afterLostRace(attempt);
      const existing = await this.get(ctx, id);
      checkIfMatch(pre.ifMatch, existing.version);
      const next = await compute(existing);
      if (!next || isDeepStrictEqual(storableAttrs(next.attrs), existing.attrs)) return existing;
      assertWithinLimits('User', next.attrs, this.deps.limits);
      // The audit event rides on the write itself: a committed change is audited even if we die next.
      const audits = await this.auditsOf(ctx, action, existing, { ...existing, attrs: storableAttrs(next.attrs), version: existing.version + 1 });
      assertDeadlineNotAnswered();
      const updated = await this.store
        .updateIfVersion(ctx.tenantId, id, existing.version, { attrs: next.attrs, lc: registry.shadows('User', next.attrs), audits })
        .catch((err) => rethrowDuplicate(err, uniquenessMessage(next.attrs)));
      if (!updated) continue;
      const deactivated = existing.attrs.active !== false && updated.attrs.active === false;
      await this.afterWrite(ctx, audits, existing, updated, deactivated ? 'deactivated' : reason);
      return updated;
    }
    throw writeConflict('User', id);
  }

  /** The change's event, then the automatic default-group memberships it starts or ends. */
  private async auditsOf(ctx: ScimContext, action: string, before: UserDoc | undefined, after: UserDoc): Promise<AuditEventDoc[]> {
    const audit = auditEvent({ tenantId: ctx.tenantId, actor: ctx.actor, action, object: { type: 'User', id: after._id }, ...this.auditChange(before, after), state: this.auditView(after), requestId: ctx.requestId });
    return [audit, ...(await automaticMembershipEvents(this.deps.models, ctx.tenantId, before, after, audit))];
  }

  private async afterWrite(ctx: ScimContext, audits: AuditEventDoc[], before: UserDoc | undefined, after: UserDoc, reason: UserChangeReason) {
    // Activation and audience decide what a user may do: drop their cached permissions.
    if (before) accessEvents.emit({ tenantId: ctx.tenantId, kind: 'membership', userId: after._id });
    // Independent steps, so concurrent: the audit trail (then the document's pending marks) and the job.
    await Promise.all([
      writeUserAudits(this.deps.models, ctx.tenantId, after._id, audits),
      this.deps.producer.enqueue('user.changed', { tenantId: ctx.tenantId, userId: after._id, version: after.version, reason, trigger: userChangeTrigger(audits[0]!, after.version) }),
    ]);
  }

  private auditView(doc: UserDoc) {
    return { attrs: doc.attrs, version: doc.version };
  }

  /** A creation keeps the new attributes; a change only the attributes that changed, each side. */
  private auditChange(before: UserDoc | undefined, after: UserDoc) {
    if (!before) return { after: this.auditView(after) };
    const diff = attributeDiff(before.attrs, after.attrs);
    return { before: { attrs: diff.before, version: before.version }, after: { attrs: diff.after, version: after.version } };
  }

  represent(ctx: ScimContext, doc: UserDoc): Record<string, unknown> {
    return toRepresentation(this.deps.registry, 'User', doc, ctx.baseUrl);
  }
}
