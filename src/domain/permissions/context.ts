import type { Models } from '../../persistence/models';
import { auditCallerChange, type Caller } from '../access/caller';
import { invalid } from '../groups/input';
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

/** page/limit query parameters, as the groups listing reads them. */
export function pageParams(query: { page?: string; limit?: string }, maxLimit = 200): { page: number; limit: number } {
  const read = (value: string | undefined, field: string, dflt: number, max: number) => {
    if (value === undefined) return dflt;
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw invalid(field, `"${field}" must be a whole number from 1 to ${max}`);
    }
    return Number(value);
  };
  return { page: read(query.page, 'page', 1, 100_000), limit: read(query.limit, 'limit', 50, maxLimit) };
}
