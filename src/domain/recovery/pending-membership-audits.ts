import type { AuditEventDoc, Models } from '../../persistence/models';
import type { MembershipWithPendingAudit } from '../../persistence/memberships-repository';
import { repositoriesOf } from '../../persistence/repositories';
import { textValue } from '../../attributes/text-value';
import { attachAccessDifferences, type MembershipMove } from '../sync/membership-changes';

/**
 * A rule-made membership change carries its audit event in the same update (`pendingAudit` on the
 * membership, sync/membership-changes.ts); the worker then writes it to the log and pulls it. A
 * worker killed in between leaves it there: this writes such events (their ids are fixed, so once)
 * and settles them, deleting memberships that were only waiting for their removal's event.
 */
export async function writeInterruptedMembershipAudits(models: Models, afterSeconds: number, limit = 1000): Promise<number> {
  const cutoff = new Date(Date.now() - afterSeconds * 1000);
  const memberships = repositoriesOf(models).memberships;
  const docs = await memberships.withAuditsPendingBefore(cutoff, limit);
  // Younger events' workers may still be writing them.
  const due = docs.flatMap((doc) => (doc.pendingAudit ?? []).filter((event) => event.at < cutoff).map((event) => ({ doc, event })));
  if (due.length === 0) return 0;
  const events = new Map(due.map(({ doc, event }) => [event._id, recovered(event, doc)]));
  // Their access.changed, as the worker would have computed it: a membership held by the added source alone was created, one without sources ended.
  const moves = due.flatMap(({ doc, event }): MembershipMove[] => {
    const after = (event.after ?? {}) as Record<string, unknown>;
    const before = (event.before ?? {}) as Record<string, unknown>;
    const move = { tenantId: doc.tenantId, userId: textValue(after.userId ?? before.userId), groupId: event.object.id, source: textValue(after.source ?? before.source), eventId: event._id };
    if (event.action === 'membership.added' && doc.sources.length === 1 && doc.sources[0] === move.source) return [{ ...move, joined: true }];
    if (event.action === 'membership.removed' && doc.sources.length === 0) return [{ ...move, joined: false }];
    return [];
  });
  await attachAccessDifferences(models, moves, events);
  await repositoriesOf(models).auditEvents.insertMany([...events.values()]);
  // A membership without a source goes once all its events are written.
  const emptied = docs.filter((doc) => doc.sources.length === 0 && (doc.pendingAudit ?? []).every((event) => event.at < cutoff)).map((doc) => ({ tenantId: doc.tenantId, membershipId: doc._id }));
  await memberships.settleAudited(
    due.map(({ doc, event }) => ({ tenantId: doc.tenantId, membershipId: doc._id, eventId: event._id })),
    emptied,
  );
  return due.length;
}

/** The event as a recovery writes it: whether a removal ended the membership is read from the membership now. */
function recovered(event: AuditEventDoc, doc: MembershipWithPendingAudit): AuditEventDoc {
  const after: Record<string, unknown> = { ...(event.after as Record<string, unknown>), recovered: true };
  if (event.action === 'membership.removed') after.membershipEnded = doc.sources.length === 0;
  return { ...event, after };
}
