import type { JobsOptions } from 'bullmq';

/**
 * Job names and payloads, typed once for producers (API) and processors (workers/).
 * Jobs are deduplicated per object: while one is waiting, further changes to the same object
 * ride on it (the worker reads the current document, not the payload's snapshot).
 */
export const SYNC_QUEUE = 'sync';

export interface JobPayloads {
  /** `trigger`: the user's change that enqueued the job (absent when a group, a rule or the sweeper did). */
  'user.changed': { tenantId: string; userId: string; version: number; reason: UserChangeReason; trigger?: UserChangeTrigger };
  /**
   * Users whose membership in an IdP group changed, in parts of at most 1,000 ids. `parts` (when
   * the producer knows it) lets the worker acknowledge the group only once every part is done.
   * `reason: 'sweep'` marks a job re-created by the sweeper: the original user ids are lost, so
   * the worker reconciles every rule that reads `groups` instead.
   */
  'group.membersChanged': {
    tenantId: string;
    groupId: string;
    version: number;
    part: number;
    userIds: string[];
    parts?: number;
    reason?: 'sweep';
  };
  /** A rule (or a dynamic group's rule) was created, updated, enabled, disabled or deleted: re-evaluate the tenant. */
  'rule.changed': { tenantId: string; ruleId: string; version: number; reason?: RuleChangeReason };
}

/**
 * A user's change as its job carries it, so the audit events of the rule memberships it changes can
 * name their cause without reading the audit log: the change's event id, action and time (ISO),
 * the version it made, and the attributes it changed, before and after (bounded as in the event).
 */
export interface UserChangeTrigger {
  eventId: string;
  action: string;
  at: string;
  version: number;
  before: unknown;
  after: unknown;
}

/** `group`, `rule` and `requeue` are worker-originated re-evaluations (an IdP group changed, a rule run met a concurrent edit, a newer version arrived while a job ran). */
export type UserChangeReason = 'created' | 'replaced' | 'patched' | 'deactivated' | 'deleted' | 'sweep' | 'group' | 'rule' | 'requeue';
export type RuleChangeReason = 'created' | 'updated' | 'enabled' | 'disabled' | 'deleted' | 'reconcile' | 'sweep' | 'requeue';
export type JobName = keyof JobPayloads;
export const JOB_NAMES: readonly JobName[] = ['user.changed', 'group.membersChanged', 'rule.changed'];

export function dedupId<N extends JobName>(name: N, data: JobPayloads[N]): string {
  switch (name) {
    case 'user.changed': {
      const d = data as JobPayloads['user.changed'];
      return `user:${d.tenantId}:${d.userId}`;
    }
    case 'group.membersChanged': {
      const d = data as JobPayloads['group.membersChanged'];
      return `group:${d.tenantId}:${d.groupId}:${d.version}:${d.part}`;
    }
    case 'rule.changed': {
      // Per rule, not per version: a newer change rides on a waiting job, and a running job
      // notices the newer version itself (it is superseded).
      const d = data as JobPayloads['rule.changed'];
      return `rule:${d.tenantId}:${d.ruleId}`;
    }
    default:
      throw new Error(`unknown job ${String(name)}`);
  }
}

/** Retry and retention settings shared by every producer of the sync queue. */
export const JOB_RETRY = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  // Completed jobs for an hour (the monitoring counts them), failed ones for a week with their error.
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const satisfies JobsOptions;

/**
 * Full job options. `keepLastIfActive` covers the one case plain deduplication drops: a change
 * that arrives while the object's job is *running* is stored and run right after it, so two jobs
 * of one object never run at once and none is lost. `priority` is the tenant's (tenant-demand.ts):
 * 0 is BullMQ's plain waiting list, taken before every prioritized job.
 */
export function jobOptions<N extends JobName>(name: N, data: JobPayloads[N], priority = 0): JobsOptions {
  return { ...JOB_RETRY, ...(priority > 0 ? { priority } : {}), deduplication: { id: dedupId(name, data), keepLastIfActive: true } };
}

/** BullMQ key prefix with a Redis Cluster hash tag, so every key of the queue lands in one slot. */
export function queuePrefix(prefix: string): string {
  return `{${prefix}}`;
}
