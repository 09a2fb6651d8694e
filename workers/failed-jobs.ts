import type { Models } from '../src/persistence/models';
import { repositoriesOf } from '../src/persistence/repositories';
import type { JobName, JobPayloads } from '../src/queue/jobs';

/**
 * A job's last attempt failed: name the job on the document whose change it was processing, so
 * the sweeper leaves that change to the failed job (kept in Redis for an operator's retry) instead
 * of re-enqueuing it on every sweep. True when the mark was written (false when the document has
 * a newer version or nothing pending: then the sweeper treats the change as lost work, as before).
 */
export async function recordFinalFailure<N extends JobName>(models: Models, name: N, data: JobPayloads[N], jobId: string): Promise<boolean> {
  const repos = repositoriesOf(models);
  switch (name) {
    case 'user.changed': {
      const d = data as JobPayloads['user.changed'];
      return repos.users.syncMarks.markFailed(d.tenantId, d.userId, d.version, jobId);
    }
    case 'group.membersChanged': {
      const d = data as JobPayloads['group.membersChanged'];
      return repos.groups.syncMarks.markFailed(d.tenantId, d.groupId, d.version, jobId);
    }
    case 'rule.changed': {
      const d = data as JobPayloads['rule.changed'];
      return repos.rules.syncMarks.markFailed(d.tenantId, d.ruleId, d.version, jobId);
    }
    default:
      return false;
  }
}
