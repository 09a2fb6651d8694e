import type { GroupDoc, MembershipDoc, UserDoc } from '../../src/persistence/models';
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
      const doc = (await deps.models.Rule.collection.findOne({ _id: ruleId, tenantId } as never, { projection: { sync: 1 } })) as {
        sync?: { version: number; pendingSince?: Date };
      } | null;
      if (doc?.sync?.pendingSince) await deps.queue.enqueue('rule.changed', { tenantId, ruleId, version: doc.sync.version, reason: 'requeue' });
      return { outcome: 'superseded', version: result.version };
    }
    default:
      break;
  }
  let reevaluated = 0;
  if (result.outcome === 'completed') {
    const since = new Date(new Date(result.startedAt).getTime() - SKEW_MS);
    reevaluated += await reevaluateUsers(deps, tenantId, usersChangedSince(deps, tenantId, since), 'rule');
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

async function* usersChangedSince(deps: ProcessorDeps, tenantId: string, since: Date): AsyncGenerator<string> {
  const cursor = deps.models.User.collection.find({ tenantId, updatedAt: { $gte: since } } as never, { projection: { _id: 1 } });
  for await (const raw of cursor) yield (raw as unknown as Pick<UserDoc, '_id'>)._id;
}

async function* membersOfIdpGroupsChangedSince(deps: ProcessorDeps, tenantId: string, since: Date): AsyncGenerator<string> {
  const groups = await deps.models.Group.collection
    .find({ tenantId, origin: 'scim', updatedAt: { $gte: since } } as never, { projection: { _id: 1 } })
    .toArray();
  for (const g of groups as unknown as Pick<GroupDoc, '_id'>[]) {
    const cursor = deps.models.Membership.collection.find({ tenantId, groupId: g._id } as never, { projection: { _id: 0, userId: 1 } });
    for await (const raw of cursor) yield (raw as unknown as Pick<MembershipDoc, 'userId'>).userId;
  }
}
