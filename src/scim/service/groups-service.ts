import type { GroupDoc } from '../../persistence/models';
import type { ResourceStore } from '../../persistence/resource-store';
import { repositoriesOf } from '../../persistence/repositories';
import { newTimeOrderedId } from '../../persistence/ids';
import type { AuditEventDoc } from '../../persistence/models';
import { auditEvent } from '../../domain/audit';
import { earlierConflicting, finishGroupChange, pendingGroupChange, SCIM_SOURCE } from '../../domain/recovery/pending-group-changes';
import { decideGroupDeletion, decideGroupRemovals, deleteIdpGroup, holdGroupDeletion, type GroupHoldDeps } from '../../domain/deprovisioning/group-holds';
import type { DeprovisionCause } from '../../domain/deprovisioning/breaker';
import { scimError } from '../../errors/app-error';
import { isDuplicateKeyError } from '../../persistence/duplicate-key';
import { applyPatch, isEmptyMemberDelta, parsePatchRequest, type MemberDelta } from '../patch';
import { recoveryDepsOf, type ScimDeps } from './scim-deps';
import type { Preconditions, ScimContext } from './context';
import { checkIfMatch } from './etag';
import { MAX_WRITE_ATTEMPTS, notFound, rethrowDuplicate, writeConflict } from './resource-writer';
import { locationOf, toRepresentation } from './representation';
import { assertWithinLimits } from './resource-limits';
import { assertDeadlineNotAnswered } from '../../http/request-deadline';

// Ids per query when reading members' names: a 100,000-member group costs five queries, and a
// page of large groups stays far below MongoDB's 16 MB limit on a query document.
const NAME_LOOKUP_CHUNK = 20_000;
const uniquenessMessage = (attrs: Record<string, unknown>) => `A group named "${String(attrs.displayName)}" exists already in this tenant`;

/**
 * SCIM Group use-cases. SCIM groups are the IdP's groups (origin 'scim'); their members are
 * memberships with source 'scim', applied as deltas in bulk, never as an embedded array.
 */
export class GroupsService {
  private readonly store: ResourceStore<GroupDoc>;

  constructor(private readonly deps: ScimDeps) {
    // As the IdP sees them: a group whose deletion is held is gone.
    this.store = repositoriesOf(deps.models).groups.scimEdge;
  }

  async get(ctx: ScimContext, id: string): Promise<GroupDoc> {
    const doc = await this.store.find(ctx.tenantId, id);
    if (!doc) throw notFound('Group', id);
    return doc;
  }

