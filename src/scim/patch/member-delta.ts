import { scimError } from '../../errors/app-error';
import { isPlainObject } from './scim-json';

/**
 * What a PATCH does to a Group's members. Groups can have 100,000 members and are never loaded
 * whole, so member operations are not applied to the resource but collected here, in order, and
 * the caller applies the result to the membership collection in bulk.
 *
 * Invariants (the state after all operations, equal to applying them one by one):
 * - `replaceAll` set: the members become exactly these ids; `add` and `remove` are then empty.
 *   `replaceAll: []` means "no members" (`remove` of `members` without a value, or a `replace`
 *   with an empty list).
 * - `replaceAll` unset: `add` and `remove` are disjoint, each id once, in first-seen order.
 *   For one id, the last operation wins: add-then-remove leaves a remove (the member may have
 *   been there before the request), remove-then-add leaves an add.
 */
export interface MemberDelta {
  replaceAll?: string[];
  add: string[];
  remove: string[];
}

export function isEmptyMemberDelta(delta: MemberDelta): boolean {
  return delta.replaceAll === undefined && delta.add.length === 0 && delta.remove.length === 0;
}

/** Accumulates member operations in request order (Sets keep first-seen order and make each step O(ids)). */
export class MemberDeltaBuilder {
  private replaceAll: Set<string> | undefined;
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();

  add(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.replaceAll !== undefined) {
        this.replaceAll.add(id);
      } else {
        this.removed.delete(id);
        this.added.add(id);
      }
    }
  }

  remove(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.replaceAll !== undefined) {
        this.replaceAll.delete(id);
      } else {
        this.added.delete(id);
        this.removed.add(id);
      }
    }
  }

  replace(ids: readonly string[]): void {
    this.replaceAll = new Set(ids);
    this.added.clear();
    this.removed.clear();
  }

  removeAll(): void {
    this.replace([]);
  }

  build(): MemberDelta {
    const delta: MemberDelta = { add: [...this.added], remove: [...this.removed] };
    if (this.replaceAll !== undefined) delta.replaceAll = [...this.replaceAll];
    return delta;
  }
}

/**
 * The member ids in a PATCH value: `[{"value": "id", "display": "…"}]`, or a single such object.
 * Other sub-attributes (`display`, `$ref`, `type`) are not stored with memberships. Each `value`
 * must be a non-empty string (400 invalidValue). null stands for "no members".
 */
export function memberIdsFromValue(value: unknown, where: string): string[] {
  if (value === null) return [];
  const elements = Array.isArray(value) ? value : [value];
  return elements.map((element, i) => {
    const id = isPlainObject(element) ? memberValue(element) : undefined;
    if (typeof id !== 'string' || id.trim() === '') {
      throw scimError.invalidValue(`${where}: member ${i} must be an object with a non-empty string "value"`, 'SCIM_PATCH_MEMBER_VALUE');
    }
    return id;
  });
}

function memberValue(element: Record<string, unknown>): unknown {
  const key = Object.keys(element).find((name) => name.toLowerCase() === 'value');
  return key === undefined ? undefined : element[key];
}
