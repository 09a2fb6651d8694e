import type { PermissionLevel } from '../../persistence/models';

/**
 * Permission levels, weakest first (DESIGN.md §2, product doc 002): a level implies every level
 * below it, so granting `create` grants `edit` and `view` too. `hide` is the floor: no access.
 */
export type Level = PermissionLevel;

export const LEVELS: readonly Level[] = ['hide', 'view', 'use', 'edit', 'create', 'delete'];

/** What a caller may ask to do: every level except the `hide` floor. */
export type Action = Exclude<Level, 'hide'>;
export const ACTIONS: readonly Action[] = ['view', 'use', 'edit', 'create', 'delete'];

// `use` sits between view and edit: data sources are seen, used by queries, or edited (product
// doc 001); only targets that list it offer it (the catalogue says which).
const RANK: Record<Level, number> = { hide: 0, view: 1, use: 2, edit: 3, create: 4, delete: 5 };

export function levelRank(level: Level): number {
  return RANK[level];
}

export function isLevel(value: unknown): value is Level {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(RANK, value);
}

export function isAction(value: unknown): value is Action {
  return isLevel(value) && value !== 'hide';
}

/** True when holding `granted` allows `wanted` (the ordering makes higher levels imply lower ones). */
export function implies(granted: Level, wanted: Level): boolean {
  return RANK[granted] >= RANK[wanted];
}

/** The levels a grant of `level` carries, weakest first, without the `hide` floor; only those `offered` when given. */
export function impliedLevels(level: Level, offered?: readonly Level[]): Action[] {
  return ACTIONS.filter((a) => RANK[a] <= RANK[level] && (!offered || offered.includes(a)));
}
