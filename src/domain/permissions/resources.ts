import type { ResourceDoc, ResourceGrantDoc, ResourceType } from '../../persistence/models';
import type { ResourceListCriteria } from '../../persistence/resources-repository';
import { newId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';
import type { Access } from '../access/policy';
import { forbidden, resourceScopeGroups } from '../access/policy';
import { assertAssignable, assertNotIdpGroup } from '../groups/groups';
import { readGroup, type GroupRecord } from '../groups/group-record';
import { ancestorsOf } from '../groups/hierarchy';
import { invalid } from '../invalid-input';
import { resourceTypeTarget } from './catalog';
import { accessBefore } from './access-difference';
import { auditPermissionChange, type PermissionsContext } from './context';
import { isLevel, type Level } from './levels';
import { visibleGroup } from './roles';

/**
 * Product resources (agents, data sources, projects) and their assignment to groups at a level
 * (product docs 001 "Assign Resources" and 004 "Add Users and Projects").
 *
 * Admins manage all of them. A Group Administrator (product doc 004) manages the projects of the
 * groups they administer: creates projects in them, assigns and removes projects, renames or
 * deletes a project that belongs only to their groups, and sees no project outside them.
 */

/** Limits (the admin API's schemas state them: src/admin/routes/resources.ts and group-grants.ts). */
export const RESOURCE_NAME_MAX = 200;
export const RESOURCE_ASSIGN_MAX = 500;

/** A resource to create; with groupId also assigned to that group at `level` (null or absent: edit). */
export interface ResourceInput {
  type: ResourceType;
  name: string;
  groupId?: string | undefined;
  level?: Level | null | undefined;
}

/** Resources to assign to a group: one (resourceId) or several (resourceIds), at `level` (absent: view). */
export type ResourceAssignInput = ({ resourceId: string; resourceIds?: undefined } | { resourceIds: string[]; resourceId?: undefined }) & { level?: Level | undefined };

export const resourceGrantId = (groupId: string, resourceId: string) => `${groupId}|${resourceId}`;

type StoredResource = ResourceDoc;

/** A resource of `type` with this name, ignoring case (names are unique per type within a tenant). */
async function findByName(ctx: PermissionsContext, tenantId: string, type: ResourceType, name: string): Promise<{ _id: string } | null> {
  return repositoriesOf(ctx.models).resources.findByName(tenantId, type, name);
}

export function resourceView(r: ResourceDoc) {
  return { id: r._id, type: r.type, name: r.name, createdBy: r.createdBy ?? null, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() };
}

/** "a" or "an" before a resource type ("an agent", "a data source"). */
function aOrAn(word: string, capital = false): string {
  const article = /^[aeiou]/i.test(word) ? 'an' : 'a';
  return capital ? article[0]!.toUpperCase() + article.slice(1) : article;
}

function resourceNotFound(resourceId: string): AppError {
  return new AppError('notFound', 'RESOURCE_NOT_FOUND', `Resource ${resourceId} not found`, { details: { resourceId } });
}

/** Groups whose resources a non-admin caller sees (the policy's resourceScopeGroups; undefined: all). */
function scopeGroups(ctx: PermissionsContext, access: Access, type?: ResourceType): Promise<string[] | undefined> {
  return resourceScopeGroups(ctx.models, access, type);
}

async function grantsOfResource(ctx: PermissionsContext, tenantId: string, resourceId: string): Promise<ResourceGrantDoc[]> {
  return repositoriesOf(ctx.models).resourceGrants.ofResource(tenantId, resourceId);
}

async function loadResource(ctx: PermissionsContext, tenantId: string, resourceId: string): Promise<StoredResource> {
  const doc = await repositoriesOf(ctx.models).resources.findOfTenant(tenantId, resourceId);
  if (!doc) throw resourceNotFound(resourceId);
  return doc;
}

/** A resource the caller may see (admins: any; others: one given to a group in their scope), or 404. */
async function visibleResource(ctx: PermissionsContext, access: Access, resourceId: string): Promise<{ resource: StoredResource; grants: ResourceGrantDoc[] }> {
  const resource = await loadResource(ctx, access.tenantId, resourceId);
  const grants = await grantsOfResource(ctx, access.tenantId, resourceId);
  const scope = await scopeGroups(ctx, access, resource.type);
  if (!scope || grants.some((g) => scope.includes(g.groupId))) return { resource, grants };
  throw resourceNotFound(resourceId);
}

export interface ResourceListQuery {
  type?: ResourceType | undefined;
  q?: string | undefined;
  groupId?: string | undefined;
  page?: number | undefined;
  limit?: number | undefined;
}

export async function listResources(ctx: PermissionsContext, access: Access, query: ResourceListQuery) {
  const page = query.page ?? 1;
  const limit = query.limit ?? 50;
  const criteria: ResourceListCriteria = {};
  if (query.type !== undefined) criteria.type = query.type;
  if (query.q) criteria.nameContains = query.q;
  let inGroups: string[] | undefined = query.groupId ? [query.groupId] : undefined;
  const scope = await scopeGroups(ctx, access, query.type);
  if (scope) inGroups = inGroups ? inGroups.filter((g) => scope.includes(g)) : scope;
  if (inGroups) {
    const grants = inGroups.length ? await repositoriesOf(ctx.models).resourceGrants.resourceIdsOfGroups(access.tenantId, inGroups) : [];
    criteria.ids = [...new Set(grants.map((g) => g.resourceId))];
  }
  const { total, docs } = await repositoriesOf(ctx.models).resources.page(access.tenantId, criteria, page, limit);
  return { items: docs.map(resourceView), page, limit, total };
}

export async function getResource(ctx: PermissionsContext, access: Access, resourceId: string) {
  const { resource, grants } = await visibleResource(ctx, access, resourceId);
  const scope = await scopeGroups(ctx, access, resource.type);
  return {
    ...resourceView(resource),
    groups: grants.filter((g) => !scope || scope.includes(g.groupId)).map((g) => ({ groupId: g.groupId, level: g.level })),
  };
}

/** The level asked for, if this type of resource can be assigned at it. */
function grantLevel(value: Level, type: ResourceType): Level {
  const offered = resourceTypeTarget(type).grantLevels ?? [];
  if (!isLevel(value) || !offered.includes(value)) throw invalid('level', `${aOrAn(type, true)} ${type} can be assigned at ${offered.join(', ')}`);
  return value;
}

/**
 * Creates a resource. With `groupId` it is also assigned to that group (at `level`, default edit):
 * that is how a Group Administrator creates a project in their group.
 */
export async function createResource(ctx: PermissionsContext, access: Access, body: ResourceInput) {
  const { type, name, groupId } = body;
  let group: GroupRecord | undefined;
  if (groupId) {
    group = await visibleGroup(ctx.models, access, groupId);
    assertNotIdpGroup(group);
    assertAssignable(group);
  }
  if (!access.isAdmin) {
    if (type !== 'project') throw forbidden(`create ${type}s`);
    if (!group || !access.canManageProjects(group)) throw forbidden('create projects outside the groups whose projects you manage (give groupId)');
  }
  // A documented null: the default level, as absent.
  const level = group ? grantLevel(body.level ?? 'edit', type) : undefined;
  if (!group && body.level !== undefined && body.level !== null) throw invalid('level', '"level" needs "groupId"');
  const clash = await findByName(ctx, access.tenantId, type, name);
  if (clash) throw new AppError('conflict', 'RESOURCE_NAME_TAKEN', `${aOrAn(type, true)} ${type} named "${name}" exists already`, { details: { type, name } });
  const now = new Date();
  const doc: StoredResource = {
    _id: newId(type === 'data source' ? 'dsr' : type === 'agent' ? 'agt' : 'prj'),
    tenantId: access.tenantId,
    type,
    name,
    createdBy: access.caller.userId,
    createdAt: now,
    updatedAt: now,
  };
  await repositoriesOf(ctx.models).resources.insert(doc);
  await auditPermissionChange(ctx, access.caller, 'resource.created', { type: 'Resource', id: doc._id }, { after: { type, name } });
  if (group && level) await writeGrant(ctx, access, group, doc, level);
  return { ...resourceView(doc), groups: group && level ? [{ groupId: group.id, level }] : [] };
}

export async function updateResource(ctx: PermissionsContext, access: Access, resourceId: string, name: string) {
  const { resource, grants } = await visibleResource(ctx, access, resourceId);
  await assertMayChangeResource(ctx, access, resource, grants);
  if (name.toLowerCase() !== resource.name.toLowerCase()) {
    const clash = await findByName(ctx, access.tenantId, resource.type, name);
    if (clash && clash._id !== resourceId)
      throw new AppError('conflict', 'RESOURCE_NAME_TAKEN', `${aOrAn(resource.type, true)} ${resource.type} named "${name}" exists already`, { details: { type: resource.type, name } });
  }
  const updatedAt = new Date();
  await repositoriesOf(ctx.models).resources.rename(access.tenantId, resourceId, name, updatedAt);
  await ctx.engine.applyChange({ tenantId: access.tenantId, kind: 'resource', resourceId });
  await auditPermissionChange(ctx, access.caller, 'resource.updated', { type: 'Resource', id: resourceId }, { before: { name: resource.name }, after: { name } });
  return resourceView({ ...resource, name, updatedAt });
}

/**
 * Beside admins, whoever manages the projects of every group a project is in (its Group
 * Administrators, product doc 004) may rename or delete it; a project shared with a group they do
 * not manage is not theirs alone to change.
 */
async function assertMayChangeResource(ctx: PermissionsContext, access: Access, resource: ResourceDoc, grants: readonly ResourceGrantDoc[]): Promise<void> {
  if (access.isAdmin) return;
  if (resource.type !== 'project' || grants.length === 0) throw forbidden(`change ${resource.type} "${resource.name}"`);
  const groups = await repositoriesOf(ctx.models).groups.findMany(access.tenantId, [...new Set(grants.map((g) => g.groupId))]);
  if (!groups.map(readGroup).every((g) => access.canManageProjects(g))) {
    throw forbidden(`change project "${resource.name}": it is shared with groups whose projects you do not manage`);
  }
}

/** Deletes a resource and every assignment of it. */
export async function deleteResource(ctx: PermissionsContext, access: Access, resourceId: string): Promise<void> {
  const { resource, grants } = await visibleResource(ctx, access, resourceId);
  await assertMayChangeResource(ctx, access, resource, grants);
  await repositoriesOf(ctx.models).resourceGrants.deleteOfResource(access.tenantId, resourceId);
  await repositoriesOf(ctx.models).resources.delete(access.tenantId, resourceId);
  await ctx.engine.applyChange({ tenantId: access.tenantId, kind: 'resource', resourceId });
  await auditPermissionChange(
    ctx,
    access.caller,
    'resource.deleted',
    { type: 'Resource', id: resourceId },
    {
      before: { type: resource.type, name: resource.name, groups: grants.map((g) => ({ groupId: g.groupId, level: g.level })) },
    },
  );
}

// ---- assignments to groups ----

/** Admins assign anything; whoever manages a group's projects (its administrators) assigns projects they can see. */
function assertMayAssign(access: Access, group: GroupRecord, type: ResourceType): void {
  if (access.isAdmin) return;
  if (type === 'project' && access.canManageProjects(group)) return;
  throw forbidden(type === 'project' ? `manage the projects of group "${group.name}"` : `assign ${type}s to groups`);
}

async function writeGrant(ctx: PermissionsContext, access: Access, group: GroupRecord, resource: ResourceDoc, level: Level): Promise<'created' | 'updated' | 'unchanged'> {
  const _id = resourceGrantId(group.id, resource._id);
  const before = await repositoriesOf(ctx.models).resourceGrants.findOfTenant(access.tenantId, _id);
  if (before?.level === level) return 'unchanged';
  const changed = await accessBefore(ctx, access.tenantId, { type: 'Group', id: group.id });
  await repositoriesOf(ctx.models).resourceGrants.upsertLevel({ _id, level, tenantId: access.tenantId, groupId: group.id, resourceId: resource._id, resourceType: resource.type });
  await ctx.engine.applyChange({ tenantId: access.tenantId, kind: 'resource-grant', groupId: group.id, resourceId: resource._id });
  const object = { type: 'Group', id: group.id };
  const after = { resourceId: resource._id, resourceType: resource.type, resourceName: resource.name, level };
  const state = { effective: await changed() };
  if (before) {
    await auditPermissionChange(ctx, access.caller, 'group.resource.updated', object, { before: { ...after, level: before.level }, after, state });
    return 'updated';
  }
  await auditPermissionChange(ctx, access.caller, 'group.resource.assigned', object, { after, state });
  return 'created';
}

/**
 * Assigns resources to a group at a level (or changes the level of an assignment): body
 * `{resourceId | resourceIds, level}`. Every resource is checked before any is written.
 */
export async function assignResources(ctx: PermissionsContext, access: Access, groupId: string, body: ResourceAssignInput) {
  const group = await visibleGroup(ctx.models, access, groupId);
  assertNotIdpGroup(group);
  assertAssignable(group);
  const ids = body.resourceIds !== undefined ? [...new Set(body.resourceIds)] : [body.resourceId];
  const checked: { resource: ResourceDoc; level: Level }[] = [];
  for (const id of ids) {
    let resource: ResourceDoc;
    try {
      resource = access.isAdmin ? await loadResource(ctx, access.tenantId, id) : (await visibleResource(ctx, access, id)).resource;
    } catch (err) {
      if (err instanceof AppError && err.code === 'RESOURCE_NOT_FOUND') throw invalid('resourceIds', `Resource ${id} does not exist in this tenant`);
      throw err;
    }
    assertMayAssign(access, group, resource.type);
    checked.push({ resource, level: grantLevel(body.level ?? 'view', resource.type) });
  }
  const results = [];
  for (const { resource, level } of checked) {
    results.push({ resourceId: resource._id, type: resource.type, name: resource.name, level, outcome: await writeGrant(ctx, access, group, resource, level) });
  }
  return { groupId, items: results };
}

export async function revokeResource(ctx: PermissionsContext, access: Access, groupId: string, resourceId: string): Promise<void> {
  const group = await visibleGroup(ctx.models, access, groupId);
  const _id = resourceGrantId(groupId, resourceId);
  const grant = await repositoriesOf(ctx.models).resourceGrants.findOfTenant(access.tenantId, _id);
  if (!grant) throw new AppError('notFound', 'RESOURCE_NOT_ASSIGNED', `Resource ${resourceId} is not assigned to group ${groupId}`, { details: { groupId, resourceId } });
  assertMayAssign(access, group, grant.resourceType);
  const changed = await accessBefore(ctx, access.tenantId, { type: 'Group', id: groupId });
  await repositoriesOf(ctx.models).resourceGrants.delete(access.tenantId, _id);
  await ctx.engine.applyChange({ tenantId: access.tenantId, kind: 'resource-grant', groupId, resourceId });
  await auditPermissionChange(
    ctx,
    access.caller,
    'group.resource.revoked',
    { type: 'Group', id: groupId },
    {
      before: { resourceId, resourceType: grant.resourceType, level: grant.level },
      state: { effective: await changed() },
    },
  );
}

/** A group's resources: assigned to it, and inherited from its ancestors (nearest first). */
export async function groupResources(ctx: PermissionsContext, access: Access, groupId: string) {
  const group = await visibleGroup(ctx.models, access, groupId);
  const ancestors = await ancestorsOf(ctx.models, access.tenantId, groupId);
  const chain = [groupId, ...ancestors];
  const grants = await repositoriesOf(ctx.models).resourceGrants.ofGroups(access.tenantId, chain);
  const resourceIds = [...new Set(grants.map((g) => g.resourceId))];
  const [resources, groups] = await Promise.all([
    resourceIds.length ? repositoriesOf(ctx.models).resources.findManyOfTenant(access.tenantId, resourceIds) : [],
    ancestors.length ? repositoriesOf(ctx.models).groups.findMany(access.tenantId, ancestors) : [],
  ]);
  const byId = new Map(resources.map((r) => [r._id, r]));
  const groupName = new Map(groups.map((g) => [g._id, readGroup(g).name]));
  const item = (g: ResourceGrantDoc) => {
    const r = byId.get(g.resourceId);
    return r ? { ...resourceView(r), level: g.level, assignedAt: g.createdAt.toISOString() } : null;
  };
  // Whoever sees the group sees what it gives (its members use these resources).
  const withSource = (g: ResourceGrantDoc) => {
    const view = item(g);
    return view ? { ...view, inheritedFrom: g.groupId === groupId ? null : { id: g.groupId, name: groupName.get(g.groupId) ?? null } } : null;
  };
  return {
    groupId,
    status: group.status,
    /** Assigned to this group. */
    resources: grants
      .filter((g) => g.groupId === groupId)
      .map(withSource)
      .filter(Boolean),
    /** Assigned to an ancestor, nearest first: the group's members have them too. */
    inherited: grants
      .filter((g) => g.groupId !== groupId)
      .sort((a, b) => chain.indexOf(a.groupId) - chain.indexOf(b.groupId))
      .map(withSource)
      .filter(Boolean),
  };
}
