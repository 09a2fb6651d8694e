import type { Models } from '../../src/persistence/models';
import { repositoriesOf } from '../../src/persistence/repositories';
import type { PendingSyncDoc } from '../../src/persistence/sync-marks';
import { Batcher } from '../../src/domain/batcher';

type UserAck = { tenantId: string; id: string; version: number };
type AckOutcome = { acknowledged: true } | { acknowledged: false; mark: PendingSyncDoc['sync'] | null };

const userAcks = new WeakMap<Models, Batcher<UserAck, AckOutcome>>();

/**
 * Clears a user's sync mark for the version its job evaluated (SyncMarks.acknowledge), in one
 * bulk write shared by the jobs finishing at the same time. Not acknowledged: the mark found
 * (a newer version means the user changed while the job ran).
 */
export function acknowledgeUser(models: Models, tenantId: string, userId: string, version: number): Promise<AckOutcome> {
  let acks = userAcks.get(models);
  if (!acks) {
    const marks = repositoriesOf(models).users.syncMarks;
    acks = new Batcher((items) => marks.acknowledgeMany(items));
    userAcks.set(models, acks);
  }
  return acks.one({ tenantId, id: userId, version });
}

/**
 * Acknowledges one part of a group's member change. A change of more than 1,000 members comes
 * in several jobs; the group's mark is cleared when every part of that version is done (each
 * part records itself as `version:part`), so a lost part leaves the mark for the sweeper.
 */
export async function acknowledgeGroupPart(models: Models, tenantId: string, groupId: string, version: number, part: number, parts: number | undefined): Promise<boolean> {
  const marks = repositoriesOf(models).groups.syncMarks;
  if (parts !== undefined && parts > 1) {
    const done = await marks.recordDonePart(tenantId, groupId, version, part);
    if (done === null || done < parts) return false;
  }
  return marks.acknowledge(tenantId, groupId, version);
}
