import type { AuditEventDoc, Models, PendingChangeDoc } from '../../persistence/models';
import type { MembershipsRepository } from '../../persistence/memberships-repository';
import { newId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import { writeAuditEvent, writeAuditEvents, type AuditInput, auditEvent } from '../audit';
import type { JobEnqueuer } from '../sync/sync-deps';
import { accessEvents } from '../access-events';
import { releaseUserFromGroups } from '../groups/user-departure';

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
  const change: PendingChangeDoc = { _id: newId('chg', 16), tenantId: audit.tenantId, kind, objectId, audit: auditEvent(audit), createdAt: new Date() };
  if (carriedAudits.length > 0) change.carriedAudits = [...carriedAudits];
  await repositoriesOf(models).pendingChanges.insert(change);
  return change;
}

/**
 * Writes the events found on the object as it was deleted that its intent does not carry: a
 * concurrent write pushed them after the deletion read the object (that write's request writes
 * them too, unless it died; the ids are fixed, so once).
 */
export async function writeEventsLeftOnDeleted(models: Models, change: PendingChangeDoc, left: readonly AuditEventDoc[]): Promise<void> {
  const carried = new Set((change.carriedAudits ?? []).map((event) => event._id));
  const late = left.filter((event) => !carried.has(event._id));
  if (late.length > 0) await writeAuditEvents(models, late);
}

/** Drops an intent whose change turned out not to apply (the object was gone already). */
export async function abandonPendingChange(models: Models, change: PendingChangeDoc): Promise<void> {
  await repositoriesOf(models).pendingChanges.delete(change._id);
}

const JOB_PART = 1000;

/**
 * Runs the remaining steps of a recorded change, every one idempotent, the record's deletion last.
 * `removedMembers` (group deletion) are the users whose membership the first run removed; a
 * recovery cannot know them any more and asks the worker to reconcile instead (reason 'sweep').
 */
export async function completePendingChange(deps: RecoveryDeps, change: PendingChangeDoc): Promise<void> {
  const { models, memberships, enqueuer } = deps;
  const { tenantId, objectId } = change;
  const recovering = (change.attempts ?? 0) > 0;
  // Events that waited on the object (see PendingChangeDoc): the object is going, they stay.
  if (change.carriedAudits?.length) await writeAuditEvents(models, change.carriedAudits);
  if (change.kind === 'user.delete') {
    await repositoriesOf(models).users.delete(tenantId, objectId);
    for (const step of USER_DELETION_STEPS) await step(deps, change);
    accessEvents.emit({ tenantId, kind: 'membership', userId: objectId });
    await writeAuditEvent(models, change.audit);
    await enqueuer.enqueue('user.changed', { tenantId, userId: objectId, version: 0, reason: recovering ? 'sweep' : 'deleted' });
  } else {
    await repositoriesOf(models).groups.delete(tenantId, objectId);
    const removed = await memberships.removeAllForGroup(tenantId, objectId);
    for (const step of GROUP_DELETION_STEPS) await step(deps, change);
    accessEvents.emit({ tenantId, kind: 'group', groupId: objectId });
    await writeAuditEvent(models, change.audit);
    const version = Number((change.audit.before as { version?: number } | undefined)?.version ?? 0) + 1;
    const parts = Math.max(1, Math.ceil(removed.length / JOB_PART));
    for (let part = 0; part < parts; part++) {
      const userIds = removed.slice(part * JOB_PART, (part + 1) * JOB_PART);
      await enqueuer.enqueue('group.membersChanged', { tenantId, groupId: objectId, version, part, parts, userIds, ...(recovering ? { reason: 'sweep' as const } : {}) });
    }
  }
  await repositoriesOf(models).pendingChanges.delete(change._id);
}

/** Finishes changes recorded more than `afterSeconds` ago (their request died); returns how many. */
export async function finishInterruptedChanges(deps: RecoveryDeps, afterSeconds: number, limit = 1000): Promise<number> {
  const cutoff = new Date(Date.now() - afterSeconds * 1000);
  const stale = await repositoriesOf(deps.models).pendingChanges.olderThan(cutoff, limit);
  let finished = 0;
  for (const change of stale) {
    await repositoriesOf(deps.models).pendingChanges.countAttempt(change._id);
    await completePendingChange(deps, { ...change, attempts: (change.attempts ?? 0) + 1 });
    finished++;
  }
  return finished;
}
