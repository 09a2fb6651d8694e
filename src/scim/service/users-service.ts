import { recordSeenValues } from '../../domain/people/seen-values';
import { isDeepStrictEqual } from 'node:util';
import type { AuditEventDoc, UserDoc } from '../../persistence/models';
import type { ResourceStore } from '../../persistence/resource-store';
import { storableAttrs } from '../../persistence/resource-store';
import { repositoriesOf } from '../../persistence/repositories';
import { newTimeOrderedId } from '../../persistence/ids';
import { attributeDiff, auditEvent, writeUserAudits } from '../../domain/audit';
import { accessEvents } from '../../domain/access-events';
import { userWriteAccessState } from '../../domain/permissions/access-difference';
import { permissionEngine } from '../../domain/permissions/engine';
import { audienceOf, isActive } from '../../domain/groups/user-identity';
import { abandonPendingChange, completePendingChange, recordPendingChange } from '../../domain/recovery/pending-changes';
import { applyPendingInvitations } from '../../domain/groups/invitations';
import { markTenantUses } from '../../domain/tenants';
import { Batcher } from '../../domain/batcher';
import { automaticMembershipEvents } from '../../domain/groups/automatic-membership-audit';
import { userChangeTrigger } from '../../domain/sync/user-change-trigger';
import type { UserChangeReason } from '../../queue/jobs';
import { applyPatch, parsePatchRequest } from '../patch';
import { recoveryDepsOf, type ScimDeps } from './scim-deps';
import type { Preconditions, ScimContext } from './context';
import { checkIfMatch } from './etag';
import { afterLostRace, notFound, rethrowDuplicate, writeAttemptsFor, writeConflict } from './resource-writer';
import { idpAttrs, toRepresentation } from './representation';
import { heldChange, shouldHoldDeprovision } from '../../domain/deprovisioning/breaker';
import { assertAllowedEmailDomains, refuseUnlinkedAdminUser } from '../../domain/deprovisioning/linking';
import { deprovisionsTotal } from '../../observability/deprovisioning-metrics';
import { readSettings, settingsReaderOf, type SettingsReader } from '../../domain/deprovisioning/settings';
import type { UserHold } from '../../persistence/models';
import { assertWithinLimits } from './resource-limits';
import { assertDeadlineNotAnswered } from '../../http/request-deadline';

const uniquenessMessage = (attrs: Record<string, unknown>) => `userName "${String(attrs.userName)}" is already taken in this tenant`;

/**
 * What the caller makes of the written user (the response's body, which reads the user's
 * memberships): run beside the write's audit trail and job rather than after them, since neither
 * changes what it reads. A round trip less on every write's path.
 */
export type Answer<R> = (doc: UserDoc) => Promise<R>;

/** For a caller that answers with the document alone (a bulk operation's id and version). */
export const noAnswer: Answer<undefined> = () => Promise.resolve(undefined);

/** Waits for every task (none is left running behind an error), then throws the first failure. */
async function allOf<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

/** SCIM User use-cases (RFC 7644 §3.3-§3.6). HTTP-free: the router adapts requests onto these. */
export class UsersService {
  private readonly store: ResourceStore<UserDoc>;

  /**
   * Concurrent creates insert together (group commit: one unordered insertMany per flush, never
   * one started before the create asked); each create gets its own outcome, a refused userName
   * included.
   */
  private readonly inserts: Batcher<{ doc: UserDoc; audits: AuditEventDoc[] }, Error | null>;

  constructor(private readonly deps: ScimDeps) {
    // SCIM does not see users whose deletion the deprovisioning breaker holds (the IdP deleted them).
    this.store = repositoriesOf(deps.models).users.scim;
    const store = this.store;
    this.inserts = new Batcher((writes) => store.insertEach(writes));
  }

  private breakerDeps() {
    return { models: this.deps.models, memberships: this.deps.memberships, enqueuer: this.deps.producer };
  }

