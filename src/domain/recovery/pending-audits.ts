import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import type { AuditEventDoc } from '../../persistence/models';
import { writeAuditEvents, writeUserAudits } from '../audit';

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
  return due.reduce((n, d) => n + d.events.length, 0) + (await writeInterruptedTenantAudits(models, cutoff, limit));
}

/**
 * Writes a tenant-level change's audit event that travelled with it (`pendingAudit` on the tenant:
 * the breaker's trip and reset), then pulls it. Its id is fixed: written twice, it is one event.
 */
export async function writeTenantAudit(models: Models, tenantId: string, event: AuditEventDoc): Promise<void> {
  await writeAuditEvents(models, [event]);
  await repositoriesOf(models).tenants.settleAudit(tenantId, [event._id]);
}

/** Group-level events a crash left on groups (a held IdP deletion, its rejection): written once each, then settled. */
async function writeInterruptedGroupAudits(models: Models, cutoff: Date, limit: number): Promise<number> {
  const groups = repositoriesOf(models).groups;
  const docs = await groups.withAuditsPendingBefore(cutoff, limit);
  const due = docs.map((doc) => ({ doc, events: (doc.pendingAudit ?? []).filter((event) => event.at < cutoff) })).filter((d) => d.events.length > 0);
  if (due.length === 0) return 0;
  await writeAuditEvents(
    models,
    due.flatMap((d) => d.events),
  );
  await groups.settleAuditMany(due.map(({ doc, events }) => ({ tenantId: doc.tenantId, id: doc._id, eventIds: events.map((e) => e._id) })));
  return due.reduce((n, d) => n + d.events.length, 0);
}

/** The tenants' events a crash left (a breaker tripped, its event unwritten): written once each, then settled. */
async function writeInterruptedTenantAudits(models: Models, cutoff: Date, limit: number): Promise<number> {
  const tenants = await repositoriesOf(models).tenants.withAuditsPendingBefore(cutoff, limit);
  let written = await writeInterruptedGroupAudits(models, cutoff, limit);
  for (const tenant of tenants) {
    const events = (tenant.pendingAudit ?? []).filter((event) => event.at < cutoff);
    if (events.length === 0) continue;
    await writeAuditEvents(models, events);
    await repositoriesOf(models).tenants.settleAudit(
      tenant._id,
      events.map((e) => e._id),
    );
    written += events.length;
  }
  return written;
}
