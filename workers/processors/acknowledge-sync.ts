import type { Models } from '../../src/persistence/models';

/**
 * Clears a document's pending sync mark, but only for the version that was processed: a write that
 * landed meanwhile bumped `sync.version`, so its mark stays and the change is picked up again.
 */
export async function acknowledgeSync(model: Models['User'] | Models['Group'] | Models['Rule'], tenantId: string, id: string, version: number): Promise<boolean> {
  const res = await model.collection.updateOne(
    { _id: id, tenantId, 'sync.version': version } as never,
    { $unset: { 'sync.pendingSince': '', 'sync.doneParts': '' } } as never,
  );
  return res.modifiedCount === 1;
}

/**
 * Acknowledges one part of a group's member change. A change of more than 1,000 members comes
 * in several jobs; the group's mark is cleared when every part of that version is done (each
 * part records itself as `version:part`), so a lost part leaves the mark for the sweeper.
 */
export async function acknowledgeGroupPart(models: Models, tenantId: string, groupId: string, version: number, part: number, parts: number | undefined): Promise<boolean> {
  if (parts === undefined || parts <= 1) return acknowledgeSync(models.Group, tenantId, groupId, version);
  const scope = { _id: groupId, tenantId, 'sync.version': version };
  const doc = (await models.Group.collection.findOneAndUpdate(
    scope as never,
    { $addToSet: { 'sync.doneParts': `${version}:${part}` } } as never,
    { returnDocument: 'after' },
  )) as { sync?: { doneParts?: string[] } } | null;
  const done = (doc?.sync?.doneParts ?? []).filter((p) => p.startsWith(`${version}:`)).length;
  if (done < parts) return false;
  return acknowledgeSync(models.Group, tenantId, groupId, version);
}
