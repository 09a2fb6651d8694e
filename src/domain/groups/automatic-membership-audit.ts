import type { AuditEventDoc, Models, UserDoc } from '../../persistence/models';
import { auditEvent } from '../audit';
import { systemGroupIds } from './group-record';
import { automaticGroupIds } from './memberships-of-user';
import { audienceOf, isActive } from './user-identity';

/** The audit actor of the automatic default groups' memberships (All Users, Platform Users, Customers). */
export const AUTOMATIC_ACTOR = { type: 'system', id: 'automatic' } as const;

/**
 * The automatic default groups' memberships are computed, never stored, so no write records them:
 * these events do. A user enters the automatic groups of their audience when created active, when
 * reactivated or when their audience changes, and leaves them the other way round. Each event names
 * the user change that caused it (`trigger`: the user's audit event and the attributes it changed),
 * and travels with that change's write (pendingAudit), so it is written once even after a crash.
 */
export async function automaticMembershipEvents(
  models: Models,
  tenantId: string,
  before: Pick<UserDoc, 'attrs'> | undefined,
  after: Pick<UserDoc, '_id' | 'attrs'>,
  cause: AuditEventDoc,
): Promise<AuditEventDoc[]> {
  const ids = await systemGroupIds(models, tenantId);
  const groupsOf = (u: Pick<UserDoc, 'attrs'> | undefined) => new Set(u && isActive(u) ? automaticGroupIds(ids, audienceOf(u)) : []);
  const was = groupsOf(before);
  const is = groupsOf(after);
  const changed = (side: unknown) => Object.keys((side as { attrs?: object } | undefined)?.attrs ?? {});
  const trigger = { eventId: cause._id, action: cause.action, attributes: [...new Set([...changed(cause.before), ...changed(cause.after)])] };
  const event = (groupId: string, action: 'membership.added' | 'membership.removed') =>
    auditEvent(
      {
        tenantId,
        actor: AUTOMATIC_ACTOR,
        action,
        object: { type: 'Group', id: groupId },
        ...(action === 'membership.added'
          ? { after: { userId: after._id, source: 'automatic', trigger } }
          : { before: { userId: after._id, source: 'automatic' }, after: { userId: after._id, membershipEnded: true, trigger } }),
        ...(cause.requestId !== undefined ? { requestId: cause.requestId } : {}),
      },
      cause.at,
    );
  return [...[...is].filter((g) => !was.has(g)).map((g) => event(g, 'membership.added')), ...[...was].filter((g) => !is.has(g)).map((g) => event(g, 'membership.removed'))];
}
