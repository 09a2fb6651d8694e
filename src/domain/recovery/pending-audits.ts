import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { writeAuditEvents } from '../audit';

/**
 * A single-document change carries its audit events in the same update (`pendingAudit`), and the
 * events are then written to the log and pulled from the document. A crash in between leaves them
 * on the document: this writes them (their ids are fixed, so once) and settles them.
 */
export async function writeInterruptedAudits(models: Models, afterSeconds: number, limit = 1000): Promise<number> {
  const cutoff = new Date(Date.now() - afterSeconds * 1000);
  const { users } = repositoriesOf(models);
  let written = 0;
  for (const doc of await users.withAuditsPendingBefore(cutoff, limit)) {
    // Younger events' requests may still be writing them.
    const due = (doc.pendingAudit ?? []).filter((event) => event.at < cutoff);
    if (due.length === 0) continue;
    await writeAuditEvents(models, due);
    await users.settleAudit(doc.tenantId, doc._id, due.map((event) => event._id));
    written += due.length;
  }
  return written;
}
