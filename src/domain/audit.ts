import type { AuditEventDoc, Models } from '../persistence/models';
import { newId } from '../persistence/ids';

export type AuditActor = AuditEventDoc['actor'];

export interface AuditInput {
  tenantId: string;
  actor: AuditActor;
  action: string;
  object: { type: string; id: string };
  before?: unknown;
  after?: unknown;
  requestId?: string;
}

/** One event per change, written after the change itself (single-document writes, no transactions). */
export async function recordAudit(models: Models, input: AuditInput): Promise<void> {
  await models.AuditEvent.collection.insertOne({
    _id: newId('evt', 16),
    at: new Date(),
    ...input,
  } as never);
}
