import { textValue } from '../../attributes/text-value';
import type { AuditEventDoc } from '../../persistence/models';
import { MANUAL_SOURCE } from '../groups/membership-sources';

/** The payload schema version of every event type below (docs/events.md, "Event catalogue"). */
export const EVENT_SCHEMA_VERSION = 1;

export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.member_added',
  'group.member_removed',
  'access.changed',
  'directory.sync_failed',
  'directory.sync_recovered',
  'user.deprovision_held',
  'user.deprovision_rejected',
  'directory.breaker_tripped',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One change event an audit event yields, before the sequencer gives it its place. */
export interface DerivedEvent {
  type: EventType;
  object: { type: string; id: string; version?: number };
  data: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const withVersion = (o: { type: string; id: string }, version: number | undefined) => (version === undefined ? { ...o } : { ...o, version });

/** What made a membership change: who, and for rules the expression and the user change behind it. */
function causeOf(audit: AuditEventDoc, extra: Obj = {}): Obj {
  const after = obj(audit.after);
  return {
    actor: audit.actor,
    auditAction: audit.action,
    ...(audit.requestId !== undefined && { requestId: audit.requestId }),
    ...(after.expression !== undefined && { expression: after.expression }),
    ...(after.trigger !== undefined && { trigger: after.trigger }),
    ...extra,
  };
}

function member(audit: AuditEventDoc, type: 'group.member_added' | 'group.member_removed', userId: string, source: string, extra: Obj = {}): DerivedEvent {
  const groupId = audit.object.id;
  return { type, object: { type: 'Group', id: groupId }, data: { groupId, userId, source, ...extra, cause: causeOf(audit) } };
}

/** A SCIM user write: `state` is the user after the change; `active` going false or back true names the event. */
function userChange(audit: AuditEventDoc): DerivedEvent[] {
  const state = obj(audit.state);
  const object = withVersion(audit.object, num(state.version) ?? num(obj(audit.after).version));
  const user = { id: audit.object.id, attrs: obj(state.attrs) };
  if (audit.action === 'user.created') return [{ type: 'user.created', object, data: { user } }];
  const before = obj(obj(audit.before).attrs);
  const after = obj(obj(audit.after).attrs);
  let type: EventType = 'user.updated';
  if ('active' in before || 'active' in after) {
    if (after.active === false && before.active !== false) type = 'user.deactivated';
    else if (before.active === false && after.active !== false) type = 'user.reactivated';
  }
  return [{ type, object, data: { user, changes: { before, after } } }];
}

/** A SCIM group write (create, PATCH, PUT): the group if its attributes changed, then one event per member added or removed. */
function scimGroupChange(audit: AuditEventDoc): DerivedEvent[] {
  const after = obj(audit.after);
  const state = obj(audit.state);
  const attrs = obj(state.attrs ?? after.attrs);
  const object = withVersion(audit.object, num(after.version) ?? num(state.version));
  const out: DerivedEvent[] = [];
  const group = { id: audit.object.id, attrs };
  // A recovered change lists what it asked for too: what its dead request wrote is not known. A
  // full list (PUT) then travels whole on the group's event: the members it removed are not known.
  const requested = obj(after.membersRequested);
  const replacedWith = Array.isArray(requested.replaceAll) ? { membersReplacedWith: strings(requested.replaceAll) } : {};
  if (audit.action === 'group.created') out.push({ type: 'group.created', object, data: { group, ...replacedWith } });
  else if (JSON.stringify(obj(obj(audit.before).attrs)) !== JSON.stringify(attrs) || 'membersReplacedWith' in replacedWith) {
    out.push({ type: 'group.updated', object, data: { group, changes: { before: obj(obj(audit.before).attrs), after: attrs }, ...replacedWith } });
  }
  const added = new Set([...strings(after.membersAdded), ...strings(requested.add)]);
  const removed = new Set([...strings(after.membersRemoved), ...strings(requested.remove)]);
  for (const u of added) out.push(member(audit, 'group.member_added', u, 'scim'));
  for (const u of removed) out.push(member(audit, 'group.member_removed', u, 'scim'));
  return out;
}

/** Group changes made with the admin API (internal groups): the group as the admin API shows it. */
function adminGroupChange(audit: AuditEventDoc): DerivedEvent[] {
  const object = { ...audit.object };
  switch (audit.action) {
    case 'group.created':
      return [{ type: 'group.created', object, data: { group: obj(audit.after) } }];
    case 'group.deleted':
      return [{ type: 'group.deleted', object, data: { group: obj(audit.before) } }];
    default:
      return [{ type: 'group.updated', object, data: { group: obj(audit.after), changes: { action: audit.action, before: audit.before ?? null, after: audit.after ?? null } } }];
  }
}

function membershipChange(audit: AuditEventDoc): DerivedEvent[] {
  const before = obj(audit.before);
  const after = obj(audit.after);
  const userId = textValue(after.userId ?? before.userId);
  switch (audit.action) {
    case 'membership.added':
      return [member(audit, 'group.member_added', userId, String(after.source))];
    case 'membership.removed': {
      // Rules remove their one source; an audience change removes the admin-granted ones it names.
      const sources = typeof before.source === 'string' ? [before.source] : strings(after.removedSources);
      return sources.map((s) => member(audit, 'group.member_removed', userId, s, { membershipEnded: after.membershipEnded === true }));
    }
    case 'group.member.added':
      return [member(audit, 'group.member_added', userId, 'manual', { role: after.role ?? 'member' })];
    case 'group.member.removed': {
      const kept = new Set(strings(after.sources));
      return strings(before.sources)
        .filter((s) => !kept.has(s))
        .map((s) => member(audit, 'group.member_removed', userId, s, { membershipEnded: audit.after === undefined }));
    }
    case 'group.members.imported':
      return (Array.isArray(after.added) ? after.added : []).map((row) => member(audit, 'group.member_added', String(obj(row).userId), 'import', { role: obj(row).role ?? 'member' }));
    default:
      return [];
  }
}

/**
 * An accepted invitation: one `group.member_added` per group it added the user to (`outcome:
 * 'added'`; groups where the user already was, or that were skipped, changed nothing). Its source
 * is `invitation`; the membership is kept under the admin API's `manual` source (a later removal
 * names `manual`), given as `membershipSource` so a consumer applying sources as sets matches them.
 */
function invitationAccepted(audit: AuditEventDoc): DerivedEvent[] {
  const after = obj(audit.after);
  const userId = textValue(after.userId);
  if (!userId) return [];
  return (Array.isArray(after.groups) ? after.groups : [])
    .map(obj)
    .filter((g) => g.outcome === 'added' && typeof g.groupId === 'string')
    .map((g) => {
      const groupId = String(g.groupId);
      return {
        type: 'group.member_added' as const,
        object: { type: 'Group', id: groupId },
        data: { groupId, userId, source: 'invitation', membershipSource: MANUAL_SOURCE, role: g.role ?? 'member', cause: causeOf(audit, { invitationId: audit.object.id }) },
      };
    });
}

/**
 * A role or resource grant changed: one `access.changed` per user whose effective access it
 * changed, with their roles, permissions and resources before and after (computed by the write,
 * `state.effective`: src/domain/permissions/access-difference.ts), at the grant's place in the
 * feed. An audit event written before that (no `state.effective`) names the grant only.
 */
function accessChanged(audit: AuditEventDoc): DerivedEvent[] {
  const grant = { subject: { ...audit.object }, change: audit.action, before: audit.before ?? null, after: audit.after ?? null };
  const effective = obj(audit.state).effective;
  if (!Array.isArray(effective)) return [{ type: 'access.changed', object: { ...audit.object }, data: { ...grant, cause: causeOf(audit) } }];
  return effective.map(obj).flatMap((d) =>
    strings(d.userIds).map((userId) => ({
      type: 'access.changed' as const,
      object: { type: 'User', id: userId },
      data: { userId, before: obj(d.before), after: obj(d.after), grant, cause: causeOf(audit) },
    })),
  );
}

/**
 * Any other change that moved users' effective access (memberships of every source, a role's
 * privileges, a group's parent, a group's deletion) carries the difference on its own audit event
 * too (`state.effective`): one `access.changed` per user, right after the change's own events.
 * `change` names what changed (the audit event's object and action) where grants have `grant`.
 */
function accessChangedBy(audit: AuditEventDoc): DerivedEvent[] {
  const effective = obj(audit.state).effective;
  if (!Array.isArray(effective)) return [];
  const change = { object: { ...audit.object }, action: audit.action };
  return effective.map(obj).flatMap((d) =>
    strings(d.userIds).map((userId) => ({
      type: 'access.changed' as const,
      object: { type: 'User', id: userId },
      data: { userId, before: obj(d.before), after: obj(d.after), change, cause: causeOf(audit) },
    })),
  );
}

const ACCESS_ACTIONS = new Set(['group.role.assigned', 'group.role.revoked', 'user.role.assigned', 'user.role.revoked', 'group.resource.assigned', 'group.resource.updated', 'group.resource.revoked']);
const ADMIN_GROUP_ACTIONS = new Set(['group.created', 'group.updated', 'group.deleted', 'group.archived', 'group.unarchived', 'group.owner.changed']);
const MEMBERSHIP_ACTIONS = new Set(['membership.added', 'membership.removed', 'group.member.added', 'group.member.removed', 'group.members.imported']);

/**
 * The change events of one audit event, in order (docs/events.md has the table). Audit actions
 * outside the catalogue (rules, tokens, console sessions, …) yield none. Pure: the sequencer may
 * run it again after a crash and gets the same events.
 */
export function changeEventsOf(audit: AuditEventDoc): DerivedEvent[] {
  if (ACCESS_ACTIONS.has(audit.action)) return accessChanged(audit);
  return [...ownEventsOf(audit), ...accessChangedBy(audit)];
}

function ownEventsOf(audit: AuditEventDoc): DerivedEvent[] {
  const { action, object } = audit;
  if (object.type === 'User' && (action === 'user.created' || action === 'user.patched' || action === 'user.replaced')) return userChange(audit);
  // The deprovisioning breaker (docs/deprovisioning.md): a held change keeps access, so it is not
  // user.deactivated; an admin's Allow is (the access goes now).
  if (object.type === 'User' && action === 'user.deprovision.allowed') return userChange(audit);
  if (object.type === 'User' && (action === 'user.deprovision.held' || action === 'user.deprovision.rejected')) {
    const state = obj(audit.state);
    const type = action === 'user.deprovision.held' ? 'user.deprovision_held' : 'user.deprovision_rejected';
    return [{ type, object: withVersion(object, num(state.version)), data: { user: { id: object.id, attrs: obj(state.attrs) }, change: obj(audit.after) } }];
  }
  if (object.type === 'Tenant' && action === 'directory.breaker_tripped') return [{ type: 'directory.breaker_tripped', object: { ...object }, data: obj(audit.after) }];
  if (object.type === 'User' && action === 'user.deleted') {
    const before = obj(audit.before);
    return [{ type: 'user.deleted', object: withVersion(object, num(before.version)), data: { user: { id: object.id, attrs: obj(before.attrs) } } }];
  }
  // `group.deletion.ended`: the IdP took back a group whose deletion was held, its POST applied as a replace.
  if (object.type === 'Group' && ['group.created', 'group.patched', 'group.replaced', 'group.deletion.ended'].includes(action) && 'attrs' in obj(audit.after)) return scimGroupChange(audit);
  if (object.type === 'Group' && action === 'group.deleted' && 'attrs' in obj(audit.before)) {
    const before = obj(audit.before);
    return [{ type: 'group.deleted', object: withVersion(object, num(before.version)), data: { group: { id: object.id, attrs: obj(before.attrs) } } }];
  }
  if (object.type === 'Group' && ADMIN_GROUP_ACTIONS.has(action)) return adminGroupChange(audit);
  if (MEMBERSHIP_ACTIONS.has(action)) return membershipChange(audit);
  if (object.type === 'Invitation' && action === 'invitation.accepted') return invitationAccepted(audit);
  if (object.type === 'Directory' && (action === 'directory.sync_failed' || action === 'directory.sync_recovered')) {
    return [{ type: action, object: { ...object }, data: { tenantId: audit.tenantId, ...obj(audit.after) } }];
  }
  return [];
}
