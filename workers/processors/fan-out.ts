import type { UserChangeReason } from '../../src/queue/jobs';
import { markUsersPending } from '../../src/domain/sync/reevaluation';
import type { ProcessorDeps } from './processor-deps';

/**
 * Re-evaluates users through their own `user.changed` jobs, in chunks: each chunk is first marked
 * pending on the user documents (durable: a wiped queue is refilled by the sweeper), then
 * enqueued in one round trip. Going through the per-user job keeps one evaluation per user at a
 * time (deduplication), so a group change never races a user's own change.
 */
export async function reevaluateUsers(deps: ProcessorDeps, tenantId: string, userIds: Iterable<string> | AsyncIterable<string>, reason: UserChangeReason): Promise<number> {
  let chunk: string[] = [];
  let total = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    if (deps.signal.aborted) throw new Error('fan-out aborted: the worker is stopping');
    const part = chunk;
    chunk = [];
    await markUsersPending(deps.models, tenantId, part);
    // version 0: not known here; the job reads the user's current document anyway.
    await deps.queue.enqueueMany(part.map((userId) => ({ name: 'user.changed' as const, data: { tenantId, userId, version: 0, reason } })));
    total += part.length;
  };
  const seen = new Set<string>();
  for await (const userId of userIds) {
    if (seen.has(userId)) continue;
    seen.add(userId);
    chunk.push(userId);
    if (chunk.length >= deps.chunkSize) await flush();
  }
  await flush();
  return total;
}
