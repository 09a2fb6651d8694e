import type { AuditEventDoc, Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';

/**
 * Names for the ids an audit event carries, so a reader sees "Noah Rossi left Engineering (rule
 * “Eng by department”)" rather than `usr_… grp_… rul_…`: the actor (a SCIM token's label, a rule's
 * name, a user's name), the object (a user's or a group's name) and the user a membership event
 * names (after/before.userId). One read per kind of id, whatever the number of events.
 */
export interface AuditNames {
  actor?: string;
  object?: string;
  user?: string;
}

const userIdOf = (e: AuditEventDoc): string | undefined => {
  for (const side of [e.after, e.before]) {
    const id = (side as { userId?: unknown } | undefined)?.userId;
    if (typeof id === 'string') return id;
  }
  return undefined;
};

const personName = (attrs: Record<string, unknown> | undefined) => {
  const display = attrs?.displayName;
  return typeof display === 'string' && display !== '' ? display : typeof attrs?.userName === 'string' ? attrs.userName : undefined;
};

export async function auditNames(models: Models, tenantId: string, events: readonly AuditEventDoc[]): Promise<Map<string, AuditNames>> {
  const repos = repositoriesOf(models);
  const userIds = new Set<string>();
  const groupIds = new Set<string>();
  const ruleIds = new Set<string>();
  let tokens = false;
  for (const e of events) {
    if (e.object.type === 'User') userIds.add(e.object.id);
    if (e.object.type === 'Group') groupIds.add(e.object.id);
    const user = userIdOf(e);
    if (user) userIds.add(user);
    if (e.actor.type === 'rule') ruleIds.add(e.actor.id);
    if (e.actor.type === 'user') userIds.add(e.actor.id);
    if (e.actor.type === 'scim-token') tokens = true;
  }
  const [users, groups, rules, tokenDocs] = await Promise.all([
    repos.users.attributesOf(tenantId, [...userIds], ['userName', 'displayName']),
    repos.groups.attributesOf(tenantId, [...groupIds], ['displayName']),
    ruleIds.size ? repos.rules.summariesOf(tenantId, [...ruleIds]) : [],
    tokens ? repos.scimTokens.listOfTenant(tenantId) : [],
  ]);
  const userName = new Map(users.map((u) => [u._id, personName(u.attrs)]));
  const groupName = new Map(groups.map((g) => [g._id, typeof g.attrs.displayName === 'string' ? g.attrs.displayName : undefined]));
  const ruleName = new Map(rules.map((r) => [r._id, r.name]));
  const tokenLabel = new Map(tokenDocs.map((t) => [t.tokenId, t.label ?? `token ${t.hint}…`]));
  const out = new Map<string, AuditNames>();
  for (const e of events) {
    const names: AuditNames = {};
    const actor = e.actor.type === 'scim-token' ? tokenLabel.get(e.actor.id) : e.actor.type === 'rule' ? ruleName.get(e.actor.id) : e.actor.type === 'user' ? userName.get(e.actor.id) : undefined;
    if (actor) names.actor = actor;
    const object = e.object.type === 'User' ? userName.get(e.object.id) : e.object.type === 'Group' ? groupName.get(e.object.id) : undefined;
    if (object) names.object = object;
    const user = userIdOf(e);
    const name = user ? userName.get(user) : undefined;
    if (name) names.user = name;
    out.set(e._id, names);
  }
  return out;
}
