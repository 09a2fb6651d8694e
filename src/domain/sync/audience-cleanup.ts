import type { AuditEventDoc, MembershipDoc, UserDoc } from '../../persistence/models';
import { newTimeOrderedId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import { IDP_MEMBERSHIP_SOURCE } from '../rules';
import { audienceOf, groupAudienceOf } from '../groups/user-identity';
import { releaseUserFromGroups } from '../groups/user-departure';
import { isRuleDerivedSource } from './rule-records';
import type { SyncDeps } from './sync-deps';

/** Sources the admin API grants (manual, import, owner): neither the IdP's nor a rule's. */
function isAdminGranted(source: string): boolean {
  return source !== IDP_MEMBERSHIP_SOURCE && !isRuleDerivedSource(source);
}

/**
 * A group's members have its audience (customer groups hold customers, user groups internal
 * users). When a user's audience changes over SCIM, the memberships of internal groups of the other
 * audience become invalid: rule-given ones go through the rule diff (rules match only their
 * target's audience); this removes the ones the admin API granted, with the user's ownership and
 * Group Administrator designation of those groups. Audited as the system's doing, with the reason.
 * Runs in the user's evaluation job, so a crash is healed by the sweeper like any pending user.
 */
export async function dropMembershipsOutsideAudience(
  deps: SyncDeps,
  tenantId: string,
  user: Pick<UserDoc, '_id' | 'attrs'>,
  memberships: readonly Pick<MembershipDoc, 'groupId' | 'sources'>[],
): Promise<number> {
  const candidates = memberships.filter((m) => m.sources.some(isAdminGranted));
  if (candidates.length === 0) return 0;
  const audience = audienceOf(user);
  const groups = await repositoriesOf(deps.models).groups.audiencesOf(
    tenantId,
    candidates.map((m) => m.groupId),
    'internal',
  );
  const outside = new Set(groups.filter((g) => groupAudienceOf(g) !== audience).map((g) => g._id));
  if (outside.size === 0) return 0;

  const events: AuditEventDoc[] = [];
  const cleared = new Set(await releaseUserFromGroups(deps.models, tenantId, user._id, [...outside]));
  for (const m of candidates) {
    if (!outside.has(m.groupId)) continue;
    const sources = m.sources.filter(isAdminGranted);
    let ended = false;
    for (const source of sources) ended = (await deps.memberships.removeSource(tenantId, m.groupId, [user._id], source)).length > 0 || ended;
    events.push({
      _id: newTimeOrderedId('evt', 16),
      tenantId,
      at: new Date(),
      actor: { type: 'system', id: 'audience' },
      action: 'membership.removed',
      object: { type: 'Group', id: m.groupId },
      before: { userId: user._id, sources: m.sources },
      after: {
        userId: user._id,
        removedSources: sources,
        membershipEnded: ended,
        ownerCleared: cleared.has(m.groupId),
        reason: `the user's audience is now "${audience}", which this group does not hold`,
      },
    });
    deps.accessEvents?.emit({ tenantId, kind: 'membership', groupId: m.groupId, userId: user._id });
  }
  await repositoriesOf(deps.models).auditEvents.insertMany(events);
  return events.length;
}
