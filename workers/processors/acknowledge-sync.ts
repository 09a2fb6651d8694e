import type { Models } from '../../src/persistence/models';
import { repositoriesOf } from '../../src/persistence/repositories';

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
