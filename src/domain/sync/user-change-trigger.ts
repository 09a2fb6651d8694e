import type { AuditEventDoc } from '../../persistence/models';
import type { UserChangeTrigger } from '../../queue/jobs';

/**
 * The trigger a user's job carries (product doc 001 troubleshooting: the auto_assignment log shows
 * the attribute change behind a rule's decision), built from the change's own audit event when the
 * change is written: the job knows its cause, and the worker reads no audit history to learn it.
 */
export function userChangeTrigger(event: AuditEventDoc, version: number): UserChangeTrigger {
  const attrsOf = (state: unknown) => (state as { attrs?: unknown } | undefined)?.attrs ?? null;
  return { eventId: event._id, action: event.action, at: event.at.toISOString(), version, before: attrsOf(event.before), after: attrsOf(event.after) };
}

/** The trigger as a membership event records it (`at` as a date again, as in the event it names). */
export function triggerForAudit(trigger: UserChangeTrigger): Record<string, unknown> {
  return { eventId: trigger.eventId, action: trigger.action, at: new Date(trigger.at), version: trigger.version, before: trigger.before, after: trigger.after };
}
