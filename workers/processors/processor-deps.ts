import type { SyncDeps } from '../../src/domain/sync/sync-deps';
import type { WorkerJobQueue } from '../job-queue';

/** What the processors need: the sync engine's dependencies, the worker's queue client and its stop signal. */
export interface ProcessorDeps extends SyncDeps {
  queue: WorkerJobQueue;
  /** Aborted when the worker is killed: jobs stop before their next write. */
  signal: AbortSignal;
  /** Users per chunk in full rule runs and fan-outs. */
  chunkSize: number;
}

/**
 * How a job ended (its BullMQ return value, and the `outcome` label of the job metrics):
 * completed; superseded (a newer change arrived meanwhile and a follow-up job was enqueued);
 * upToDate (a duplicate: that version was processed already); gone / userGone (the tenant, rule,
 * or user no longer exists).
 */
export type JobOutcome = 'completed' | 'superseded' | 'upToDate' | 'gone' | 'userGone';

export interface JobResult {
  outcome: JobOutcome;
  [detail: string]: unknown;
}
