import type { UserDoc } from '../../persistence/models';
import { ResourceStore, storableAttrs } from '../../persistence/resource-store';
import { newId } from '../../persistence/ids';
import { recordAudit } from '../../domain/audit';
import { accessEvents } from '../../domain/access-events';
import { applyPendingInvitations } from '../../domain/groups/invitations';
import { releaseUserFromGroups } from '../../domain/groups/user-departure';
import type { UserChangeReason } from '../../queue/jobs';
import { applyPatch, parsePatchRequest } from '../patch';
import type { ScimDeps } from './scim-deps';
import type { Preconditions, ScimContext } from './context';
import { checkIfMatch } from './etag';
import { hashPassword } from './password';
import { MAX_WRITE_ATTEMPTS, notFound, rethrowDuplicate, writeConflict } from './resource-writer';
import { toRepresentation } from './representation';

const uniquenessMessage = (attrs: Record<string, unknown>) => `userName "${String(attrs.userName)}" is already taken in this tenant`;

/** SCIM User use-cases (RFC 7644 §3.3-§3.6). HTTP-free: the router adapts requests onto these. */
export class UsersService {
  private readonly store: ResourceStore<UserDoc>;

  constructor(private readonly deps: ScimDeps) {
    this.store = new ResourceStore(deps.models.User);
  }

  async get(ctx: ScimContext, id: string): Promise<UserDoc> {
    const doc = await this.store.find(ctx.tenantId, id);
    if (!doc) throw notFound('User', id);
    return doc;
  }

  async create(ctx: ScimContext, body: unknown): Promise<UserDoc> {
    const { registry } = this.deps;
    const valid = registry.validateResource('User', body, { mode: 'create' });
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
    if (valid.password !== undefined) doc.passwordHash = await hashPassword(valid.password);
    await this.store.insert(doc).catch((err) => rethrowDuplicate(err, uniquenessMessage(valid.attrs)));
    await applyPendingInvitations(this.deps.models, this.deps.memberships, ctx.tenantId, doc);
    await this.afterWrite(ctx, 'user.created', undefined, doc, 'created');
    return doc;
  }

  async replace(ctx: ScimContext, id: string, body: unknown, pre: Preconditions): Promise<UserDoc> {
    return this.mutate(ctx, id, pre, async (existing) => {
      const valid = this.deps.registry.validateResource('User', body, { mode: 'replace', existing: existing.attrs });
      // Okta re-PUTs unchanged users on every import: no write, no new version, no job.
      if (valid.password === undefined && JSON.stringify(storableAttrs(valid.attrs)) === JSON.stringify(existing.attrs)) return null;
      return { attrs: valid.attrs, password: valid.password };
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
      const valid = registry.validateResource('User', result.resource, { mode: 'replace', existing: existing.attrs });
      return { attrs: valid.attrs, password: valid.password };
    }, 'user.patched', 'patched');
  }

  async delete(ctx: ScimContext, id: string, pre: Preconditions): Promise<void> {
    const existing = await this.get(ctx, id);
    checkIfMatch(pre.ifMatch, existing.version);
    if (!(await this.store.delete(ctx.tenantId, id))) throw notFound('User', id);
    // Memberships of a deleted user go with it, whatever their source, and so do the group
    // ownerships and Group Administrator designations that name the user.
    await this.deps.memberships.removeAllForUser(ctx.tenantId, id);
    await releaseUserFromGroups(this.deps.models, ctx.tenantId, id);
    accessEvents.emit({ tenantId: ctx.tenantId, kind: 'membership', userId: id });
    await recordAudit(this.deps.models, {
      tenantId: ctx.tenantId, actor: ctx.actor, action: 'user.deleted', object: { type: 'User', id },
      before: this.auditView(existing), requestId: ctx.requestId,
    });
    await this.deps.producer.enqueue('user.changed', { tenantId: ctx.tenantId, userId: id, version: existing.version + 1, reason: 'deleted' });
  }

  /**
   * Read-compute-write with optimistic concurrency: the write applies only to the version that was
   * read, so two concurrent PATCHes to one user both land (the loser recomputes on the new state).
   * `compute` returning null means "no change": nothing is written and the version stays.
   */
  private async mutate(
    ctx: ScimContext,
    id: string,
    pre: Preconditions,
    compute: (existing: UserDoc) => Promise<{ attrs: Record<string, unknown>; password?: string } | null>,
    action: string,
    reason: UserChangeReason,
  ): Promise<UserDoc> {
    const { registry } = this.deps;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const existing = await this.get(ctx, id);
      checkIfMatch(pre.ifMatch, existing.version);
      const next = await compute(existing);
      if (!next) return existing;
      const extra = next.password !== undefined ? { passwordHash: await hashPassword(next.password) } : undefined;
      const updated = await this.store
        .updateIfVersion(ctx.tenantId, id, existing.version, { attrs: next.attrs, lc: registry.shadows('User', next.attrs), extra })
        .catch((err) => rethrowDuplicate(err, uniquenessMessage(next.attrs)));
      if (!updated) continue;
      const deactivated = existing.attrs.active !== false && updated.attrs.active === false;
      await this.afterWrite(ctx, action, existing, updated, deactivated ? 'deactivated' : reason);
      return updated;
    }
    throw writeConflict('User', id);
  }

  private async afterWrite(ctx: ScimContext, action: string, before: UserDoc | undefined, after: UserDoc, reason: UserChangeReason) {
    // Activation and audience decide what a user may do: drop their cached permissions.
    if (before) accessEvents.emit({ tenantId: ctx.tenantId, kind: 'membership', userId: after._id });
    await recordAudit(this.deps.models, {
      tenantId: ctx.tenantId, actor: ctx.actor, action, object: { type: 'User', id: after._id },
      before: before && this.auditView(before), after: this.auditView(after), requestId: ctx.requestId,
    });
    await this.deps.producer.enqueue('user.changed', { tenantId: ctx.tenantId, userId: after._id, version: after.version, reason });
  }

  private auditView(doc: UserDoc) {
    return { attrs: doc.attrs, version: doc.version };
  }

  represent(ctx: ScimContext, doc: UserDoc): Record<string, unknown> {
    return toRepresentation(this.deps.registry, 'User', doc, ctx.baseUrl);
  }
}
