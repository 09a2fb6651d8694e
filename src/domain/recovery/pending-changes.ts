import type { AuditEventDoc, Models, PendingChangeDoc } from '../../persistence/models';
import type { MembershipsRepository } from '../../persistence/memberships-repository';
import { newTimeOrderedId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import { writeAuditEvent, writeAuditEvents, type AuditInput, auditEvent } from '../audit';
import type { JobEnqueuer } from '../sync/sync-deps';
import { accessEvents } from '../access-events';
import { releaseUserFromGroups } from '../groups/user-departure';
import { enqueueGroupMemberParts } from './pending-group-changes';

/** What finishing a change needs: the database, the memberships, a queue (the API's or the worker's). */
export interface RecoveryDeps {
  models: Models;
  memberships: MembershipsRepository;
  enqueuer: JobEnqueuer;
}

/**
 * One idempotent step of removing what a deleted object leaves behind in other collections. A step
 * may run twice (a recovery after a crash in the middle of it) and must then change nothing more.
 * Further clean-ups of a deleted user (owner references, group-administrator entries) are added to
 * USER_DELETION_STEPS; the recorded intent makes them recoverable without anything else.
 */
export type CleanupStep = (deps: RecoveryDeps, change: PendingChangeDoc) => Promise<void>;

export const USER_DELETION_STEPS: CleanupStep[] = [
  // Memberships of a deleted user go with it, whatever their source.
  async (deps, change) => {
    await deps.memberships.removeAllForUser(change.tenantId, change.objectId);
  },
  // So do the group ownerships and Group Administrator designations that name the user.
  async ({ models }, { tenantId, objectId }) => {
    await releaseUserFromGroups(models, tenantId, objectId);
  },
];

export const GROUP_DELETION_STEPS: CleanupStep[] = [
  // What was granted to the group goes with it.
  async ({ models }, { tenantId, objectId }) => {
    await repositoriesOf(models).roleAssignments.deleteOfGroup(tenantId, objectId);
    await repositoriesOf(models).resourceGrants.deleteOfGroup(tenantId, objectId);
  },
];

/**
 * Records the intent (first write of the change): from here on the change will be completed.
 * `carriedAudits` are events still pending on the object (see PendingChangeDoc): the intent keeps
 * them, so deleting the object cannot lose them.
 */
export async function recordPendingChange(
  models: Models,
  kind: PendingChangeDoc['kind'],
  objectId: string,
  audit: AuditInput,
  carriedAudits: readonly AuditEventDoc[] = [],
): Promise<PendingChangeDoc> {
  const change: PendingChangeDoc = { _id: newTimeOrderedId('chg', 16), tenantId: audit.tenantId, kind, objectId, audit: auditEvent(audit), createdAt: new Date() };
  if (carriedAudits.length > 0) change.carriedAudits = [...carriedAudits];
  await repositoriesOf(models).pendingChanges.insert(change);
  return change;
}

/** Drops an intent whose change turned out not to apply (the object was gone already). */
export async function abandonPendingChange(models: Models, change: PendingChangeDoc): Promise<void> {
  await repositoriesOf(models).pendingChanges.delete(change);
}

/**
 * Runs the remaining steps of a recorded change, every one idempotent, the record's deletion last.
 * A recovery cannot know the members a group deletion removed before the crash and asks the
 * worker to reconcile instead (reason 'sweep').
 *
 * `deleted`: the request deleted the object itself and found these events still on it. Those the
 * intent does not carry were pushed by a concurrent write after the deletion read the object (that
 * write's request writes them too, unless it died; the ids are fixed, so once).
 */
export async function completePendingChange(deps: RecoveryDeps, change: PendingChangeDoc, deleted?: { eventsLeft: readonly AuditEventDoc[] }): Promise<void> {
  const { models, memberships, enqueuer } = deps;
  const { tenantId, objectId } = change;
  const recovering = (change.attempts ?? 0) > 0;
  if (!deleted && change.kind === 'group.delete' && allowsHeldDeletion(change)) {
    // An admin's Allow of a held IdP group deletion whose request died after recording it: the IdP
    // may have taken the group back since (SCIM POST, answered 201). That acknowledged write wins:
    // delete only a group whose deletion is still held or rejected, else drop the intent.
    const groups = repositoriesOf(models).groups;
    if (!(await groups.scimHeldDeletions.delete(tenantId, objectId)) && (await groups.scim.exists(tenantId, objectId))) {
      await abandonPendingChange(models, change);
      return;
    }
  }
  // Events that waited on the object (see PendingChangeDoc): the object is going, they stay.
  const carried = change.carriedAudits ?? [];
  const late = (deleted?.eventsLeft ?? []).filter((event) => !carried.some((c) => c._id === event._id));
  if (carried.length + late.length > 0) await writeAuditEvents(models, [...carried, ...late]);
  const store = change.kind === 'user.delete' ? repositoriesOf(models).users : repositoriesOf(models).groups;
  if (!deleted) await store.delete(tenantId, objectId);
  if (change.kind === 'user.delete') {
    for (const step of USER_DELETION_STEPS) await step(deps, change);
    accessEvents.emit({ tenantId, kind: 'membership', userId: objectId });
    await writeAuditEvent(models, change.audit);
    await enqueuer.enqueue('user.changed', { tenantId, userId: objectId, version: 0, reason: recovering ? 'sweep' : 'deleted' });
  } else {
    const removed = await memberships.removeAllForGroup(tenantId, objectId);
    for (const step of GROUP_DELETION_STEPS) await step(deps, change);
    accessEvents.emit({ tenantId, kind: 'group', groupId: objectId });
    await writeAuditEvent(models, change.audit);
    const version = Number((change.audit.before as { version?: number } | undefined)?.version ?? 0) + 1;
    await enqueueGroupMemberParts(enqueuer, tenantId, objectId, version, removed, recovering);
  }
  await repositoriesOf(models).pendingChanges.delete(change);
}

/** The intent of an admin's Allow of held IdP group deletions (deprovisioning/group-holds.ts names them in `after`). */
function allowsHeldDeletion(change: PendingChangeDoc): boolean {
  const after = change.audit.after as { allowedHeldChanges?: unknown } | undefined;
  return Array.isArray(after?.allowedHeldChanges);
}

/** Finishes changes recorded `afterSeconds` or more ago (their request died); returns how many. */
export async function finishInterruptedChanges(deps: RecoveryDeps, afterSeconds: number, limit = 1000): Promise<number> {
  const cutoff = new Date(Date.now() - afterSeconds * 1000);
  const stale = await repositoriesOf(deps.models).pendingChanges.olderThan(cutoff, limit);
  let finished = 0;
  for (const change of stale) {
    await repositoriesOf(deps.models).pendingChanges.countAttempt(change);
    await completePendingChange(deps, { ...change, attempts: (change.attempts ?? 0) + 1 });
    finished++;
  }
  return finished;
}
