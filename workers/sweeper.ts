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
/** A PendingSweeper reads every stale mark again (a full sweep) this often; in between only what became stale. */
export const FULL_SWEEP_EVERY_MS = 10 * 60_000;
/**
 * How far behind the last sweep's cutoff the next one starts reading: a mark carries its writer's
 * clock read, which may come before the write commits (a request within its 25 s deadline) or
 * from a clock a little behind ours. Each mark is read about 1 + margin ÷ interval times.
 */
export const LATE_WRITE_MARGIN_MS = 30_000;

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
  return new PendingSweeper(models, queue, afterSeconds, logger).sweep();
}

type Kind = 'users' | 'groups' | 'rules';

/** A stale mark the sweeper keeps an eye on: the job that serves it, and the failed job that holds it, if any. */
interface Watched {
  tenantId: string;
  id: string;
  job: QueuedJob;
  failedJobId?: string;
}

/** What a sweeper remembers of one kind between sweeps. */
interface KindState {
  /** Where the next sweep's read of marks starts (pending since then or later); undefined: no sweep yet, the next one is full. */
  nextFrom?: Date;
  /** Every stale mark seen pending, by `tenantId \t id`. */
  watched: Map<string, Watched>;
}

const keyOf = (tenantId: string, id: string) => `${tenantId}\t${id}`;

/**
 * The worker's sweeper (issue 23): `sweepPending` whose cost per sweep is the stale marks, not
 * every pending one. A full sweep reads every mark pending since before the threshold and asks
 * Redis whether each has a live job; during a large import or push that is the whole backlog
 * (964 documents per sweep at 10,000 users, 7,000–8,000 at 30,000), every 15 s, while nearly all
 * of it has its job waiting. This one remembers what it saw:
 *
 * - it reads from the database only the marks that became stale since its last sweep (pending
 *   since then, with LATE_WRITE_MARGIN_MS for a slow writer or a clock behind ours; index
 *   `sync.pendingSince`, oldest first) and, again, the documents of marks it watches whose job
 *   Redis no longer has;
 * - every stale mark it has seen pending is watched (in memory: the job that serves it, and the
 *   failed job that holds it) until a second look finds it no longer pending. Each sweep asks Redis
 *   about every watched job in one pipelined round trip per 500; no document is read for a job
 *   that is still live.
 *
 * So the guarantee is the full sweep's: a pending mark with no job is re-enqueued. A job lost
 * after the mark was first seen (Redis wiped or failed over, a job that finished without
 * acknowledging, a failed job an operator removed) shows as not live at the next sweep, and the
 * document is read again and judged as a full sweep would. Marks pending since before the margin
 * that this process never saw (a write committed more than the margin after its own clock read)
 * are caught by the full sweep, which runs at a process's first sweep and every
 * FULL_SWEEP_EVERY_MS (and rebuilds what is watched).
 */
export class PendingSweeper {
  private readonly state: Record<Kind, KindState> = { users: { watched: new Map() }, groups: { watched: new Map() }, rules: { watched: new Map() } };
  private lastFull = 0;

  constructor(
    private readonly models: Models,
    private readonly queue: WorkerJobQueue,
    private readonly afterSeconds: number,
    private readonly logger: Logger,
    private readonly opts: { fullEveryMs?: number; lateWriteMarginMs?: number } = {},
  ) {}

  /** How many stale marks are watched (for tests and logs). */
  watchedCount(): number {
    return Object.values(this.state).reduce((n, k) => n + k.watched.size, 0);
  }

  async sweep(): Promise<SweepResult> {
    const { models, queue, afterSeconds, logger } = this;
    // First: their last steps enqueue jobs and write audit events the rest of the sweep then sees.
    const repos = repositoriesOf(models);
    const recovery = { models, memberships: repos.memberships, enqueuer: queue };
    const changes = (await finishInterruptedChanges(recovery, afterSeconds)) + (await finishInterruptedGroupChanges(recovery, afterSeconds));
    // The user lifecycle: deferred IdP deletions whose breaker window passed, purges (docs/deprovisioning.md).
    await runLifecycle(recovery);
    const audits = (await writeInterruptedAudits(models, afterSeconds)) + (await writeInterruptedMembershipAudits(models, afterSeconds));
    const now = Date.now();
    const cutoff = new Date(now - afterSeconds * 1000);
    const full = now - this.lastFull >= (this.opts.fullEveryMs ?? FULL_SWEEP_EVERY_MS);
    if (full) this.lastFull = now;
    const users = await this.sweepKind('users', repos.users.syncMarks, full, cutoff, (u) => ({
      name: 'user.changed',
      data: { tenantId: u.tenantId, userId: u._id, version: u.sync.version, reason: 'sweep' },
    }));
    const groups = await this.sweepKind('groups', repos.groups.syncMarks, full, cutoff, (g) => ({
      name: 'group.membersChanged',
      data: { tenantId: g.tenantId, groupId: g._id, version: g.sync.version, part: 0, userIds: [], reason: 'sweep' },
    }));
    const rules = await this.sweepKind('rules', repos.rules.syncMarks, full, cutoff, (r) => ({
      name: 'rule.changed',
      data: { tenantId: r.tenantId, ruleId: r._id, version: r.sync.version, reason: 'sweep' },
    }));
    const result: SweepResult = { users, groups, rules, changes, audits };
    if (result.users + result.groups + result.rules + result.changes + result.audits > 0) logger.info('sweeper re-enqueued stale changes', { ...result });
    return result;
  }

