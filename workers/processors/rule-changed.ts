import { repositoriesOf } from '../../src/persistence/repositories';
import type { JobPayloads } from '../../src/queue/jobs';
import { runRule } from '../../src/domain/sync/rule-run';
import { reevaluateUsers } from './fan-out';
import type { JobResult, ProcessorDeps } from './processor-deps';

/** Clock skew allowance when looking for documents changed during a run. */
const SKEW_MS = 1000;

/**
 * `rule.changed`: a full run of the rule over the tenant (rule-run.ts), resumable and
 * superseded by a newer version of the rule. When superseded, the newer version's job is
 * enqueued here (the API's own enqueue may have been deduplicated against this running job).
 *
 * Users who changed while the run streamed may have been evaluated by their own job before
 * this run wrote its chunk with older data; they (and, for rules testing `groups`, the members
 * of IdP groups changed meanwhile) are re-evaluated through their own jobs afterwards.
 */
export async function processRuleChanged(deps: ProcessorDeps, data: JobPayloads['rule.changed']): Promise<JobResult> {
  const { tenantId, ruleId } = data;
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
    if (result.usesGroups) reevaluated += await reevaluateUsers(deps, tenantId, membersOfIdpGroupsChangedSince(deps, tenantId, since), 'rule');
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

async function* membersOfIdpGroupsChangedSince(deps: ProcessorDeps, tenantId: string, since: Date): AsyncGenerator<string> {
  const repos = repositoriesOf(deps.models);
  const groupIds: string[] = [];
  for await (const id of repos.groups.scim.idsUpdatedSince(tenantId, since)) groupIds.push(id);
  for (const groupId of groupIds) yield* repos.memberships.streamUserIdsOf(tenantId, groupId);
}
