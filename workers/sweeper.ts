import type { Models } from '../src/persistence/models';
import type { Logger } from '../src/observability/logger';
import type { JobPayloads } from '../src/queue/jobs';
import type { QueuedJob, WorkerJobQueue } from './job-queue';

/** Documents looked at per kind and sweep; the rest wait for the next sweep. */
const MAX_PER_SWEEP = 20_000;
const BATCH = 500;

export interface SweepResult {
  users: number;
  groups: number;
  rules: number;
}

interface PendingDoc {
  _id: string;
  tenantId: string;
  sync: { version: number };
}

/**
 * Re-enqueues documents whose sync mark has been pending longer than `afterSeconds`: the job was
 * lost (Redis down or wiped, a process died between write and enqueue), or is still waiting
 * behind a backlog (then the re-enqueue rides on it: jobs are deduplicated per object). Safe to
 * run on every worker replica at once: processing is idempotent.
 *
 * A group's job lost this way has lost the ids of the users it was about: it is re-created with
 * `reason: 'sweep'`, and the worker reconciles the rules that test `groups` instead.
 */
export async function sweepPending(models: Models, queue: WorkerJobQueue, afterSeconds: number, logger: Logger): Promise<SweepResult> {
  const cutoff = new Date(Date.now() - afterSeconds * 1000);
  const sweep = async (
    model: Models['User'] | Models['Group'] | Models['Rule'],
    toJob: (d: PendingDoc) => QueuedJob,
    skip?: (job: QueuedJob) => Promise<boolean>,
  ): Promise<number> => {
    const cursor = model.collection
      .find({ 'sync.pendingSince': { $lt: cutoff } } as never, { projection: { tenantId: 1, sync: 1 } })
      .limit(MAX_PER_SWEEP)
      .batchSize(BATCH);
    let batch: QueuedJob[] = [];
    let found = 0;
    for await (const raw of cursor) {
      const job = toJob(raw as unknown as PendingDoc);
      if (skip && (await skip(job))) continue;
      batch.push(job);
      found++;
      if (batch.length >= BATCH) {
        await queue.enqueueMany(batch);
        batch = [];
      }
    }
    await queue.enqueueMany(batch);
    return found;
  };
  const users = await sweep(models.User, (u) => ({
    name: 'user.changed',
    data: { tenantId: u.tenantId, userId: u._id, version: u.sync.version, reason: 'sweep' },
  }));
  const groups = await sweep(
    models.Group,
    (g) => ({ name: 'group.membersChanged', data: { tenantId: g.tenantId, groupId: g._id, version: g.sync.version, part: 0, userIds: [], reason: 'sweep' } }),
    // Still queued behind a backlog (its own job, with the user ids, exists): no reconcile needed.
    (job) => queue.hasPendingJob('group.membersChanged', job.data as JobPayloads['group.membersChanged']),
  );
  const rules = await sweep(models.Rule, (r) => ({
    name: 'rule.changed',
    data: { tenantId: r.tenantId, ruleId: r._id, version: r.sync.version, reason: 'sweep' },
  }));
  const result: SweepResult = { users, groups, rules };
  if (result.users + result.groups + result.rules > 0) logger.info('sweeper re-enqueued stale changes', { ...result });
  return result;
}