  private cause(ctx: ScimContext) {
    return { actor: ctx.actor, ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}) };
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
    const lc = registry.shadows('User', valid.attrs) as UserDoc['lc'];
    const viaAdmin = ctx.actor.type === 'admin';
    // The tenant's settings and what its creates must check, in one read shared by the checks below.
    const tenant = settingsReaderOf(this.deps.models, ctx.tenantId);
    if (!viaAdmin) {
      // A refused domain is reported first, as before.
      // A user the admin API created is not taken over silently; once linked, the IdP's create adopts it.
      const [, linked] = await allOf(
        assertAllowedEmailDomains(this.deps.models, this.deps.logger, ctx.tenantId, valid.attrs, ctx.requestId, undefined, tenant),
        tenant().then(({ createChecks }) => (createChecks.adminCreatedUsers ? refuseUnlinkedAdminUser(this.deps.models, ctx.tenantId, lc) : null)),
      );
      if (linked) return { doc: await this.adopt(ctx, linked, valid.attrs), memberless: false };
    } else if (!(await tenant()).createChecks.adminCreatedUsers) {
      // Recorded once, before the tenant's first admin-created user (the read is the one the invitations check uses below).
      await markTenantUses(this.deps.models, ctx.tenantId, 'adminCreatedUsers');
    }
    const now = new Date();
    const doc: UserDoc = {
      _id: newTimeOrderedId('usr'),
      tenantId: ctx.tenantId,
      attrs: storableAttrs(valid.attrs),
      lc,
      version: 1,
      sync: { version: 1, pendingSince: now },
      ...(viaAdmin ? { createdVia: 'admin' as const } : {}),
      ...(valid.attrs.active === false ? { inactiveSince: now } : {}),
      createdAt: now,
      updatedAt: now,
    };
    const audits = await this.auditsOf(ctx, 'user.created', undefined, doc);
    const refused = await this.inserts.one({ doc, audits });
    if (refused) rethrowDuplicate(refused, uniquenessMessage(valid.attrs));
    // Independent of each other: invitations add manual memberships; the audit trail and the job follow the write.
    const invite = async () => ((await tenant()).createChecks.invitations ? applyPendingInvitations(this.deps.models, this.deps.memberships, ctx.tenantId, doc) : { applied: [], failed: [] });
    const [invitations] = await Promise.all([invite(), this.afterWrite(ctx, audits, undefined, doc, 'created')]);
    return { doc, memberless: invitations.applied.length === 0 && invitations.failed.length === 0 };
  }

  /** The IdP's create of a user an admin linked: the user (id, memberships, grants) stays, the IdP's attributes replace its own, and the IdP owns it from now on. */
  private async adopt(ctx: ScimContext, existing: UserDoc, attrs: Record<string, unknown>): Promise<UserDoc> {
    const { doc: adopted } = await this.mutate(ctx, existing._id, {}, async () => ({ attrs }), 'user.replaced', 'replaced', noAnswer);
    await repositoriesOf(this.deps.models).users.setCreatedVia(ctx.tenantId, existing._id, null);
    const { createdVia: _linked, ...owned } = adopted;
    return owned;
  }

  async replace<R>(ctx: ScimContext, id: string, body: unknown, pre: Preconditions, answer: Answer<R>): Promise<{ doc: UserDoc; answer: R }> {
    return this.mutate(
      ctx,
      id,
      pre,
      async (existing) => {
        const valid = this.deps.registry.validateResource('User', body, { mode: 'replace', existing: idpAttrs(existing) });
        return { attrs: valid.attrs };
      },
      'user.replaced',
      'replaced',
      answer,
    );
  }

  async patch<R>(ctx: ScimContext, id: string, body: unknown, pre: Preconditions, answer: Answer<R>): Promise<{ doc: UserDoc; answer: R }> {
    const { registry } = this.deps;
    const view = registry.view('User');
    const ops = parsePatchRequest(body, view);
    return this.mutate(
      ctx,
      id,
      pre,
      async (existing) => {
        // As clients see it (with id and meta): a path-less value repeating them unchanged is a no-op.
        const result = applyPatch(view, toRepresentation(registry, 'User', existing, ctx.baseUrl), ops);
        if (!result.changed) return null;
        return { attrs: registry.validateResource('User', result.resource, { mode: 'replace', existing: idpAttrs(existing) }).attrs };
      },
      'user.patched',
      'patched',
      answer,
    );
  }

  async delete(ctx: ScimContext, id: string, pre: Preconditions): Promise<void> {
    const existing = await this.get(ctx, id);
    checkIfMatch(pre.ifMatch, existing.version);
    if (existing.hold || (await shouldHoldDeprovision(this.breakerDeps(), ctx.tenantId, id, this.cause(ctx), { counted: existing.attrs.active !== false }))) {
      return this.holdDeletion(ctx, id, pre);
    }
    if (await this.deferDeletion(ctx, existing)) return;
    // Several documents change (the user, its memberships, the audit trail): the intent is
    // recorded first, so a crash part-way is finished by the sweeper (domain/recovery). It carries
    // the events an earlier write left on the user (its request died before writing them).
    const change = await recordPendingChange(
      this.deps.models,
      'user.delete',
      id,
      {
        tenantId: ctx.tenantId,
        actor: ctx.actor,
        action: 'user.deleted',
        object: { type: 'User', id },
        before: this.auditView(existing),
        requestId: ctx.requestId,
      },
      existing.pendingAudit,
    );
    const deleted = await this.store.deleteReturning(ctx.tenantId, id);
    if (!deleted) {
      await abandonPendingChange(this.deps.models, change);
      throw notFound('User', id);
    }
    await completePendingChange(recoveryDepsOf(this.deps), change, { eventsLeft: deleted.pendingAudit ?? [] });
  }

  /**
   * Entra deactivates, then deletes: while the user's deactivation is in the breaker's window, its
   * deletion waits for the window to pass (SCIM answers 404 at once; the sweeper finishes it), so a
   * breaker that trips within the window can still hold it and restore the user's access.
   * Returns false when the deletion is to be done now.
   */
  private async deferDeletion(ctx: ScimContext, existing: UserDoc): Promise<boolean> {
    if (existing.attrs.active !== false || !existing.deprovisionedAt) return false;
    const { settings } = await readSettings(this.deps.models, ctx.tenantId);
    if (!settings.breaker.enabled || existing.deprovisionedAt.getTime() < Date.now() - settings.breaker.windowMinutes * 60_000) return false;
    const now = new Date();
    const audit = auditEvent(
      {
        tenantId: ctx.tenantId,
        actor: ctx.actor,
        action: 'user.deletion.deferred',
        object: { type: 'User', id: existing._id },
        after: { until: new Date(existing.deprovisionedAt.getTime() + settings.breaker.windowMinutes * 60_000).toISOString(), version: existing.version + 1 },
        requestId: ctx.requestId,
      },
      now,
    );
    const updated = await this.store.updateIfVersion(ctx.tenantId, existing._id, existing.version, { attrs: existing.attrs, lc: existing.lc, audits: [audit], set: { scimDeletedAt: now } }, now);
    if (!updated) throw writeConflict('User', existing._id);
    await this.afterWrite(ctx, [audit], existing, updated, 'patched');
    return true;
  }

  /**
   * The IdP deleted a user whose deprovision the breaker holds: the user and its access stay, SCIM
   * answers 404 for it from now on, and the deletion waits for an admin (allow deletes it). The
   * hold record and the audit event are written with the change, in one update.
   */
  private async holdDeletion(ctx: ScimContext, id: string, pre: Preconditions): Promise<void> {
    const attempts = writeAttemptsFor(pre);
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await afterLostRace(attempt);
      const existing = await this.get(ctx, id);
      checkIfMatch(pre.ifMatch, existing.version);
      const now = new Date();
      const change = heldChange('delete', this.cause(ctx), now);
      const hold: UserHold = { state: 'held', since: existing.hold?.since ?? now, deleted: true, changes: [...(existing.hold?.changes ?? []), change] };
      const audit = auditEvent(
        {
          tenantId: ctx.tenantId,
          actor: ctx.actor,
          action: 'user.deprovision.held',
          object: { type: 'User', id },
          before: this.auditView({ ...existing, attrs: idpAttrs(existing) }),
          after: { kind: 'delete', heldChangeId: change._id, version: existing.version + 1 },
          state: { attrs: idpAttrs(existing), version: existing.version + 1 },
          requestId: ctx.requestId,
        },
        now,
      );
      assertDeadlineNotAnswered();
      const updated = await this.store.updateIfVersion(
        ctx.tenantId,
        id,
        existing.version,
        {
          // Access as it is: an active user keeps it; one whose deactivation was applied long ago stays inactive.
          attrs: existing.attrs,
          lc: existing.lc,
          audits: [audit],
          set: { hold },
          unset: ['deprovisionedAt', 'deprovisionedBy'],
        },
        now,
      );
      if (!updated) continue;
      deprovisionsTotal.inc({ outcome: 'held' });
      await this.afterWrite(ctx, [audit], existing, updated, 'patched');
      return;
    }
    throw writeConflict('User', id);
  }

  /**
   * Read-compute-write with optimistic concurrency: the write applies only to the version that was
   * read, so two concurrent PATCHes to one user both land (the loser recomputes on the new state).
   * `compute` returning null, or the attributes stored already, means "no change": nothing is
   * written and the version stays (Okta re-PUTs unchanged users on every import, with the password
   * when password sync is on; passwords are not kept: docs/decisions.md).
   */
  private async mutate<R>(
    ctx: ScimContext,
    id: string,
    pre: Preconditions,
    compute: (existing: UserDoc) => Promise<{ attrs: Record<string, unknown> } | null>,
    action: string,
    reason: UserChangeReason,
    answer: Answer<R>,
  ): Promise<{ doc: UserDoc; answer: R }> {
    const { registry } = this.deps;
    const attempts = writeAttemptsFor(pre);
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await afterLostRace(attempt);
      const existing = await this.get(ctx, id);
      checkIfMatch(pre.ifMatch, existing.version);
      const next = await compute(existing);
      // Compared with what the IdP sees: a held user is inactive to it.
      if (!next || isDeepStrictEqual(storableAttrs(next.attrs), storableAttrs(idpAttrs(existing)))) return { doc: existing, answer: await answer(existing) };
      assertWithinLimits('User', next.attrs, this.deps.limits);
      // Read once per attempt, and only if a check needs it: an added e-mail domain, a deactivation.
      const settings = settingsReaderOf(this.deps.models, ctx.tenantId);
      if (!existing.hold) await assertAllowedEmailDomains(this.deps.models, this.deps.logger, ctx.tenantId, next.attrs, ctx.requestId, existing.attrs, settings);
      const effect = await this.deprovisionEffect(ctx, existing, next.attrs, settings);
      const stored = effect.attrs;
      // The audit event rides on the write itself: a committed change is audited even if we die next.
      // It records the IdP's change (before and after as the IdP sees them); the automatic
      // memberships follow the access kept (stored attributes).
      const afterDoc = { ...existing, attrs: storableAttrs(stored), version: existing.version + 1 };
      const audits = await this.auditsOf(ctx, effect.action ?? action, existing, afterDoc, { before: idpAttrs(existing), after: storableAttrs(next.attrs) });
      assertDeadlineNotAnswered();
      const updated = await this.store
        .updateIfVersion(ctx.tenantId, id, existing.version, {
          attrs: stored,
          lc: registry.shadows('User', stored),
          audits,
          ...(effect.set ? { set: effect.set } : {}),
          ...(effect.unset ? { unset: effect.unset } : {}),
        })
        .catch((err) => rethrowDuplicate(err, uniquenessMessage(next.attrs)));
      if (!updated) continue;
      if (effect.outcome) deprovisionsTotal.inc({ outcome: effect.outcome });
      const deactivated = existing.attrs.active !== false && updated.attrs.active === false;
      const [, answered] = await allOf(this.afterWrite(ctx, audits, existing, updated, deactivated ? 'deactivated' : reason), answer(updated));
      return { doc: updated, answer: answered };
    }
    throw writeConflict('User', id);
  }

  /**
   * What an IdP write does to access (docs/deprovisioning.md): a deactivation is applied (counted in
   * the breaker's window) or held (the stored user stays active, a hold records the change); a
   * held user stays held until the IdP reactivates it (the hold ends; access was never removed).
   */
  private async deprovisionEffect(
    ctx: ScimContext,
    existing: UserDoc,
    idpNext: Record<string, unknown>,
    settings: SettingsReader,
  ): Promise<{
    attrs: Record<string, unknown>;
    set?: Record<string, unknown>;
    unset?: string[];
    action?: string;
    outcome?: 'applied' | 'held';
  }> {
    const idpWasActive = !existing.hold && existing.attrs.active !== false;
    const idpNowActive = idpNext.active !== false;
    if (existing.hold) {
      if (idpNowActive) return { attrs: idpNext, unset: ['hold', 'deprovisionedAt', 'deprovisionedBy', 'inactiveSince'] };
      return { attrs: { ...idpNext, active: true } };
    }
    if (idpWasActive && !idpNowActive) {
      const now = new Date();
      if (await shouldHoldDeprovision(this.breakerDeps(), ctx.tenantId, existing._id, this.cause(ctx), { settings }, now)) {
        const hold: UserHold = { state: 'held', since: now, changes: [heldChange('deactivate', this.cause(ctx), now)] };
        return { attrs: { ...idpNext, active: true }, set: { hold }, action: 'user.deprovision.held', outcome: 'held' };
      }
      return { attrs: idpNext, set: { deprovisionedAt: now, deprovisionedBy: this.cause(ctx), inactiveSince: now }, outcome: 'applied' };
    }
    if (!idpWasActive && idpNowActive) return { attrs: idpNext, unset: ['deprovisionedAt', 'deprovisionedBy', 'inactiveSince'] };
    return { attrs: idpNext };
  }

  /** The change's event, then the automatic default-group memberships it starts or ends. */
  private async auditsOf(
    ctx: ScimContext,
    action: string,
    before: UserDoc | undefined,
    after: UserDoc,
    idp?: { before: Record<string, unknown>; after: Record<string, unknown> },
  ): Promise<AuditEventDoc[]> {
    const seen = (doc: UserDoc | undefined, attrs: Record<string, unknown> | undefined) => (doc && attrs ? { ...doc, attrs } : doc);
    const idpBefore = seen(before, idp?.before);
    const idpAfter = seen(after, idp?.after)!;
    const audit = auditEvent({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      action,
      object: { type: 'User', id: after._id },
      ...this.auditChange(idpBefore, idpAfter),
      state: this.auditView(idpAfter),
      requestId: ctx.requestId,
    });
    return [audit, ...(await automaticMembershipEvents(this.deps.models, ctx.tenantId, before, after, audit))];
  }

  private async afterWrite(ctx: ScimContext, audits: AuditEventDoc[], before: UserDoc | undefined, after: UserDoc, reason: UserChangeReason) {
    // Activation and audience decide what a user may do: drop their cached permissions.
    if (before) accessEvents.emit({ tenantId: ctx.tenantId, kind: 'membership', userId: after._id });
    // A deactivation takes all of the user's access, a reactivation gives it back, an audience move changes the groups that
    // give it anything: access.changed travels on the change's event.
    if (before && (isActive(before) !== isActive(after) || audienceOf(before) !== audienceOf(after)) && audits[0]) {
      const access = await userWriteAccessState(permissionEngine(this.deps.models), ctx.tenantId, after._id, before);
      if (access) audits[0] = { ...audits[0], state: { ...(audits[0].state as Record<string, unknown> | undefined), ...access } };
    }
    // Independent steps, so concurrent: the audit trail (then the document's pending marks) and the job.
    await Promise.all([
      writeUserAudits(this.deps.models, ctx.tenantId, after._id, audits),
      recordSeenValues(this.deps.models, ctx.tenantId, after.attrs),
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
