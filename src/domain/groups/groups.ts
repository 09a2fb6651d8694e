import type { GroupListCriteria } from '../../persistence/groups-repository';
import type { UserDoc } from '../../persistence/models';
import { MANUAL_SOURCE } from './membership-sources';
import { isDuplicateKeyError } from '../../persistence/duplicate-key';
import { newTimeOrderedId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';
import { accessEvents } from '../access-events';
import type { Access } from '../access/policy';
import { OWNER_SOURCE } from '../access/policy';
import { clearDynamicGroupRule, setDynamicGroupRule } from '../sync/dynamic-group-rules';
import { dynamicRuleIdFor } from '../sync/rule-records';
import { RulesService } from '../sync/rules-service';
import { compileOrThrow } from '../sync/rule-validation';
import { auditAdminChange, ruleActorOf, type GroupsDeps } from './deps';
import { accessBefore, accessBeforeOf, membershipAccessState, type AccessDifference } from '../permissions/access-difference';
import { permissionEngine } from '../permissions/engine';
import { groupNotFound, groupView, loadGroup, newInternalGroupDoc, readGroup, type GroupKind, type GroupRecord, type GroupStatus } from './group-record';
import { assertParentAllowed } from './hierarchy';
import { invalid } from '../invalid-input';
import { visibleMemberCountOf, visibleMemberCountsOf } from './member-counts';
import { audienceOf, type Audience } from './user-identity';
import { loadVisibleUser } from '../access/user-visibility';
import { assertMayGrantMembership, assertMayInheritFrom, assertMayRevokeAdminGrant } from '../access/admin-grant';

/**
 * Internal groups through the admin API (DESIGN.md §2, product docs 000/001/003): CRUD, archive,
 * hierarchy and listing. IdP groups (origin 'scim') are listed with `origin=scim` and read here,
 * but only the IdP changes them. Default groups are never renamed, changed or deleted.
 */

/** Limits of a group's fields (the admin API's schemas state them: src/admin/routes/groups.ts). */
export const GROUP_NAME_MAX = 100;
export const GROUP_DESCRIPTION_MAX = 1000;
export const GROUP_RULE_MAX = 4000;

/** What creating a group takes (validated by the operation's schema: trimmed printable text, ids, enums). */
export interface GroupCreateInput {
  name: string;
  description?: string | undefined;
  audience?: Audience | undefined;
  kind?: GroupKind | undefined;
  parentId?: string | null | undefined;
  ownerId?: string | null | undefined;
  rule?: { expression: string } | null | undefined;
}

/** A group change: absent leaves a field; null clears description, parent, owner or rule. Audience and kind never change. */
export interface GroupUpdateInput {
  name?: string | undefined;
  description?: string | null | undefined;
  parentId?: string | null | undefined;
  ownerId?: string | null | undefined;
  rule?: { expression: string } | null | undefined;
  audience?: Audience | undefined;
  kind?: GroupKind | undefined;
}

function nameTaken(name: string): AppError {
  return new AppError('conflict', 'GROUP_NAME_TAKEN', `A group named "${name}" exists already (names are unique per tenant, ignoring case)`, { details: { name } });
}

/**
 * IdP groups are the identity provider's: the admin API gives them no members, roles, resources,
 * administrators or settings, so what the IdP pushed is all they hold. Their members get access
 * only through mappings (POST /mappings) into internal groups. Removing what the admin API once
 * granted them stays possible (cleanup).
 */
export function assertNotIdpGroup(g: GroupRecord): void {
  if (g.origin === 'scim') {
    throw new AppError('conflict', 'GROUP_READ_ONLY', `"${g.name}" is provisioned by the identity provider and read-only here; change it there, or map it to an internal group (POST /mappings)`, {
      details: { groupId: g.id },
    });
  }
}

function assertWritable(g: GroupRecord): void {
  assertNotIdpGroup(g);
  if (g.system !== undefined) {
    throw new AppError('conflict', 'GROUP_DEFAULT_IMMUTABLE', `"${g.name}" is a default group: only custom groups can be renamed, changed, archived or deleted`);
  }
}

/** A group the caller can see, or 404. */
export async function visibleGroup(deps: GroupsDeps, access: Access, groupId: string): Promise<GroupRecord> {
  const g = await loadGroup(deps.models, access.tenantId, groupId);
  access.assertCanSeeGroup(g);
  return g;
}

/** Archived groups take no new members, children or grants ("left out of assignment choices"). */
export function assertAssignable(g: GroupRecord): void {
  if (g.status === 'archived') {
    throw new AppError('conflict', 'GROUP_ARCHIVED', `Group "${g.name}" is archived; unarchive it first`, { details: { groupId: g.id } });
  }
}

/** Every member of a group (owner included) has the group's audience: customer groups hold customers. */
export function assertAudience(g: GroupRecord, user: Pick<UserDoc, '_id' | 'attrs'>): void {
  if (g.origin !== 'internal') return;
  const audience = audienceOf(user);
  if (audience !== g.audience) {
    const what = g.audience === 'customer' ? 'customers' : 'internal users';
    throw new AppError('badRequest', 'GROUP_AUDIENCE_MISMATCH', `Group "${g.name}" holds ${what} only; user ${user._id} is ${audience === 'customer' ? 'a customer' : 'an internal user'}`, {
      details: { groupId: g.id, userId: user._id, groupAudience: g.audience, userAudience: audience },
    });
  }
}

async function checkParent(deps: GroupsDeps, access: Access, group: Pick<GroupRecord, 'id' | 'name' | 'audience'>, parentId: string): Promise<void> {
  const groupId = group.id;
  let parent: GroupRecord;
  try {
    parent = await visibleGroup(deps, access, parentId);
  } catch {
    throw new AppError('badRequest', 'GROUP_PARENT_NOT_FOUND', `Parent group ${parentId} not found`, { details: { field: 'parentId', parentId } });
  }
  if (parent.origin !== 'internal') throw new AppError('badRequest', 'GROUP_PARENT_INVALID', 'A parent must be an internal group, not an identity-provider group', { details: { parentId } });
  // A child's members inherit the parent's roles: a customer group below an internal one would
  // hand customers internal roles, and the reverse (issue 18 #8).
  if (parent.audience !== group.audience) {
    const what = (a: string) => (a === 'customer' ? 'a customer group' : 'a user group');
    throw new AppError(
      'badRequest',
      'GROUP_PARENT_AUDIENCE_MISMATCH',
      `"${group.name}" is ${what(group.audience)} and "${parent.name}" is ${what(parent.audience)}: a group inherits only from a parent of its own audience`,
      {
        details: { field: 'parentId', parentId, groupAudience: group.audience, parentAudience: parent.audience },
      },
    );
  }
  assertAssignable(parent);
  await assertParentAllowed(deps.models, access.tenantId, groupId, parentId);
  await assertMayInheritFrom(deps.models, access, group, parent);
  access.assert(access.canPlaceUnder(parent), `place "${group.name}" below "${parent.name}": its members would inherit what "${parent.name}" holds, and you do not administer it`);
}

/**
 * A dynamic group's rule, `{expression}` in the rule language (DESIGN.md §3). It is checked here
 * (a bad expression is the rules engine's 400) and kept as the rule `dyn_<groupId>` that the
 * identity-sync worker evaluates; the group document keeps a copy for display.
 */
function ruleOf(deps: GroupsDeps, rule: { expression: string } | null | undefined): { expression: string } | undefined {
  if (!rule) return undefined;
  compileOrThrow(deps.registry, rule.expression);
  return { expression: rule.expression };
}

const auditView = (g: GroupRecord) => groupView(g);

/** Why a non-admin may not set a dynamic group's rule (Access.canSetRule). */
const RULE_REFUSAL = "set a dynamic group's rule: a rule chooses members among every user of the tenant, so only an admin sets it (ask an admin, or add members to a static group)";

export async function createGroup(deps: GroupsDeps, access: Access, body: GroupCreateInput): Promise<Record<string, unknown>> {
  const { name, description } = body;
  const audience = body.audience ?? 'user';
  const kind = body.kind ?? 'static';
  const parentId = body.parentId ?? undefined;
  const ownerId = body.ownerId ?? undefined;
  if (body.rule && kind !== 'dynamic') throw invalid('rule', 'Only dynamic groups carry a rule');
  access.assert(access.canCreateGroup(audience), `create ${audience === 'customer' ? 'customer' : 'user'} groups`);
  const rule = ruleOf(deps, body.rule);
  if (rule) access.assert(access.canSetRule(), RULE_REFUSAL);

  const { tenantId } = access;
  const id = newTimeOrderedId('grp');
  if (parentId) await checkParent(deps, access, { id, name, audience }, parentId);
  const doc = newInternalGroupDoc(tenantId, name, { audience, kind }, id);
  if (description) doc.description = description;
  if (parentId) doc.parentId = parentId;
  if (rule) doc.rule = { ...rule, ruleId: dynamicRuleIdFor(id) };
  const record = readGroup(doc);
  if (ownerId) {
    assertAudience(record, await loadVisibleUser(deps.models, access, ownerId, 'ownerId'));
    doc.ownerId = ownerId;
  }
  try {
    await repositoriesOf(deps.models).groups.insert(doc);
  } catch (err) {
    if (isDuplicateKeyError(err)) throw nameTaken(name);
    throw err;
  }
  const created = readGroup(doc);
  // The owner is a member, held by its own source so that no member removal can take it away.
  if (ownerId) await deps.memberships.addSource(tenantId, id, [ownerId], OWNER_SOURCE, 'manager');
  if (rule) await setDynamicGroupRule(deps, ruleActorOf(access.caller), id, rule.expression);
  accessEvents.emit({ tenantId, kind: 'group', groupId: id });
  if (parentId) accessEvents.emit({ tenantId, kind: 'hierarchy', groupId: id });
  if (ownerId) accessEvents.emit({ tenantId, kind: 'membership', groupId: id, userId: ownerId });
  // An owner joins at once: under a parent that gives something, that is an access change.
  const state =
    ownerId && parentId ? await membershipAccessState(permissionEngine(deps.models), tenantId, new Map([[ownerId, { joined: [{ groupId: id, source: OWNER_SOURCE }], left: [] }]])) : undefined;
  await auditAdminChange(deps, access.caller, 'group.created', { type: 'Group', id }, { after: auditView(created), ...(state && { state }) });
  return groupView(created, ownerId ? 1 : 0);
}

export async function getGroup(deps: GroupsDeps, access: Access, groupId: string): Promise<Record<string, unknown>> {
  const g = await visibleGroup(deps, access, groupId);
  return groupView(g, await visibleMemberCountOf(deps, access, g));
}

/** Applies `$set`/`$unset` to the version read, so a concurrent edit is refused rather than lost. */
async function writeGroup(deps: GroupsDeps, g: GroupRecord, version: number, set: Record<string, unknown>, unset: string[]): Promise<GroupRecord> {
  let res;
  try {
    res = await repositoriesOf(deps.models).groups.setFieldsIfVersion(g.tenantId, g.id, version, set, unset);
  } catch (err) {
    if (isDuplicateKeyError(err) && typeof set['attrs.displayName'] === 'string') throw nameTaken(set['attrs.displayName']);
    throw err;
  }
  if (!res) throw new AppError('conflict', 'GROUP_CHANGED_CONCURRENTLY', 'The group changed while this request was applied; retry');
  return readGroup(res);
}

async function versionOf(deps: GroupsDeps, g: GroupRecord): Promise<number> {
  const doc = await repositoriesOf(deps.models).groups.findVersion(g.tenantId, g.id);
  if (!doc) throw groupNotFound(g.id);
  return doc.version ?? 1;
}

export async function updateGroup(deps: GroupsDeps, access: Access, groupId: string, body: GroupUpdateInput): Promise<Record<string, unknown>> {
  const before = await visibleGroup(deps, access, groupId);
  assertWritable(before);
  access.assert(access.canEditGroup(before), 'change this group');
  const version = await versionOf(deps, before);
  const { tenantId } = access;

  if (body.audience !== undefined && body.audience !== before.audience) throw invalid('audience', 'The audience of a group cannot change; create a new group');
  if (body.kind !== undefined && body.kind !== before.kind) throw invalid('kind', 'The kind of a group cannot change; create a new group');
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  const { name } = body;
  if (name !== undefined) {
    set['attrs.displayName'] = name;
    set['lc.displayName'] = name.toLowerCase();
  }
  if (body.description === null) unset.push('description');
  else if (body.description !== undefined) set.description = body.description;
  const ruleChanged = body.rule !== undefined;
  const rule = ruleChanged ? ruleOf(deps, body.rule) : undefined;
  if (ruleChanged) {
    if (before.kind !== 'dynamic') throw invalid('rule', 'Only dynamic groups carry a rule');
    // On an admin-granting group the rule decides who is an admin: that refusal names the group and role.
    if (rule) await assertMayGrantMembership(deps.models, access, before, `change the rule of "${before.name}"`);
    access.assert(access.canSetRule(), RULE_REFUSAL);
    if (rule) set.rule = { ...rule, ruleId: dynamicRuleIdFor(groupId) };
    else unset.push('rule');
  }
  const { parentId } = body;
  const parentChanged = parentId !== undefined && (parentId ?? undefined) !== before.parentId;
  if (parentChanged) {
    if (parentId) {
      await checkParent(deps, access, before, parentId);
      set.parentId = parentId;
    } else unset.push('parentId');
  }
  const { ownerId } = body;
  const ownerChanged = ownerId !== undefined && (ownerId ?? undefined) !== before.ownerId;
  if (ownerChanged) {
    if (ownerId) {
      // The owner becomes a member.
      await assertMayGrantMembership(deps.models, access, before, `make someone the owner of "${before.name}"`);
      assertAudience(before, await loadVisibleUser(deps.models, access, ownerId, 'ownerId'));
      set.ownerId = ownerId;
    } else unset.push('ownerId');
  }
  if (Object.keys(set).length === 0 && unset.length === 0) return groupView(before, await visibleMemberCountOf(deps, access, before));

  // A group moved under another inherits what its new ancestors give (and loses the old ones'): its subtree's members.
  const moved = parentChanged ? await accessBeforeGroupChange(deps, tenantId, groupId, [before.parentId, parentId ?? undefined]) : undefined;
  const after = await writeGroup(deps, before, version, set, unset);
  if (ruleChanged) {
    if (rule) await setDynamicGroupRule(deps, ruleActorOf(access.caller), groupId, rule.expression);
    else await clearDynamicGroupRule(deps, ruleActorOf(access.caller), groupId);
  }
  if (ownerChanged) await handOverOwnership(deps, access, groupId, before.ownerId, ownerId ?? undefined);
  if (parentChanged) accessEvents.emit({ tenantId, kind: 'hierarchy', groupId });
  const state = moved ? await effectiveState(moved) : undefined;
  await auditAdminChange(deps, access.caller, 'group.updated', { type: 'Group', id: groupId }, { before: auditView(before), after: auditView(after), ...(state && { state }) });
  if (ownerChanged) {
    if (ownerId) accessEvents.emit({ tenantId, kind: 'membership', groupId, userId: ownerId });
    if (before.ownerId) accessEvents.emit({ tenantId, kind: 'membership', groupId, userId: before.ownerId });
  }
  return groupView(after, await visibleMemberCountOf(deps, access, after));
}

/**
 * Moves the `owner` membership source from the previous owner to the new one. The previous owner
 * stays in the group as a plain member (source `manual`, role member): ownership and the manager
 * role that came with it go, the membership does not, and an admin may remove it like any other.
 * Audited as `group.owner.changed` with where the previous owner stands now.
 */
async function handOverOwnership(deps: GroupsDeps, access: Access, groupId: string, previous: string | undefined, next: string | undefined): Promise<void> {
  const { tenantId } = access;
  // The new owner becomes a member: what the group gives is theirs (the previous owner stays a member).
  const engine = permissionEngine(deps.models);
  const changed = next && (await engine.groupsGivingAccess(tenantId, [groupId])).size > 0 ? await accessBeforeOf(engine, tenantId, [next]) : undefined;
  if (next) await deps.memberships.addSource(tenantId, groupId, [next], OWNER_SOURCE, 'manager');
  let previousOwner: { userId: string; role: string; sources: string[] } | undefined;
  if (previous) {
    await deps.memberships.addSource(tenantId, groupId, [previous], MANUAL_SOURCE, 'member');
    await deps.memberships.removeSource(tenantId, groupId, [previous], OWNER_SOURCE);
    const m = await deps.memberships.setRoleReturning(tenantId, groupId, previous, 'member');
    if (m) previousOwner = { userId: previous, role: m.role, sources: m.sources };
  }
  const ownerState = async () => {
    if (!changed || !next) return {};
    await engine.applyChange({ tenantId, kind: 'membership', groupId, userId: next });
    const state = await effectiveState(changed);
    return state ? { state } : {};
  };
  await auditAdminChange(
    deps,
    access.caller,
    'group.owner.changed',
    { type: 'Group', id: groupId },
    {
      before: { ownerId: previous ?? null },
      after: { ownerId: next ?? null, ...(previousOwner ? { previousOwner } : {}) },
      ...(await ownerState()),
    },
  );
}

export async function setGroupStatus(deps: GroupsDeps, access: Access, groupId: string, status: GroupStatus): Promise<Record<string, unknown>> {
  const before = await visibleGroup(deps, access, groupId);
  assertWritable(before);
  access.assert(access.canEditGroup(before), `${status === 'archived' ? 'archive' : 'unarchive'} this group`);
  if (before.status === status) return groupView(before, await visibleMemberCountOf(deps, access, before));
  // An archived group gives nothing; unarchiving gives its members back what it holds.
  if (status === 'active') await assertMayGrantMembership(deps.models, access, before, `unarchive "${before.name}"`);
  else await assertMayRevokeAdminGrant(deps.models, access, before, `archive "${before.name}"`);
  const changed = await accessBeforeGroupChange(deps, access.tenantId, groupId, [groupId]);
  const after = await writeGroup(deps, before, await versionOf(deps, before), { status }, []);
  accessEvents.emit({ tenantId: access.tenantId, kind: 'group', groupId });
  const state = await effectiveState(changed);
  await auditAdminChange(
    deps,
    access.caller,
    status === 'archived' ? 'group.archived' : 'group.unarchived',
    { type: 'Group', id: groupId },
    {
      before: { status: before.status },
      after: { status },
      ...(state && { state }),
    },
  );
  return groupView(after, await visibleMemberCountOf(deps, access, after));
}

/**
 * Deletes a custom group with everything that hangs on it: memberships, administrators, role and
 * resource grants, member imports, and its place in pending invitations. A group with children is
 * refused: re-parent or delete them first (no silent re-wiring of the hierarchy).
 */
export async function deleteGroup(deps: GroupsDeps, access: Access, groupId: string): Promise<void> {
  const before = await visibleGroup(deps, access, groupId);
  assertWritable(before);
  access.assert(access.canEditGroup(before), 'delete this group');
  await assertMayRevokeAdminGrant(deps.models, access, before, `delete "${before.name}"`);
  const { tenantId } = access;
  const models = deps.models;
  const childId = await repositoriesOf(models).groups.anyChildOf(tenantId, groupId);
  if (childId !== null) {
    throw new AppError('conflict', 'GROUP_HAS_CHILDREN', `Group "${before.name}" has child groups; move or delete them first`, { details: { groupId, childId } });
  }
  // Its members lose what it gave them (and what it inherited).
  const changed = await accessBeforeGroupChange(deps, tenantId, groupId, [groupId]);
  if (!(await repositoriesOf(models).groups.delete(tenantId, groupId))) throw groupNotFound(groupId);
  // The group's own rule stops with it; rules and mappings targeting it are disabled (and show targetMissing).
  if (before.kind === 'dynamic') await clearDynamicGroupRule(deps, ruleActorOf(access.caller), groupId);
  await new RulesService(deps).disableRulesTargeting(ruleActorOf(access.caller), groupId);
  const members = await deps.memberships.removeAllForGroup(tenantId, groupId);
  await Promise.all([
    repositoriesOf(models).groupAdministrators.deleteOfGroup(tenantId, groupId),
    repositoriesOf(models).roleAssignments.deleteOfGroup(tenantId, groupId),
    repositoriesOf(models).resourceGrants.deleteOfGroup(tenantId, groupId),
    repositoriesOf(models).memberImports.deleteOfGroup(tenantId, groupId),
    repositoriesOf(models).invitations.forgetGroup(tenantId, groupId),
  ]);
  accessEvents.emit({ tenantId, kind: 'group', groupId });
  const state = await effectiveState(changed);
  await auditAdminChange(deps, access.caller, 'group.deleted', { type: 'Group', id: groupId }, { before: { ...auditView(before), memberCount: members.length }, ...(state && { state }) });
}

/**
 * Before a change to a group's place or status: the access of the users it reaches (its subtree's
 * members, src/domain/permissions/access-difference.ts), unless none of `chains` (the groups whose
 * ancestry gives what the change adds or takes) gives anything, which changes no one's access.
 */
async function accessBeforeGroupChange(deps: GroupsDeps, tenantId: string, groupId: string, chains: readonly (string | undefined)[]): Promise<(() => Promise<AccessDifference[]>) | undefined> {
  const engine = permissionEngine(deps.models);
  const groups = chains.filter((g): g is string => g !== undefined);
  if (groups.length === 0 || (await engine.groupsGivingAccess(tenantId, groups)).size === 0) return undefined;
  return accessBefore({ models: deps.models, engine }, tenantId, { type: 'Group', id: groupId });
}

/** `state.effective` of the change's audit event, when it changed someone's access. */
async function effectiveState(changed: (() => Promise<AccessDifference[]>) | undefined): Promise<{ effective: AccessDifference[] } | undefined> {
  const effective = changed ? await changed() : [];
  return effective.length > 0 ? { effective } : undefined;
}

/** The list's filters, sort and page (validated by the operation's schema). */
export interface GroupListQuery {
  q?: string | undefined;
  origin?: 'internal' | 'scim' | undefined;
  status?: GroupStatus | undefined;
  audience?: Audience | undefined;
  kind?: GroupKind | undefined;
  parentId?: string | undefined;
  /** Only groups that can take new members and grants (active ones). */
  assignable?: 'true' | 'false' | undefined;
  sort?: GroupSort | undefined;
  page?: number | undefined;
  limit?: number | undefined;
}

export const GROUP_SORTS = ['name', '-name', 'memberCount', '-memberCount'] as const;
type GroupSort = (typeof GROUP_SORTS)[number];

function listCriteria(access: Access, query: GroupListQuery): GroupListCriteria {
  const criteria: GroupListCriteria = { origin: query.origin ?? 'internal' };
  if (query.q) criteria.nameContains = query.q.toLowerCase();
  if (query.status) criteria.status = query.status;
  if (query.audience) criteria.audience = query.audience;
  if (query.kind) criteria.kind = query.kind;
  if (query.assignable === 'true') criteria.assignableOnly = true;
  if (query.parentId) criteria.parentId = query.parentId;
  if (!access.isAdmin) {
    criteria.visible = { ids: [...new Set([...access.memberOf, ...access.managerOf, ...access.administratorOf])], customerGroups: access.isCustomerAdmin };
  }
  return criteria;
}

/**
 * Lists groups, paginated by page/limit. Sorting by name is index-served; member counts are
 * index-backed counts for the page's groups only. Sorting by member count needs every matching
 * group's count: one grouped count over the memberships index for the matching groups.
 */
export async function listGroups(deps: GroupsDeps, access: Access, query: GroupListQuery) {
  const page = query.page ?? 1;
  const limit = query.limit ?? 50;
  const sort = query.sort ?? 'name';
  const criteria = listCriteria(access, query);
  const groups = repositoriesOf(deps.models).groups;
  const total = await groups.countListed(access.tenantId, criteria);
  let records: GroupRecord[];
  let counts: Map<string, number | undefined>;
  if (sort === 'name' || sort === '-name') {
    const dir = sort === 'name' ? 1 : -1;
    records = (await groups.pageListedByName(access.tenantId, criteria, dir, page, limit)).map(readGroup);
    counts = await visibleMemberCountsOf(deps, access, records);
  } else {
    const all = (await groups.allListed(access.tenantId, criteria)).map(readGroup);
    counts = await visibleMemberCountsOf(deps, access, all);
    const dir = sort === 'memberCount' ? 1 : -1;
    all.sort((a, b) => dir * ((counts.get(a.id) ?? 0) - (counts.get(b.id) ?? 0)) || a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
    records = all.slice((page - 1) * limit, page * limit);
  }
  return { items: records.map((g) => groupView(g, counts.has(g.id) ? counts.get(g.id) : 0)), page, limit, total };
}
