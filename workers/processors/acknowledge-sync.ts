import type { Models } from '../../src/persistence/models';

/**
 * Clears a document's pending sync mark, but only for the version that was processed: a write that
 * landed meanwhile bumped `sync.version`, so its mark stays and the change is picked up again.
 */
export async function acknowledgeSync(model: Models['User'] | Models['Group'], tenantId: string, id: string, version: number): Promise<boolean> {
  const res = await model.collection.updateOne(
    { _id: id, tenantId, 'sync.version': version } as never,
    { $unset: { 'sync.pendingSince': '' } } as never,
  );
  return res.modifiedCount === 1;
}