  private async sweepKind(kind: Kind, marks: SyncMarks, full: boolean, cutoff: Date, toJob: (d: PendingSyncDoc) => QueuedJob): Promise<number> {
    const state = this.state[kind];
    const incremental = !full && state.nextFrom !== undefined;
    const seen = new Map<string, Watched>();
    let enqueued = 0;
    let batch: PendingSyncDoc[] = [];
    // Judges pending documents as a full sweep does; every one is watched afterwards.
    const flush = async () => {
      const docs = batch;
      batch = [];
      if (docs.length === 0) return;
      const jobs = docs.map(toJob);
      for (let i = 0; i < docs.length; i++) {
        const d = docs[i]!;
        seen.set(keyOf(d.tenantId, d._id), { tenantId: d.tenantId, id: d._id, job: jobs[i]!, failedJobId: failedJobHolding(d) });
      }
      // Written within the threshold: its writer may still be on its way to the enqueue (see above).
      const settled = docs.map((d) => !(d.updatedAt instanceof Date) || d.updatedAt < cutoff);
      const live = await this.queue.liveJobFlags(jobs);
      // A failed job Redis still keeps holds its change for the operator.
      const failedIds = docs.map(failedJobHolding);
      const named = [...new Set(failedIds.filter((id): id is string => id !== undefined))];
      const exists = await this.queue.jobsExist(named);
      const kept = new Set(named.filter((_, i) => exists[i]));
      const lost = jobs.filter((_, i) => settled[i] && !live[i] && !kept.has(failedIds[i] ?? ''));
      await this.queue.enqueueMany(lost);
      enqueued += lost.length;
    };

    // What became stale since the last sweep (all that is stale, on a full sweep).
    const from = incremental ? state.nextFrom : undefined;
    let read = 0;
    let last: Date | undefined;
    const cursor = marks.stalePending(cutoff, MAX_PER_SWEEP, BATCH, from);
    try {
      for await (const doc of cursor) {
        read++;
        last = doc.sync.pendingSince;
        if (incremental && state.watched.has(keyOf(doc.tenantId, doc._id))) continue; // looked at below
        batch.push(doc);
        if (batch.length >= BATCH) await flush();
      }
      await flush();
    } finally {
      await cursor.close();
    }

    // The marks watched from earlier sweeps: a document is read again only when its job is gone.
    if (incremental) {
      const watched = [...state.watched.values()];
      for (let i = 0; i < watched.length; i += BATCH) {
        const part = watched.slice(i, i + BATCH);
        const live = await this.queue.liveJobFlags(part.map((w) => w.job));
        const failed = [...new Set(part.map((w) => w.failedJobId).filter((id): id is string => id !== undefined))];
        const exists = await this.queue.jobsExist(failed);
        const held = new Set(failed.filter((_, j) => exists[j]));
        const gone = new Map<string, string[]>();
        part.forEach((w, j) => {
          if (live[j] || (w.failedJobId !== undefined && held.has(w.failedJobId))) seen.set(keyOf(w.tenantId, w.id), w);
          else gone.set(w.tenantId, [...(gone.get(w.tenantId) ?? []), w.id]);
        });
        for (const [tenantId, ids] of gone) {
          // Still pending with no job: judged again (no longer pending: no longer watched).
          for (const doc of await marks.pendingOf(tenantId, ids)) {
            batch.push(doc);
            if (batch.length >= BATCH) await flush();
          }
        }
      }
      await flush();
    }

    state.watched = seen;
    // Read up to the cutoff: the next sweep reads from there, less the margin for late writes. A
    // sweep cut at MAX_PER_SWEEP goes on from the last mark it read.
    state.nextFrom = read >= MAX_PER_SWEEP && last ? last : new Date(cutoff.getTime() - (this.opts.lateWriteMarginMs ?? LATE_WRITE_MARGIN_MS));
    return enqueued;
  }
}
