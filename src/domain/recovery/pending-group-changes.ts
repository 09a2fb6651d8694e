import type { AuditEventDoc, GroupDoc, Models, PendingGroupChange } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { writeAuditEvent } from '../audit';
import { accessEvents } from '../access-events';
import type { RecoveryDeps } from './pending-changes';
import type { JobEnqueuer } from '../sync/sync-deps';

/** The IdP's membership source: SCIM group members. */
export const SCIM_SOURCE = 'scim';
const JOB_PART = 1000;

export interface MemberChanges {
  added: string[];
  removed: string[];
}

/**
 * The intent of a group change, recorded in the same update as its version bump. `position`: the
 * one its request took before the commit (GroupsRepository.takePosition).
 */
export function pendingGroupChange(
  audit: AuditEventDoc,
  delta: { add: string[]; remove: string[]; replaceAll?: string[] },
  position: number,
  holdRemovals: readonly string[] = [],
): PendingGroupChange {
  return {
    _id: audit._id,
    at: audit.at,
    add: [...delta.add],
    remove: [...delta.remove],
    ...(delta.replaceAll ? { replaceAll: [...delta.replaceAll] } : {}),
    position,
    audit,
    ...(holdRemovals.length > 0 && { holdRemovals: [...holdRemovals] }),
  };
}

const touched = (c: PendingGroupChange) => new Set([...c.add, ...c.remove]);

/**
 * Whether two changes name a common user (a full list names everyone). Changes that do not
 * commute must be applied in commit order.
 */
function overlap(a: PendingGroupChange, b: PendingGroupChange): boolean {
  if (a.replaceAll || b.replaceAll) return true;
  const names = touched(a);
  return [...touched(b)].some((u) => names.has(u));
}

/**
 * The changes committed before `own` (earlier in the array: $push appends in commit order) that
 * name one of its users. They are finished before `own` is applied, so a change left behind by a
 * crashed request cannot be applied later, by the sweeper, over a newer change of the same member
 * ("remove u" after a later "add u"). Changes about other users commute and are left to their
 * own request.
 */
export function earlierConflicting(group: Pick<GroupDoc, 'pendingMembers'>, own: PendingGroupChange): PendingGroupChange[] {
  const all = group.pendingMembers ?? [];
  const at = all.findIndex((c) => c._id === own._id);
  return (at < 0 ? [] : all.slice(0, at)).filter((c) => overlap(c, own));
}

export interface FinishOptions {
  /** The group's version after the change, when known (a members-only change learns it from its $inc). */
  version?: number;
  /** Finished by someone other than its own request: users deleted meanwhile are not added back, jobs carry reason 'sweep'. */
  recovering: boolean;
}

/**
 * Applies a recorded group change and settles it: the member writes, the audit event (fixed id:
 * written once, whoever gets there first), the entry pulled from the group, the jobs. Run by the
 * request that made the change, by a later change that must not overtake it, and by the sweeper;
 * running it twice changes nothing more.
 *
 * The member writes are ordered (docs/decisions.md, "Acknowledged means final"): each applies only
 * where the member's recorded position is older than the change's, so whoever finishes a change
 * late (a sweeper that read it before its request settled it, a request that stalled) cannot undo
 * a later change of the same member. The event lists what the change did: its request knows which
 * memberships it created and ended; a recovery lists the members on which the change's write is the
 * one in effect (written before the crash or now), since what the dead request wrote is not known.
 */
export async function finishGroupChange(deps: RecoveryDeps, tenantId: string, groupId: string, change: PendingGroupChange, opts: FinishOptions): Promise<MemberChanges> {
  const { models, memberships } = deps;
  const position = change.position ?? 0;
  const stillUsers = async (ids: readonly string[]) => (opts.recovering ? existingUsers(models, tenantId, ids) : [...ids]);
  const add = [...(change.replaceAll ?? []), ...change.add];
  const adds = add.length ? await memberships.addSourceAt(tenantId, groupId, await stillUsers(add), SCIM_SOURCE, position) : { changed: [], applied: [] };
  const remove = [...change.remove];
  if (change.replaceAll) {
    // A full list removes whoever else the source holds now (an older change applied after this read loses to the removal's position).
    const wanted = new Set(change.replaceAll);
    // Members whose removal is held are out of the IdP's view already.
    remove.push(...(await memberships.userIdsOf(tenantId, groupId, SCIM_SOURCE, { idpView: true })).filter((u) => !wanted.has(u)));
  }
  // The breaker's decision travels with the change: its held removals keep the source, marked held
  // (in the same ordered write), whoever finishes the change.
  const holding = new Set(change.holdRemovals ?? []);
  const plain = remove.filter((u) => !holding.has(u));
  const held = remove.filter((u) => holding.has(u));
  const removes = plain.length ? await memberships.removeSourceAt(tenantId, groupId, plain, SCIM_SOURCE, position) : { changed: [], applied: [] };
  const holds = held.length
    ? await memberships.holdSourceAt(tenantId, groupId, held, SCIM_SOURCE, position, {
        _id: change._id,
        at: change.at,
        actor: change.audit.actor,
        ...(change.audit.requestId !== undefined && { requestId: change.audit.requestId }),
      })
    : { changed: [], applied: [] };
  const changes: MemberChanges = opts.recovering ? { added: adds.applied, removed: removes.applied } : { added: adds.changed, removed: removes.changed };
  const membersHeld = opts.recovering ? holds.applied : holds.changed;
  if (changes.added.length) await undoOrphanedAdds(deps, tenantId, groupId, changes.added);

  const after = (change.audit.after ?? {}) as Record<string, unknown>;
  const event: AuditEventDoc = {
    ...change.audit,
    after: {
      ...after,
      ...(opts.version !== undefined && { version: opts.version }),
      membersAdded: changes.added,
      membersRemoved: changes.removed,
      // Held removals (the deprovisioning breaker): shown removed over SCIM, access kept.
      ...(held.length > 0 && { membersHeld }),
      // A recovery lists the members its change's write is in effect on (see above) and what was asked.
      ...(opts.recovering && {
        recovered: true,
        membersRequested: { add: change.add, remove: change.remove.filter((u) => !holding.has(u)), ...(change.replaceAll && { replaceAll: change.replaceAll }) },
      }),
    },
  };
  await writeAuditEvent(models, event);
  await repositoriesOf(models).groups.settleMemberChange(tenantId, groupId, change._id);
  await enqueueMemberChanges(deps, tenantId, groupId, opts, [...changes.added, ...changes.removed]);
  return changes;
}

