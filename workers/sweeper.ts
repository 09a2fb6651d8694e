import type { Models } from '../src/persistence/models';
import type { Logger } from '../src/observability/logger';
import type { QueuedJob, WorkerJobQueue } from './job-queue';
import { repositoriesOf } from '../src/persistence/repositories';
import { failedJobHolding, type PendingSyncDoc, type SyncMarks } from '../src/persistence/sync-marks';
import { finishInterruptedChanges } from '../src/domain/recovery/pending-changes';
import { runLifecycle } from '../src/domain/deprovisioning/lifecycle';
import { writeInterruptedAudits } from '../src/domain/recovery/pending-audits';
import { writeInterruptedMembershipAudits } from '../src/domain/recovery/pending-membership-audits';
import { finishInterruptedGroupChanges } from '../src/domain/recovery/pending-group-changes';

/** Documents looked at per kind and sweep; the rest wait for the next sweep. */
const MAX_PER_SWEEP = 20_000;
const BATCH = 500;

export interface SweepResult {
  users: number;
  groups: number;
  rules: number;
  /** Multi-document changes (deletions, group changes) a crash had interrupted, finished by this sweep. */
  changes: number;
  /** Audit events of committed changes that were still waiting on their document (a user, or a membership a rule changed). */
  audits: number;
}

/**
 * Re-enqueues documents whose sync mark has been pending longer than `afterSeconds`: the job was
 * lost (Redis down or wiped, a process died between write and enqueue). A document whose object
 * already has a job waiting, delayed or running is skipped: that job reads the current document
 * (and a running one that read an older version re-queues itself), so adding another would only
 * make the worker do the same work again — during a large import the backlog is older than
 * `afterSeconds` and every sweep used to re-add all of it. Safe to run on every worker replica at
 * once: processing is idempotent.
 *
 * Why not a job id of document id + version instead: BullMQ keeps finished jobs (for monitoring),
 * and an add with the id of a finished job is ignored, so a change re-marked at the same version
 * (a fan-out marks users pending without a new version) would wait for the finished job's removal.
 *
 * Stale means both: pending for longer than `afterSeconds` (`$min` keeps the oldest mark, so a
 * document changed again and again stays pending from its first change) AND last written longer
 * ago than that. A newer version's writer enqueues its job right after its write, so until then
 * no job of that version can be live: a group taking Okta's push of 100 members per PATCH, one
 * PATCH after another, is pending from the first PATCH, and each PATCH is between its version bump
 * and its enqueue most of the time. Judged on the mark alone, nearly every sweep took it for lost
 * work, re-created its job as a sweep (whose dedup id then swallowed the PATCH's own job) and made
 * the worker reconcile every rule that tests `groups`: a full run over the tenant, then every
 * member of the pushed group re-marked pending (issue 23: 29,000 pending after a 30,000-user push).
 *
 * A group's job lost this way has lost the ids of the users it was about: it is re-created with
 * `reason: 'sweep'`, and the worker reconciles the rules that test `groups` instead.
 *
 * A change whose job failed for good (its last attempt) is not lost: BullMQ keeps the failed job,
 * with its error, for an operator to read and retry (the sync failures API). Its document names
 * that job (`sync.failedJob`, written by the processor on the last attempt), and the sweeper leaves the change alone while
 * Redis still keeps the job; once the job is gone (removed, or past retention) it is enqueued again.
 * Re-enqueuing it on every sweep would only fail again and again and bury the failure in retries.
 */
export async function sweepPending(models: Models, queue: WorkerJobQueue, afterSeconds: number, logger: Logger): Promise<SweepResult> {
  // First: their last steps enqueue jobs and write audit events the rest of the sweep then sees.
  const repos = repositoriesOf(models);
  const recovery = { models, memberships: repos.memberships, enqueuer: queue };
  const changes = (await finishInterruptedChanges(recovery, afterSeconds)) + (await finishInterruptedGroupChanges(recovery, afterSeconds));
  // The user lifecycle: deferred IdP deletions whose breaker window passed, purges (docs/deprovisioning.md).
  await runLifecycle(recovery);
  const audits = (await writeInterruptedAudits(models, afterSeconds)) + (await writeInterruptedMembershipAudits(models, afterSeconds));
  const cutoff = new Date(Date.now() - afterSeconds * 1000);
  const sweep = async (marks: SyncMarks, toJob: (d: PendingSyncDoc) => QueuedJob): Promise<number> => {
    const cursor = marks.stalePending(cutoff, MAX_PER_SWEEP, BATCH);
    let batch: PendingSyncDoc[] = [];
    let enqueued = 0;
    const flush = async () => {
      // Written within the threshold: its writer may still be on its way to the enqueue (see above).
      const docs = batch.filter((d) => !(d.updatedAt instanceof Date) || d.updatedAt < cutoff);
      batch = [];
      const jobs = docs.map(toJob);
      const live = await queue.liveJobFlags(jobs);
      // A failed job Redis still keeps holds its change for the operator.
      const failedIds = docs.map(failedJobHolding);
      const named = [...new Set(failedIds.filter((id): id is string => id !== undefined))];
      const exists = await queue.jobsExist(named);
      const kept = new Set(named.filter((_, i) => exists[i]));
      const lost = jobs.filter((_, i) => !live[i] && !kept.has(failedIds[i] ?? ''));
      await queue.enqueueMany(lost);
      enqueued += lost.length;
    };
    try {
      for await (const doc of cursor) {
        batch.push(doc);
        if (batch.length >= BATCH) await flush();
      }
      await flush();
    } finally {
      await cursor.close();
    }
    return enqueued;
  };
  const users = await sweep(repos.users.syncMarks, (u) => ({
    name: 'user.changed',
    data: { tenantId: u.tenantId, userId: u._id, version: u.sync.version, reason: 'sweep' },
  }));
  const groups = await sweep(repos.groups.syncMarks, (g) => ({
    name: 'group.membersChanged',
    data: { tenantId: g.tenantId, groupId: g._id, version: g.sync.version, part: 0, userIds: [], reason: 'sweep' },
  }));
  const rules = await sweep(repos.rules.syncMarks, (r) => ({
    name: 'rule.changed',
    data: { tenantId: r.tenantId, ruleId: r._id, version: r.sync.version, reason: 'sweep' },
  }));
  const result: SweepResult = { users, groups, rules, changes, audits };
  if (result.users + result.groups + result.rules + result.changes + result.audits > 0) logger.info('sweeper re-enqueued stale changes', { ...result });
  return result;
}
