import type { MembershipDoc, Models, UserDoc } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { Batcher, perTenant } from '../batcher';

export type UserSnapshot = Pick<UserDoc, '_id' | 'attrs' | 'sync' | 'createdAt' | 'updatedAt'>;
export type MembershipSnapshot = Pick<MembershipDoc, 'groupId' | 'sources'>;

interface UserKey {
  tenantId: string;
  userId: string;
}

interface EvaluationReads {
  users: Batcher<UserKey, UserSnapshot | null>;
  memberships: Batcher<UserKey, MembershipSnapshot[]>;
}

const readers = new WeakMap<Models, EvaluationReads>();

/** One read per tenant of its users' ids (each once), each key answered from the map or with `absent`. */
function byUserIds<V>(read: (tenantId: string, userIds: string[]) => Promise<Map<string, V>>, absent: V) {
  return perTenant<UserKey, V>(async (tenantId, keys) => {
    const found = await read(tenantId, [...new Set(keys.map((k) => k.userId))]);
    return keys.map((k) => found.get(k.userId) ?? absent);
  });
}

/**
 * The two reads of a user's evaluation (the user, and their memberships with sources), shared by
 * the jobs evaluating at the same time: one `_id $in` read and one `{tenantId, userId $in}` read
 * per flush instead of two per job. A flush starts after every read it answers was asked (Batcher),
 * so a job never evaluates a user older than its own start.
 */
export function evaluationReadsOf(models: Models): EvaluationReads {
  let reads = readers.get(models);
  if (!reads) {
    const repos = repositoriesOf(models);
    reads = {
      users: new Batcher(byUserIds(async (tenantId, ids) => new Map((await repos.users.findManyForEvaluation(tenantId, ids)).map((u) => [u._id, u as UserSnapshot | null])), null)),
      memberships: new Batcher(byUserIds((tenantId, ids) => repos.memberships.sourcesOfUsers(tenantId, ids), [] as MembershipSnapshot[])),
    };
    readers.set(models, reads);
  }
  return reads;
}