async function existingUsers(models: Models, tenantId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const have = await repositoriesOf(models).users.existingIds(tenantId, [...new Set(ids)]);
  return ids.filter((id) => have.has(id));
}

/**
 * A user or the group deleted while the memberships were being written: its deletion's clean-up
 * may have run before our add and left the new membership behind. Deletions delete the document
 * before their clean-up, so a document still there now will be cleaned up after us; one gone is
 * ours to undo.
 */
async function undoOrphanedAdds(deps: RecoveryDeps, tenantId: string, groupId: string, added: readonly string[]): Promise<void> {
  if (!(await repositoriesOf(deps.models).groups.exists(tenantId, groupId))) {
    await deps.memberships.removeAllForGroup(tenantId, groupId);
    return;
  }
  const present = new Set(await existingUsers(deps.models, tenantId, added));
  const gone = added.filter((u) => !present.has(u));
  if (gone.length) await deps.memberships.deleteOfUsers(tenantId, groupId, gone);
}

async function enqueueMemberChanges(deps: RecoveryDeps, tenantId: string, groupId: string, opts: FinishOptions, userIds: string[]): Promise<void> {
  // Permission caches: roles and resources may be granted to IdP groups too.
  if (userIds.length === 1) accessEvents.emit({ tenantId, kind: 'membership', groupId, userId: userIds[0] });
  else if (userIds.length > 1 || opts.recovering) accessEvents.emit({ tenantId, kind: 'membership', groupId });
  // A recovery does not know the group's version of the change: the job names the current one.
  const version = opts.version ?? (await currentVersion(deps.models, tenantId, groupId));
  if (version === undefined) return; // deleted since: its deletion enqueued what is needed
  // At least one part, so a rename alone reaches the worker (rules may test the group's name);
  // `parts` lets the worker clear the group's pending mark only once every part is done. A
  // recovered change has lost the users written before the crash: 'sweep' makes the worker reconcile.
  await enqueueGroupMemberParts(deps.enqueuer, tenantId, groupId, version, userIds, opts.recovering);
}

/**
 * `group.membersChanged` for these users, in parts of at most JOB_PART ids, at least one part;
 * `recovering` marks them 'sweep' (the worker then reconciles the rules that read `groups`).
 */
export async function enqueueGroupMemberParts(enqueuer: JobEnqueuer, tenantId: string, groupId: string, version: number, userIds: readonly string[], recovering: boolean): Promise<void> {
  const parts = Math.max(1, Math.ceil(userIds.length / JOB_PART));
  for (let part = 0; part < parts; part++) {
    const slice = userIds.slice(part * JOB_PART, (part + 1) * JOB_PART);
    await enqueuer.enqueue('group.membersChanged', { tenantId, groupId, version, part, parts, userIds: slice, ...(recovering && { reason: 'sweep' as const }) });
  }
}

async function currentVersion(models: Models, tenantId: string, groupId: string): Promise<number | undefined> {
  const doc = await repositoriesOf(models).groups.findVersion(tenantId, groupId);
  return doc?.version;
}

/**
 * Finishes group changes recorded more than `afterSeconds` ago (their request died), oldest
 * first per group (commit order); younger ones are left to their request. Returns how many.
 */
export async function finishInterruptedGroupChanges(deps: RecoveryDeps, afterSeconds: number, limit = 1000): Promise<number> {
  const cutoff = new Date(Date.now() - afterSeconds * 1000);
  const groups = await repositoriesOf(deps.models).groups.withMemberChangesPendingBefore(cutoff, limit);
  let finished = 0;
  for (const group of groups) {
    for (const change of group.pendingMembers ?? []) {
      if (change.at >= cutoff) continue; // its request may still be writing it
      await finishGroupChange(deps, group.tenantId, group._id, change, { recovering: true });
      finished++;
    }
  }
  return finished;
}

/**
 * Audit events of changes still pending on a group that is being deleted: the changes were
 * committed (their members go with the group), so their events are written, once, saying which
 * members each asked for.
 */
export function pendingAuditsOfGroup(group: Pick<GroupDoc, 'pendingMembers' | 'pendingAudit'>): AuditEventDoc[] {
  return [
    ...(group.pendingMembers ?? []).map((change) => ({
      ...change.audit,
      after: { ...(change.audit.after ?? {}), recovered: true, membersRequested: { add: change.add, remove: change.remove } },
    })),
    // Group-level events (a held deletion's) a crash left on it.
    ...(group.pendingAudit ?? []),
  ];
}
