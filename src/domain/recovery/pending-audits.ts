import type { AuditEventDoc, Models } from '../../persistence/models';
import { writeAuditEvent } from '../audit';

interface WithPendingAudit {
  _id: string;
  tenantId: string;
  pendingAudit?: AuditEventDoc[];
}

/**
 * A single-document change carries its audit event in the same update (`pendingAudit`), and the
 * event is then written to the log and pulled from the document. A crash in between leaves the
 * event on the document: this writes it (its id is fixed, so once) and settles it.
 */
export async function writeInterruptedAudits(models: Models, afterSeconds: number, limit = 1000): Promise<number> {
  const cutoff = new Date(Date.now() - afterSeconds * 1000);
  let written = 0;
  for (const model of [models.User] as const) {
    const docs = (await model.collection
      .find({ 'pendingAudit.at': { $lt: cutoff } } as never, { projection: { tenantId: 1, pendingAudit: 1 } })
      .limit(limit)
      .toArray()) as unknown as WithPendingAudit[];
    for (const doc of docs) {
      for (const event of doc.pendingAudit ?? []) {
        if (event.at >= cutoff) continue; // its request may still be writing it
        await writeAuditEvent(models, event);
        await model.collection.updateOne({ _id: doc._id, tenantId: doc.tenantId } as never, { $pull: { pendingAudit: { _id: event._id } } } as never);
        written++;
      }
    }
  }
  return written;
}