  /**
   * POST: a new group, or, when the IdP names again (displayName, or externalId) a group whose
   * deletion the breaker holds or an admin rejected, that group taken back (takeBack).
   */
  async create(ctx: ScimContext, body: unknown): Promise<GroupDoc> {
    const { registry } = this.deps;
    const valid = registry.validateResource('Group', body, { mode: 'create' });
    assertWithinLimits('Group', valid.attrs, this.deps.limits);
    const memberIds = (valid.members ?? []).map((m) => m.value);
    await this.requireUsers(ctx.tenantId, memberIds);
    const groups = repositoriesOf(this.deps.models).groups;
    const lc = registry.shadows('Group', valid.attrs) as GroupDoc['lc'];
    const externalId = typeof valid.attrs.externalId === 'string' ? valid.attrs.externalId : undefined;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      // The name is free on a held group only once its deletion is decided; its externalId is not unique.
      const heldByExternalId = externalId !== undefined ? await groups.heldDeletionNamed(ctx.tenantId, { externalId }) : null;
      const held =
        heldByExternalId ??
        (await this.insertNew(ctx, valid.attrs, lc, memberIds).then(
          (doc) => doc,
          async (err: unknown) => {
            if (!isDuplicateKeyError(err)) throw err;
            const named = typeof lc?.displayName === 'string' ? await groups.heldDeletionNamed(ctx.tenantId, { lcDisplayName: lc.displayName }) : null;
            return named ?? rethrowDuplicate(err, uniquenessMessage(valid.attrs));
          },
        ));
      if (!held.heldDeletion) return held; // inserted
      const taken = await this.takeBack(ctx, held, valid.attrs, memberIds);
      if (taken) return taken;
      // Decided or changed meanwhile: looked up afresh.
    }
    throw scimError.uniqueness(uniquenessMessage(valid.attrs));
  }

  private async insertNew(ctx: ScimContext, attrs: Record<string, unknown>, lc: GroupDoc['lc'], memberIds: string[]): Promise<GroupDoc> {
    const now = new Date();
    const groupId = newTimeOrderedId('grp');
    // The group is inserted with its intent (members to add, audit event): a crash before the
    // members are written leaves them for the sweeper.
    const change = pendingGroupChange(this.auditOf(ctx, 'group.created', groupId, undefined, attrs, 1), { add: memberIds, remove: [] }, 1);
    const doc: GroupDoc = {
      _id: groupId,
      tenantId: ctx.tenantId,
      origin: 'scim',
      attrs,
      lc,
      version: 1,
      sync: { version: 1, pendingSince: now },
      lastPosition: 1,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.insert({ ...doc, pendingMembers: [change] });
    await finishGroupChange(recoveryDepsOf(this.deps), ctx.tenantId, groupId, change, { version: 1, recovering: false });
    return doc;
  }

  /**
   * The IdP re-creates a group whose deletion is held or rejected (an admin unassigned it by
   * mistake and assigns it back): the hold ends and the group is the IdP's again, with its id,
   * grants and mappings; the POST's attributes and members replace what it had. One compare-and-set
   * on the version ends the hold and carries the change's intent, whose audit event
   * (`group.deletion.ended`) is the one event. Removals the replace makes go through the breaker as
   * any PUT's. Null when the group changed, or was decided, meanwhile.
   */
  private async takeBack(ctx: ScimContext, existing: GroupDoc, attrs: Record<string, unknown>, memberIds: string[]): Promise<GroupDoc | null> {
    const { registry } = this.deps;
    const id = existing._id;
    const held = existing.heldDeletion!;
    const delta: MemberDelta = { add: [], remove: [], replaceAll: memberIds };
    assertDeadlineNotAnswered();
    const decision = await decideGroupRemovals(this.holdDeps(), ctx.tenantId, existing, await this.removalsOf(ctx.tenantId, id, delta), this.cause(ctx));
    const groups = repositoriesOf(this.deps.models).groups;
    const position = await groups.takePosition(ctx.tenantId, id);
    if (position === null) return null;
    const audit = auditEvent({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      action: 'group.deletion.ended',
      object: { type: 'Group', id },
      before: { attrs: existing.attrs, version: existing.version, heldDeletion: held.state },
      after: { attrs, version: existing.version + 1, endedHeldChanges: [held.change._id], ...(decision.deprovisions > 0 && { deprovisions: decision.deprovisions }) },
      state: { attrs },
      requestId: ctx.requestId,
    });
    const change = pendingGroupChange(audit, delta, position, decision.hold);
    const updated = await groups.scim
      .updateIfVersion(ctx.tenantId, id, existing.version, { attrs, lc: registry.shadows('Group', attrs), groupChange: change, unset: ['heldDeletion'] })
      .catch((err) => rethrowDuplicate(err, uniquenessMessage(attrs)));
    if (!updated) return null;
    for (const earlier of earlierConflicting(updated, change)) {
      await finishGroupChange(recoveryDepsOf(this.deps), ctx.tenantId, id, earlier, { recovering: true });
    }
    await finishGroupChange(recoveryDepsOf(this.deps), ctx.tenantId, id, change, { version: updated.version, recovering: false });
    return withoutPending(updated);
  }

  /** PUT: rename and, when `members` is in the body, make the IdP's member list exactly that (as a delta). */
  async replace(ctx: ScimContext, id: string, body: unknown, pre: Preconditions): Promise<GroupDoc> {
    return this.mutate(
      ctx,
      id,
      pre,
      async (existing) => {
        const valid = this.deps.registry.validateResource('Group', body, { mode: 'replace', existing: existing.attrs });
        const delta: MemberDelta = { add: [], remove: [] };
        if (valid.members !== undefined) delta.replaceAll = valid.members.map((m) => m.value);
        return { attrs: valid.attrs, delta };
      },
      'group.replaced',
    );
  }

  async patch(ctx: ScimContext, id: string, body: unknown, pre: Preconditions): Promise<GroupDoc> {
    const { registry } = this.deps;
    const view = registry.view('Group');
    const ops = parsePatchRequest(body, view);
    return this.mutate(
      ctx,
      id,
      pre,
      async (existing) => {
        // The resource as clients see it (with id and meta), so that a path-less value repeating
        // them unchanged (Okta's rename sends the group id) is a no-op rather than a readOnly change.
        const result = applyPatch(view, toRepresentation(registry, 'Group', existing, ctx.baseUrl), ops);
        if (!result.changed) return null;
        const attrs = result.resourceChanged ? registry.validateResource('Group', result.resource, { mode: 'replace', existing: existing.attrs }).attrs : existing.attrs;
        return { attrs, delta: result.members };
      },
      'group.patched',
    );
  }

  async delete(ctx: ScimContext, id: string, pre: Preconditions): Promise<void> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const existing = await this.get(ctx, id);
      checkIfMatch(pre.ifMatch, existing.version);
      // The deprovisioning breaker: a mapped group's deletion counts its IdP members, and is held
      // once the breaker is tripped (SCIM answers 404 from now on; access stays until an admin decides).
      const decision = await decideGroupDeletion(this.holdDeps(), ctx.tenantId, existing, this.cause(ctx));
      if (decision.hold) {
        if (await holdGroupDeletion(this.deps.models, ctx, existing, decision.deprovisions)) return;
        continue; // changed meanwhile: decided afresh
      }
      if (await deleteIdpGroup(recoveryDepsOf(this.deps), ctx, existing, decision.deprovisions)) return;
      throw notFound('Group', id);
    }
    throw writeConflict('Group', id);
  }

  /**
   * Full representations of a page of groups. Members only when asked for (a 100,000-member
   * group is not loaded otherwise), read for the whole page in one query; their `display` (the
   * user's displayName, else userName) only when that is asked for too, in one query per
   * NAME_LOOKUP_CHUNK distinct members of the page, never one per member.
   */
  async represent(ctx: ScimContext, docs: readonly GroupDoc[], want: { members: boolean; memberDisplay: boolean }): Promise<Record<string, unknown>[]> {
    const bodies = docs.map((doc) => toRepresentation(this.deps.registry, 'Group', doc, ctx.baseUrl));
    if (!want.members || docs.length === 0) return bodies;
    // As the IdP sees them: a held removal is shown done.
    const membersOf = await this.deps.memberships.userIdsOfGroups(
      ctx.tenantId,
      docs.map((d) => d._id),
      { idpView: true },
    );
    const names = want.memberDisplay ? await this.userDisplayNames(ctx.tenantId, [...new Set([...membersOf.values()].flat())]) : new Map<string, string>();
    docs.forEach((doc, i) => {
      const ids = membersOf.get(doc._id) ?? [];
      if (ids.length === 0) return;
      bodies[i]!.members = ids.map((value) => {
        const display = names.get(value);
        return { value, $ref: locationOf(ctx.baseUrl, 'User', value), type: 'User', ...(display !== undefined && { display }) };
      });
    });
    return bodies;
  }

  private async userDisplayNames(tenantId: string, userIds: readonly string[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (let i = 0; i < userIds.length; i += NAME_LOOKUP_CHUNK) {
      const found = await repositoriesOf(this.deps.models).users.attributesOf(tenantId, userIds.slice(i, i + NAME_LOOKUP_CHUNK), ['displayName', 'userName']);
      for (const d of found) {
        const { displayName, userName } = d.attrs;
        const name = typeof displayName === 'string' && displayName !== '' ? displayName : userName;
        if (typeof name === 'string') names.set(d._id, name);
      }
    }
    return names;
  }

  private async mutate(
    ctx: ScimContext,
    id: string,
    pre: Preconditions,
    compute: (existing: GroupDoc) => Promise<{ attrs: Record<string, unknown>; delta: MemberDelta } | null>,
    action: string,
  ): Promise<GroupDoc> {
    const { registry } = this.deps;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const existing = await this.get(ctx, id);
      checkIfMatch(pre.ifMatch, existing.version);
      const next = await compute(existing);
      if (!next) return existing;
      const { delta } = next;
      assertWithinLimits('Group', next.attrs, this.deps.limits);
      const attrsChanged = JSON.stringify(next.attrs) !== JSON.stringify(existing.attrs);
      if (!attrsChanged && isEmptyMemberDelta(delta)) return existing;
      await this.requireUsers(ctx.tenantId, [...(delta.replaceAll ?? []), ...delta.add]);
      const membersOnly = !attrsChanged && pre.ifMatch === undefined;
      // The version bump (ETag, sync mark) carries the change's intent: its member delta and audit
      // event, so a crash before the member writes are done leaves them for the sweeper.
      // The change's position, taken once it is known to be written: its member writes never undo
      // those of a change that starts after this request ends (docs/decisions.md).
      assertDeadlineNotAnswered();
      // The deprovisioning breaker decides on the removals now, and its decision is committed with the change.
      const decision = await decideGroupRemovals(this.holdDeps(), ctx.tenantId, existing, await this.removalsOf(ctx.tenantId, id, delta), this.cause(ctx));
      const position = await repositoriesOf(this.deps.models).groups.takePosition(ctx.tenantId, id);
      if (position === null) throw notFound('Group', id);
      const audit = this.auditOf(ctx, action, id, existing, next.attrs, membersOnly ? undefined : existing.version + 1, decision.deprovisions);
      const change = pendingGroupChange(audit, delta, position, decision.hold);
      // A change of members only, without If-Match, commutes with concurrent ones (memberships are
      // documents of their own), so it bumps unconditionally: 200 IdP PATCHes at once all land,
      // none answers 409, each with its own intent. A change of attributes is an optimistic
      // compare-and-set on the version.
      const updated = membersOnly
        ? await this.store.bumpVersion(ctx.tenantId, id, { groupChange: change })
        : await this.store
            .updateIfVersion(ctx.tenantId, id, existing.version, { attrs: next.attrs, lc: registry.shadows('Group', next.attrs), groupChange: change })
            .catch((err) => rethrowDuplicate(err, uniquenessMessage(next.attrs)));
      if (!updated) continue;
      for (const earlier of earlierConflicting(updated, change)) {
        await finishGroupChange(recoveryDepsOf(this.deps), ctx.tenantId, id, earlier, { recovering: true });
      }
      await finishGroupChange(recoveryDepsOf(this.deps), ctx.tenantId, id, change, { version: updated.version, recovering: false });
      return withoutPending(updated);
    }
    throw writeConflict('Group', id);
  }

  /**
   * Members must be users of this tenant (nested groups are not supported): 400 naming the unknown
   * ids, nothing written. One query for the whole list (the body limit bounds its size): a list of
   * 20,000 unknown ids must not cost 20,000, or 20, round trips before the 400.
   */
  private async requireUsers(tenantId: string, ids: readonly string[]): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    const have = await repositoriesOf(this.deps.models).users.existingIds(tenantId, unique);
    const missing = unique.filter((id) => !have.has(id));
    if (missing.length > 0) {
      const shown = missing.slice(0, 10).join(', ');
      throw scimError.invalidValue(`members must be users of this tenant; unknown: ${shown}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}`, 'SCIM_UNKNOWN_MEMBER');
    }
  }

  /** The members a change removes from the IdP's view: those named, and for a full list whoever the IdP has now and the list leaves out. */
  private async removalsOf(tenantId: string, groupId: string, delta: MemberDelta): Promise<string[]> {
    if (!delta.replaceAll) return delta.remove;
    const wanted = new Set([...delta.replaceAll, ...delta.add]);
    const now = await this.deps.memberships.userIdsOf(tenantId, groupId, SCIM_SOURCE, { idpView: true });
    return [...delta.remove, ...now.filter((u) => !wanted.has(u))];
  }

  private holdDeps(): GroupHoldDeps {
    return { models: this.deps.models, memberships: this.deps.memberships, enqueuer: this.deps.producer, registry: this.deps.registry, logger: this.deps.logger };
  }

  private cause(ctx: ScimContext): DeprovisionCause {
    return { actor: ctx.actor, ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}) };
  }

  /** The change's audit event, built before the write so that it can travel with it (its id fixed now). `deprovisions`: its removals the breaker counts. */
  private auditOf(ctx: ScimContext, action: string, id: string, before: GroupDoc | undefined, attrs: Record<string, unknown>, version: number | undefined, deprovisions = 0): AuditEventDoc {
    return auditEvent({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      action,
      object: { type: 'Group', id },
      before: before && { attrs: before.attrs, version: before.version },
      after: { attrs, ...(version !== undefined && { version }), ...(deprovisions > 0 && { deprovisions }) },
      state: { attrs },
      requestId: ctx.requestId,
    });
  }
}

/** The group as its request sees it: what other requests still have pending is theirs. */
function withoutPending(doc: GroupDoc): GroupDoc {
  const { pendingMembers: _pending, ...rest } = doc;
  return rest;
}
