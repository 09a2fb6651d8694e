import { repositoriesOf } from '../../persistence/repositories';
import type { Models } from '../../persistence/models';
import type { CompiledRule } from './compile-rule';

/** The membership source the IdP's group pushes hold (DESIGN §2). */
export const IDP_MEMBERSHIP_SOURCE = 'scim';

/**
 * The IdP groups a tenant's rules name, resolved: `groups = "Engineering"` tests membership of
 * every IdP group (origin 'scim') whose displayName or externalId is "engineering" ignoring case.
 *
 * A resolution is a snapshot: re-resolve when an IdP group is created, renamed (displayName or
 * externalId) or deleted, if its old or new name is among the rules' groupNames; and, for
 * ruleMongoQuery, when its SCIM members change.
 */
export interface RuleGroups {
  /** Lower-cased displayName or externalId -> ids of the IdP groups so named (empty: none). */
  readonly groupIdsByName: ReadonlyMap<string, readonly string[]>;
  /** Group id -> ids of the users it holds through source 'scim'; resolved with `members`. */
  readonly memberUserIdsByGroupId?: ReadonlyMap<string, readonly string[]>;
}

/**
 * One pre-resolution step for `groups` tests, shared by both compilers: the predicate needs
 * `groupIdsByName` (it checks RuleSubject.idpGroupIds), the Mongo query also the member ids
 * (`members: true`), since users do not store their groups. Two queries, whatever the number
 * of rules: the groups by name (index tenantId+origin+lc.displayName; externalIds are matched
 * case-insensitively within the tenant's IdP groups) and their 'scim' memberships.
 */
export async function resolveRuleGroups(models: Models, tenantId: string, rules: CompiledRule | readonly CompiledRule[], options: { members?: boolean } = {}): Promise<RuleGroups> {
  const names = [...new Set(([] as CompiledRule[]).concat(rules).flatMap((r) => r.groupNames))];
  const groupIdsByName = new Map<string, string[]>(names.map((name) => [name, []]));
  const memberUserIdsByGroupId = new Map<string, string[]>();
  if (names.length === 0) return options.members ? { groupIdsByName, memberUserIdsByGroupId } : { groupIdsByName };

  for (const group of await repositoriesOf(models).groups.idpGroupsNamed(tenantId, names)) {
    const keys = new Set<string>();
    if (typeof group.lc?.displayName === 'string') keys.add(group.lc.displayName);
    const externalId = group.attrs?.externalId;
    if (typeof externalId === 'string') keys.add(externalId.toLowerCase());
    for (const key of keys) groupIdsByName.get(key)?.push(group._id);
  }
  if (!options.members) return { groupIdsByName };

  const groupIds = [...new Set([...groupIdsByName.values()].flat())];
  for (const groupId of groupIds) memberUserIdsByGroupId.set(groupId, []);
  if (groupIds.length > 0) {
    for await (const membership of repositoriesOf(models).memberships.heldBySourceInGroups(tenantId, groupIds, IDP_MEMBERSHIP_SOURCE)) {
      memberUserIdsByGroupId.get(membership.groupId)?.push(membership.userId);
    }
  }
  return { groupIdsByName, memberUserIdsByGroupId };
}

/** The IdP group ids of each user (memberships with source 'scim'), for RuleSubject.idpGroupIds. */
export async function loadIdpGroupIds(models: Models, tenantId: string, userIds: readonly string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>(userIds.map((id) => [id, new Set<string>()]));
  if (userIds.length === 0) return out;
  for await (const membership of repositoriesOf(models).memberships.heldBySourceForUsers(tenantId, userIds, IDP_MEMBERSHIP_SOURCE)) {
    out.get(membership.userId)?.add(membership.groupId);
  }
  return out;
}
