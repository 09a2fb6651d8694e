import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';
import type { Access } from '../access/policy';
import type { PermissionsContext } from '../permissions/context';
import { assignResources, createResource, groupResources, revokeResource } from '../permissions/resources';

/**
 * The projects of a group, as product doc 004 presents them to Group Administrators: create a
 * project in the group, add a project they can see, take one out, list them. A project in a group
 * is a Resource of type 'project' with a ResourceGrant to the group at level 'edit'; these are thin
 * views over the resource use-cases (src/domain/permissions/resources.ts), which hold the rules
 * (who may, name uniqueness, visibility, cache invalidation, audit), so both paths agree.
 */
const PROJECT_LEVEL = 'edit';

function projectNotFound(projectId: string): AppError {
  return new AppError('notFound', 'PROJECT_NOT_FOUND', `Project ${projectId} not found`, { details: { projectId } });
}

async function assertIsProject(ctx: PermissionsContext, tenantId: string, projectId: string): Promise<void> {
  const doc = await repositoriesOf(ctx.models).resources.findType(tenantId, projectId);
  if (doc?.type !== 'project') throw projectNotFound(projectId);
}

export async function listGroupProjects(ctx: PermissionsContext, access: Access, groupId: string) {
  const all = await groupResources(ctx, access, groupId);
  return { items: all.resources.filter((r): r is NonNullable<typeof r> => r !== null && r.type === 'project') };
}

/** `{name}` creates a project in the group; `{projectId}` adds a project the caller can see. Both at level edit. */
export async function addGroupProject(ctx: PermissionsContext, access: Access, groupId: string, input: { name: string } | { projectId: string }) {
  if ('name' in input) {
    const { name } = input;
    const created = await createResource(ctx, access, { type: 'project', name, groupId, level: PROJECT_LEVEL });
    return { ...created, level: PROJECT_LEVEL };
  }
  const { projectId } = input;
  await assertIsProject(ctx, access.tenantId, projectId);
  try {
    const result = await assignResources(ctx, access, groupId, { resourceId: projectId, level: PROJECT_LEVEL });
    const item = result.items[0]!;
    return { id: item.resourceId, type: item.type, name: item.name, level: item.level, outcome: item.outcome };
  } catch (err) {
    // Not visible to the caller reads as not found (doc 004: nothing outside their groups is visible).
    if (err instanceof AppError && err.code === 'INVALID_REQUEST') throw projectNotFound(projectId);
    throw err;
  }
}

export async function removeGroupProject(ctx: PermissionsContext, access: Access, groupId: string, projectId: string): Promise<void> {
  await assertIsProject(ctx, access.tenantId, projectId);
  await revokeResource(ctx, access, groupId, projectId);
}
