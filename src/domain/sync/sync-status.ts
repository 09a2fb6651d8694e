import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import type { SyncQueueInspector, TenantQueueCounts } from '../../queue/queue-inspector';
import type { RuleKind, RuleRunResult } from './rule-records';

export interface SyncStatus {
  /** Documents whose latest change the worker has not processed yet (the outbox). */
  pending: { users: number; groups: number; rules: number; total: number; oldestPendingSince: Date | null; oldestPendingAgeSeconds: number | null };
  /** This tenant's jobs; `error` instead when Redis does not answer (the outbox still holds every change). */
  jobs: TenantQueueCounts | { error: string };
  lastSuccessfulEvaluationAt: Date | null;
  rules: {
    id: string;
    kind: RuleKind;
    name: string;
    targetGroupId: string;
    enabled: boolean;
    pending: boolean;
    progress?: { matched: number; added: number; removed: number };
    lastRun?: Pick<RuleRunResult, 'version' | 'outcome' | 'matched' | 'added' | 'removed' | 'durationMs' | 'finishedAt'>;
  }[];
}

/** GET /admin/v1/sync/status: the tenant's outbox, its jobs and every rule's last full run. */
export async function syncStatus(models: Models, inspector: SyncQueueInspector, tenantId: string, now = new Date()): Promise<SyncStatus> {
  const repos = repositoriesOf(models);
  // The outbox of each kind of document, in this order: users, groups, rules.
  const outboxes = [repos.users, repos.groups, repos.rules] as const;
  const [counts, oldest, jobs, rules] = await Promise.all([
    Promise.all(outboxes.map((o) => o.syncMarks.countPending(tenantId))),
    Promise.all(outboxes.map((o) => o.syncMarks.oldestPendingSince(tenantId))),
    inspector.tenantCounts(tenantId).catch((err: Error) => ({ error: `Redis did not answer: ${err.message}` })),
    repos.rules.liveOfTenant(tenantId),
  ]);
  const [users = 0, groups = 0, pendingRules = 0] = counts;
  const oldestPendingSince = oldest.filter((d): d is Date => d instanceof Date).sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
  rules.sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
  return {
    pending: {
      users,
      groups,
      rules: pendingRules,
      total: users + groups + pendingRules,
      oldestPendingSince,
      oldestPendingAgeSeconds: oldestPendingSince ? Math.max(0, Math.round((now.getTime() - oldestPendingSince.getTime()) / 100) / 10) : null,
    },
    jobs,
    lastSuccessfulEvaluationAt: 'error' in jobs ? null : jobs.lastSuccessAt,
    rules: rules.map((r) => ({
      id: r._id,
      kind: r.kind ?? 'rule',
      name: r.name,
      targetGroupId: r.targetGroupId,
      enabled: r.enabled,
      pending: Boolean(r.sync?.pendingSince),
      ...(r.progress ? { progress: { matched: r.progress.matched, added: r.progress.added, removed: r.progress.removed } } : {}),
      ...(r.lastRun
        ? {
            lastRun: {
              version: r.lastRun.version,
              outcome: r.lastRun.outcome,
              matched: r.lastRun.matched,
              added: r.lastRun.added,
              removed: r.lastRun.removed,
              durationMs: r.lastRun.durationMs,
              finishedAt: r.lastRun.finishedAt,
            },
          }
        : {}),
    })),
  };
}
