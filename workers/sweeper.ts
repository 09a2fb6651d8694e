import type { Models, UserDoc, GroupDoc } from '../src/persistence/models';
import type { JobProducer } from '../src/queue/producer';
import type { Logger } from '../src/observability/logger';

const BATCH = 1000;

/**
 * Re-enqueues documents whose sync mark has been pending longer than `afterSeconds`: the job was
 * lost (Redis down or wiped, a process died between write and enqueue). Safe to run on every
 * worker replica at once: jobs are deduplicated per object and processing is idempotent.
 */
export async function sweepPending(models: Models, producer: JobProducer, afterSeconds: number, logger: Logger): Promise<number> {
  const cutoff = new Date(Date.now() - afterSeconds * 1000);
  let enqueued = 0;
  const users = (await models.User.collection
    .find({ 'sync.pendingSince': { $lt: cutoff } } as never, { projection: { tenantId: 1, sync: 1 } })
    .limit(BATCH)
    .toArray()) as unknown as Pick<UserDoc, '_id' | 'tenantId' | 'sync'>[];
  for (const u of users) {
    if (await producer.enqueue('user.changed', { tenantId: u.tenantId, userId: u._id, version: u.sync.version, reason: 'sweep' })) enqueued++;
  }
  const groups = (await models.Group.collection
    .find({ 'sync.pendingSince': { $lt: cutoff } } as never, { projection: { tenantId: 1, sync: 1 } })
    .limit(BATCH)
    .toArray()) as unknown as Pick<GroupDoc, '_id' | 'tenantId' | 'sync'>[];
  for (const g of groups) {
    if (await producer.enqueue('group.membersChanged', { tenantId: g.tenantId, groupId: g._id, version: g.sync.version, part: 0, userIds: [] })) enqueued++;
  }
  if (users.length + groups.length > 0) logger.info('sweeper re-enqueued stale changes', { users: users.length, groups: groups.length, enqueued });
  return enqueued;
}
