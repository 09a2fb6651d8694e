import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { writeUserAudits } from '../audit';

/**
 * A single-document change carries its audit events in the same update (`pendingAudit`), and the
 * events are then written to the log and pulled from the document. A crash in between leaves them
 * on the document: this writes them (their ids are fixed, so once) and settles them, all documents
 * together (writeUserAudits shares the round trips).
 */
export async function writeInterruptedAudits(models: Models, afterSeconds: number, limit = 1000): Promise<number> {
  const cutoff = new Date(Date.now() - afterSeconds * 1000);
  const docs = await repositoriesOf(models).users.withAuditsPendingBefore(cutoff, limit);
  // Younger events' requests may still be writing them.
  const due = docs.map((doc) => ({ doc, events: (doc.pendingAudit ?? []).filter((event) => event.at < cutoff) })).filter((d) => d.events.length > 0);
  await Promise.all(due.map(({ doc, events }) => writeUserAudits(models, doc.tenantId, doc._id, events)));
  return due.reduce((n, d) => n + d.events.length, 0);
}
