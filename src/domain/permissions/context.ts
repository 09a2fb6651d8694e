import type { Models } from '../../persistence/models';
import { auditCallerChange, type Caller } from '../access/caller';
import type { PermissionEngine } from './engine';

/** What the role, grant and resource use-cases need. */
export interface PermissionsContext {
  models: Models;
  engine: PermissionEngine;
}

/** Records one admin change to roles, grants or resources (actor {type:'admin', id: token subject}). */
export async function auditPermissionChange(
  ctx: PermissionsContext,
  caller: Caller,
  action: string,
  object: { type: string; id: string },
  change: { before?: unknown; after?: unknown; state?: unknown } = {},
): Promise<void> {
  await auditCallerChange(ctx.models, caller, action, object, change);
}
