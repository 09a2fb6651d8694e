import type { Job } from 'bullmq';
import type { Models, UserDoc, GroupDoc } from '../../src/persistence/models';
import type { Logger } from '../../src/observability/logger';
import type { JobName, JobPayloads } from '../../src/queue/jobs';
import { acknowledgeSync } from './acknowledge-sync';

export interface ProcessorDeps {
  models: Models;
  logger: Logger;
}

/**
 * Processes the sync queue. Jobs carry ids, not snapshots: the processor reads the current
 * document, so a deduplicated burst of changes is handled by one run on the latest state, and a
 * retried or duplicated job is harmless (idempotent). The identity-sync rules (issue #4) plug in
 * here; today the processor drains the outbox: it acknowledges the version it saw.
 */
export function createSyncProcessor(deps: ProcessorDeps) {
  return async (job: Job<JobPayloads[JobName], unknown, JobName>) => {
    const log = deps.logger.child({ jobId: job.id, job: job.name });
    switch (job.name) {
      case 'user.changed': {
        const data = job.data as JobPayloads['user.changed'];
        const doc = (await deps.models.User.collection.findOne({ _id: data.userId, tenantId: data.tenantId } as never, {
          projection: { sync: 1 },
        })) as Pick<UserDoc, 'sync'> | null;
        if (!doc) return { outcome: 'gone' };
        const acked = await acknowledgeSync(deps.models.User, data.tenantId, data.userId, doc.sync.version);
        log.debug('user synced', { tenantId: data.tenantId, userId: data.userId, version: doc.sync.version, acked });
        return { outcome: acked ? 'synced' : 'superseded', version: doc.sync.version };
      }
      case 'group.membersChanged': {
        const data = job.data as JobPayloads['group.membersChanged'];
        const doc = (await deps.models.Group.collection.findOne({ _id: data.groupId, tenantId: data.tenantId } as never, {
          projection: { sync: 1 },
        })) as Pick<GroupDoc, 'sync'> | null;
        if (!doc) return { outcome: 'gone' };
        const acked = await acknowledgeSync(deps.models.Group, data.tenantId, data.groupId, doc.sync.version);
        log.debug('group synced', { tenantId: data.tenantId, groupId: data.groupId, users: data.userIds.length, acked });
        return { outcome: acked ? 'synced' : 'superseded', version: doc.sync.version };
      }
      default:
        throw new Error(`unknown job ${String(job.name)}`);
    }
  };
}
