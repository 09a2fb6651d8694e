import { repositoriesOf } from '../../src/persistence/repositories';
import type { JobPayloads } from '../../src/queue/jobs';
import { runRule } from '../../src/domain/sync/rule-run';
import { readRuleSetVersion } from '../../src/domain/sync/rule-set-version';
import { reevaluateUsers } from './fan-out';
import type { JobResult, ProcessorDeps } from './processor-deps';

/** Clock skew allowance when looking for documents changed during a run. */
const SKEW_MS = 1000;

/**
 * `rule.changed`: a full run of the rule over the tenant (rule-run.ts), resumable and
 * superseded by a newer version of the rule. When superseded, the newer version's job is
 * enqueued here (the API's own enqueue may have been deduplicated against this running job).
 *
 * The catch-up. The run decides each user on what it read (the user's attributes as its chunk
 * streamed them; for rules testing `groups`, the named IdP groups and their members as they were
 * when the run started). A user who changed while the run went may have been evaluated by their
 * own job (with the new rule) before the run wrote its chunk with older data, and the run's write
 * would stand. So afterwards exactly those users are re-evaluated through their own jobs: the
 * users written since the run started, and for rules testing `groups` the users whose membership
 * of an IdP group was written (added, removed, held) since then. Each read is index-served and
 * reads only what changed (issue 23: it used to read every user of the tenant, and every member
 * of every IdP group changed meanwhile), so the catch-up costs O(changes during the run).
 *
 * A rename (or creation, deletion) of an IdP group the rules name changes the `groups` of every
 * member without a membership write; it bumps the tenant's rule-set version (group-members-
 * changed.ts) before its members are re-evaluated. When that version moved during the run, or
 * the run was resumed from an earlier job (its start is not this job's), every member of the IdP
 * groups written meanwhile is re-evaluated instead, as before. A rename whose bump comes after
 * this check has its members re-evaluated by its own job after this run's writes.
 */
export async function processRuleChanged(deps: ProcessorDeps, data: JobPayloads['rule.changed']): Promise<JobResult> {
  const { tenantId, ruleId } = data;
  const jobStartedAt = new Date();
  const ruleSetBefore = await readRuleSetVersion(deps.models, tenantId);
  const result = await runRule(deps, tenantId, ruleId, { chunkSize: deps.chunkSize, signal: deps.signal });
  switch (result.outcome) {
    case 'gone':
    case 'upToDate':
      return { outcome: result.outcome };
    case 'superseded': {
      const mark = await repositoriesOf(deps.models).rules.syncMarks.markOf(tenantId, ruleId);
      if (mark?.pendingSince) await deps.queue.enqueue('rule.changed', { tenantId, ruleId, version: mark.version, reason: 'requeue' });
      return { outcome: 'superseded', version: result.version };
    }
    default:
      break;
  }
  let reevaluated = 0;
  if (result.outcome === 'completed') {
    const since = new Date(new Date(result.startedAt).getTime() - SKEW_MS);
    reevaluated += await reevaluateUsers(deps, tenantId, repositoriesOf(deps.models).users.idsUpdatedSince(tenantId, since), 'rule');
    if (result.usesGroups) {
      const startedHere = new Date(result.startedAt).getTime() >= jobStartedAt.getTime();
      const namesSteady = startedHere && ruleSetBefore !== null && (await readRuleSetVersion(deps.models, tenantId)) === ruleSetBefore;
      reevaluated += await reevaluateUsers(deps, tenantId, usersOfIdpGroupsChangedSince(deps, tenantId, since, namesSteady ? 'changedMemberships' : 'allMembers'), 'rule');
    }
  }
  return {
    outcome: 'completed',
    version: result.version,
    result: result.outcome,
    matched: result.matched,
    added: result.added,
    removed: result.removed,
    durationMs: result.durationMs,
    deleted: result.deleted,
    reevaluated,
  };
}

/**
 * The users of IdP groups written since `since` whose `groups` may have changed meanwhile:
 * those whose membership was written (`changedMemberships`), or every member (`allMembers`: a
 * name may have changed).
 */
async function* usersOfIdpGroupsChangedSince(deps: ProcessorDeps, tenantId: string, since: Date, which: 'changedMemberships' | 'allMembers'): AsyncGenerator<string> {
  const repos = repositoriesOf(deps.models);
  const groupIds: string[] = [];
  for await (const id of repos.groups.scim.idsUpdatedSince(tenantId, since)) groupIds.push(id);
  if (which === 'changedMemberships') {
    yield* repos.memberships.userIdsWithMembershipChangedSince(tenantId, groupIds, since, deps.chunkSize);
    return;
  }
  for (const groupId of groupIds) yield* repos.memberships.streamUserIdsOf(tenantId, groupId, deps.chunkSize);
}
