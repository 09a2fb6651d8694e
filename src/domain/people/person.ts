import type { SchemaRegistry } from '../../attributes/registry';
import type { AuditEventDoc, Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { getUser } from '../access/user-visibility';
import { auditEventView } from '../access/audit-query';
import type { Access } from '../access/policy';
import { auditNames } from './audit-names';

/** How many of a person's newest events the person page shows. */
export const PERSON_EVENTS = 25;
/** How many of a person's membership events are read to find what caused each membership. */
const CAUSE_WINDOW = 200;

/**
 * The console's person page (GET /users/:id): who they are and why they have what they have.
 * Everyone who may see the user gets their summary and groups with the reason for each source
 * (getUser). Admins also get the user's SCIM attributes (core, enterprise and custom extensions;
 * never the password), the event that last added each rule-made membership (`cause`: the rule's
 * expression and the user change that triggered it, e.g. department Support → Engineering) and
 * their newest audit events with names for the ids (the audit log is admins' only).
 */
export async function personDetail(models: Models, registry: SchemaRegistry, access: Access, userId: string) {
  const base = await getUser(models, access, userId);
  if (!access.isAdmin) return base;
  const repos = repositoriesOf(models);
  const [profile, membershipEvents] = await Promise.all([repos.users.findProfile(access.tenantId, userId), repos.auditEvents.newestAboutUser(access.tenantId, userId, CAUSE_WINDOW)]);
  const events = membershipEvents.slice(0, PERSON_EVENTS);
  const causeOf = new Map<string, AuditEventDoc>();
  for (const e of membershipEvents) {
    if (e.action === 'membership.added' && e.object.type === 'Group' && !causeOf.has(e.object.id)) causeOf.set(e.object.id, e);
  }
  const names = await auditNames(models, access.tenantId, events);
  const view = (e: AuditEventDoc) => ({ ...auditEventView(e), names: names.get(e._id) ?? {} });
  return {
    ...base,
    attributes: profile ? registry.toScim('User', profile.attrs) : {},
    groups: base.groups.map((g) => {
      const cause = causeOf.get(g.groupId);
      return { ...g, cause: cause ? { at: cause.at.toISOString(), actor: cause.actor, after: cause.after ?? null } : null };
    }),
    recentEvents: events.map(view),
  };
}
