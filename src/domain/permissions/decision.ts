import type { ResourceType } from '../../persistence/models';
import { resourceTypeTarget, type CatalogTarget } from './catalog';
import type { EffectivePermissions, PermissionSource } from './effective';
import { sourcesForResource } from './effective';
import { implies, type Action, type Level } from './levels';

/**
 * The answer to "may this user do ACTION on TARGET (or RESOURCE)?", with the reason: which group
 * and which role or resource grant allowed it, or why nothing did.
 */
export type ReasonCode =
  'ADMIN' | 'USER_ROLE' | 'GROUP_ROLE' | 'INHERITED_GROUP_ROLE' | 'GROUP_RESOURCE' | 'INHERITED_GROUP_RESOURCE' | 'USER_INACTIVE' | 'LEVEL_NOT_OFFERED' | 'LEVEL_TOO_LOW' | 'NO_GRANT';

export interface Decision {
  allowed: boolean;
  decision: 'allow' | 'deny';
  userId: string;
  action: Action;
  target?: string;
  resource?: { id: string; type: ResourceType; name: string };
  /** The highest level the user holds on the target or resource ('hide' when none). */
  level: Level;
  reason: { code: ReasonCode; message: string; source?: PermissionSource };
}

export type Subject = { kind: 'target'; target: CatalogTarget } | { kind: 'resource'; resource: { id: string; type: ResourceType; name: string } };

function subjectName(subject: Subject): string {
  return subject.kind === 'target' ? `"${subject.target.name}"` : `${subject.resource.type} "${subject.resource.name}"`;
}

export function describeSource(s: PermissionSource): string {
  if (s.kind === 'admin') return `member of the "${s.group?.name ?? 'Admins'}" group (admins have everything)`;
  const what = s.kind === 'role' ? `role "${s.role?.name}"` : 'resource assignment';
  if (!s.group) return `${what} assigned to the user`;
  const where = `${what} of group "${s.group.name}"`;
  return s.inheritedBy ? `${where}, inherited by the user's group "${s.inheritedBy.name}"` : where;
}

function grantCode(s: PermissionSource): ReasonCode {
  if (s.kind === 'admin') return 'ADMIN';
  if (s.kind === 'role') return !s.group ? 'USER_ROLE' : s.inheritedBy ? 'INHERITED_GROUP_ROLE' : 'GROUP_ROLE';
  return s.inheritedBy ? 'INHERITED_GROUP_RESOURCE' : 'GROUP_RESOURCE';
}

export function decide(eff: EffectivePermissions, action: Action, subject: Subject): Decision {
  const base = {
    userId: eff.userId,
    action,
    ...(subject.kind === 'target' ? { target: subject.target.name } : { resource: subject.resource }),
  };
  const deny = (level: Level, code: ReasonCode, message: string, source?: PermissionSource): Decision => ({
    allowed: false,
    decision: 'deny',
    ...base,
    level,
    reason: source ? { code, message, source } : { code, message },
  });
  if (!eff.active) return deny('hide', 'USER_INACTIVE', 'The user is deactivated: a deactivated user has no access');
  if (eff.admin) {
    const level: Level = subject.kind === 'target' ? subject.target.levels[subject.target.levels.length - 1]! : 'delete';
    return { allowed: true, decision: 'allow', ...base, level, reason: { code: 'ADMIN', message: `Allowed: ${describeSource(eff.admin)}`, source: eff.admin } };
  }
  const needed = levelNeeded(action, subject);
  if (subject.kind === 'target' && !subject.target.levels.includes(needed)) {
    const held = eff.targets.get(subject.target.name)?.[0];
    return deny(held?.level ?? 'hide', 'LEVEL_NOT_OFFERED', `${subjectName(subject)} offers no ${action} level (levels: ${subject.target.levels.join(', ')})`);
  }
  const sources = subject.kind === 'target' ? (eff.targets.get(subject.target.name) ?? []) : sourcesForResource(eff, subject.resource.id, subject.resource.type);
  const best = sources[0];
  if (!best) return deny('hide', 'NO_GRANT', `No group or role of the user gives any level on ${subjectName(subject)}`);
  // Sources are best first, so the first is the highest level; report the nearest source that suffices.
  const granting = sources.filter((s) => implies(s.level, needed));
  const chosen = granting.sort((a, b) => nearness(a) - nearness(b))[0];
  if (!chosen) {
    return deny(best.level, 'LEVEL_TOO_LOW', `${action} on ${subjectName(subject)} needs ${needed} or above; the user has ${best.level} from ${describeSource(best)}`, best);
  }
  return {
    allowed: true,
    decision: 'allow',
    ...base,
    level: best.level,
    // Says what was asked, then what grants it: "Allowed: view on "Account" (edit from role …)".
    reason: { code: grantCode(chosen), message: `Allowed: ${action} on ${subjectName(subject)} (${chosen.level} from ${describeSource(chosen)})`, source: chosen },
  };
}

/**
 * The level an action needs: itself, except `use` on a resource type with no use level of its
 * own (agents: "View & Use", product doc 001), where seeing is using.
 */
function levelNeeded(action: Action, subject: Subject): Level {
  const type = subject.kind === 'target' ? subject.target : resourceTypeTarget(subject.resource.type);
  return action === 'use' && type.resourceType !== undefined && !type.levels.includes('use') ? 'view' : action;
}

function nearness(s: PermissionSource): number {
  return s.kind === 'admin' ? 0 : !s.group ? 1 : !s.inheritedBy ? 2 : 3;
}
