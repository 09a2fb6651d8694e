import { repositoriesOf } from '../../src/persistence/repositories';
import type { GroupSyncNames } from '../../src/persistence/groups-repository';
import type { JobPayloads } from '../../src/queue/jobs';
import { bumpRuleSetVersion } from '../../src/domain/sync/rule-set-version';
import { requestRuleRun } from '../../src/domain/sync/reevaluation';
import { acknowledgeGroupPart } from './acknowledge-sync';
import { reevaluateUsers } from './fan-out';
import type { JobResult, ProcessorDeps } from './processor-deps';

const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : undefined);

/**
 * `group.membersChanged`: an IdP group's members, name or existence changed.
 *  - The users whose membership changed are re-evaluated (their `groups` changed).
 *  - A rename (displayName or externalId) changes what rules naming the group match: its
 *    current members are re-evaluated, and the rule set is recompiled (group names resolve to
 *    ids at compile time). Creation and deletion of a group a rule names recompile too.
 *  - A job re-created by the sweeper has lost its user ids: every rule that tests `groups` is
 *    run over the whole tenant instead (a reconcile), which covers any user.
 * The group is acknowledged for the job's version (when all parts of it are done).
 */
export async function processGroupMembersChanged(deps: ProcessorDeps, data: JobPayloads['group.membersChanged']): Promise<JobResult> {
  const { tenantId, groupId } = data;
  const ruleSet = await deps.ruleSets.get(tenantId);
  if (!ruleSet) return { outcome: 'gone' };
  const repos = repositoriesOf(deps.models);
  const group = await repos.groups.findSyncSnapshot(tenantId, groupId);

  let renamed = false;
  const named = (names: GroupSyncNames | undefined) => names !== undefined && [lower(names.displayName), lower(names.externalId)].some((n) => n !== undefined && ruleSet.groupNames.has(n));
  if (!group) {
    // Deleted: if rules name groups, this one may have been among them.
    if (ruleSet.usesGroups) await bumpRuleSetVersion(deps.models, tenantId);
  } else if (group.origin === 'scim') {
    const names: GroupSyncNames = { displayName: str(group.attrs?.displayName), externalId: str(group.attrs?.externalId) };
    const previous = group.syncNames;
    // A name the group lacks may have been stored as null (before names were stored without it):
    // null and absent are the same name, or every job of a group without an externalId (Okta's
    // push) looked like a rename and re-evaluated all its members (issue 23).
    const changed = !previous || !sameName(previous.displayName, names.displayName) || !sameName(previous.externalId, names.externalId);
    if (changed) {
      if (named(names) || named(previous)) {
        await bumpRuleSetVersion(deps.models, tenantId);
        renamed = previous !== undefined;
      }
      await repos.groups.setSyncNames(tenantId, groupId, names);
    }
  }

  let reevaluated = await reevaluateUsers(deps, tenantId, data.userIds, 'group');
  if (renamed) reevaluated += await reevaluateUsers(deps, tenantId, repos.memberships.streamUserIdsOf(tenantId, groupId, deps.chunkSize), 'group');

  let reconciled = 0;
  // Only IdP groups feed `groups` (an internal group marked pending changes no rule's input).
  if (data.reason === 'sweep' && ruleSet.usesGroups && (!group || group.origin === 'scim')) {
    for (const rule of ruleSet.active) {
      if (!rule.compiled.usesGroups) continue;
      if ((await requestRuleRun(deps.models, deps.queue, tenantId, rule.rule._id, 'sweep')) !== null) reconciled++;
    }
  }
  const acknowledged = group ? await acknowledgeGroupPart(deps.models, tenantId, groupId, data.version, data.part, data.parts) : false;
  return { outcome: group ? 'completed' : 'gone', reevaluated, renamed, reconciledRules: reconciled, acknowledged };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const sameName = (a: string | null | undefined, b: string | undefined) => (a ?? undefined) === b;
