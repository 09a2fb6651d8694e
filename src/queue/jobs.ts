/**
 * Job names and payloads, typed once for producers (API) and processors (workers/).
 * Jobs are deduplicated per object: while one is waiting, further changes to the same object
 * ride on it (the worker reads the current document, not the payload's snapshot).
 */
export const SYNC_QUEUE = 'sync';

export interface JobPayloads {
  'user.changed': { tenantId: string; userId: string; version: number; reason: UserChangeReason };
  /** Users whose membership in an IdP group changed, in parts of at most 1,000 ids. */
  'group.membersChanged': { tenantId: string; groupId: string; version: number; part: number; userIds: string[] };
}

export type UserChangeReason = 'created' | 'replaced' | 'patched' | 'deactivated' | 'deleted' | 'sweep';
export type JobName = keyof JobPayloads;

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
    default:
      throw new Error(`unknown job ${String(name)}`);
  }
}

/** BullMQ key prefix with a Redis Cluster hash tag, so every key of the queue lands in one slot. */
export function queuePrefix(prefix: string): string {
  return `{${prefix}}`;
}
