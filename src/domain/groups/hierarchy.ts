import type { Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';

/**
 * Group hierarchy (DESIGN.md §2): a group may name one parent (`parentId` on the group document).
 * A group's effective grants include its ancestors', so the chain is read often; it is bounded by
 * MAX_DEPTH, which makes every walk at most MAX_DEPTH single-document reads.
 */

/** Levels in a chain, the root included: a group at depth MAX_DEPTH cannot have children. */
export const MAX_DEPTH = 5;

/**
 * The ancestors of a group, nearest first (parent, grandparent, …). Stops at a missing group and
 * guards against a cycle in stored data (which writes through setParent never create).
 */
export async function ancestorsOf(models: Models, tenantId: string, groupId: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set([groupId]);
  const groups = repositoriesOf(models).groups;
  let current = await groups.parentOf(tenantId, groupId);
  while (current && !seen.has(current) && out.length < MAX_DEPTH * 2) {
    out.push(current);
    seen.add(current);
    current = await groups.parentOf(tenantId, current);
  }
  return out;
}

/** Every group below `groupId` (children, grandchildren, …), one query per level. */
export async function descendantsOf(models: Models, tenantId: string, groupId: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set([groupId]);
  let level = [groupId];
  while (level.length > 0 && out.length < 100_000) {
    const children = await repositoriesOf(models).groups.childrenOf(tenantId, level);
    level = children.filter((id) => !seen.has(id));
    for (const id of level) {
      seen.add(id);
      out.push(id);
    }
  }
  return out;
}

/** Levels below `groupId` (0 for a leaf), computed one query per level. */
async function heightOf(models: Models, tenantId: string, groupId: string): Promise<number> {
  let height = 0;
  let level = [groupId];
  const seen = new Set(level);
  while (height <= MAX_DEPTH) {
    const children = await repositoriesOf(models).groups.childrenOf(tenantId, level);
    level = children.filter((id) => !seen.has(id));
    if (level.length === 0) break;
    for (const id of level) seen.add(id);
    height++;
  }
  return height;
}

/**
 * Checks that `groupId` may hang below `parentId`: the parent is not the group itself nor one of
 * its descendants (a cycle), and the resulting chain (ancestors + the group + its subtree) stays
 * within MAX_DEPTH levels. Throws a 400 naming the problem; the caller checks both groups exist.
 */
export async function assertParentAllowed(models: Models, tenantId: string, groupId: string, parentId: string): Promise<void> {
  if (parentId === groupId) {
    throw new AppError('badRequest', 'GROUP_PARENT_CYCLE', 'A group cannot be its own parent', { details: { groupId, parentId } });
  }
  const parentChain = await ancestorsOf(models, tenantId, parentId);
  if (parentChain.includes(groupId)) {
    throw new AppError('badRequest', 'GROUP_PARENT_CYCLE', `Group ${parentId} is below ${groupId}: making it the parent would create a cycle`, {
      details: { groupId, parentId, chain: [parentId, ...parentChain] },
    });
  }
  const depth = parentChain.length + 2 + (await heightOf(models, tenantId, groupId));
  if (depth > MAX_DEPTH) {
    throw new AppError('badRequest', 'GROUP_DEPTH_EXCEEDED', `The hierarchy would be ${depth} levels deep; at most ${MAX_DEPTH} are allowed`, {
      details: { groupId, parentId, depth, maxDepth: MAX_DEPTH },
    });
  }
}
