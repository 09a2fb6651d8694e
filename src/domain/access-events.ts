/**
 * In-process notifications of changes that affect who may do what: a membership added or removed,
 * a group's parent changed, a group archived/unarchived/deleted. Caches of effective permissions
 * subscribe and drop exactly what the change touches (DESIGN.md §2: answers change immediately).
 *
 * In-process only: the permission engine, listening here, also bumps the tenant's access version,
 * which is how other replicas learn of the change (src/domain/permissions/access-version.ts).
 *
 * membership: a user joined or left a group (or their role in it, or a designation, changed);
 * hierarchy: a group's parent changed; group: a group was created, archived, unarchived or deleted.
 * (Role and resource grants are reported to the permission engine directly: PermissionEngine.applyChange.)
 */
export type AccessChangeKind = 'membership' | 'hierarchy' | 'group';

export interface AccessChange {
  tenantId: string;
  kind: AccessChangeKind;
  /** The group whose members, parent or status changed. */
  groupId?: string;
  /** The user whose membership changed (absent when many users changed at once). */
  userId?: string;
}

export type AccessChangeListener = (change: AccessChange) => void;

export class AccessEvents {
  private readonly listeners = new Set<AccessChangeListener>();

  /** Subscribes; returns the unsubscribe function. */
  on(listener: AccessChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls every listener synchronously; a failing listener never fails the write that emitted. */
  emit(change: AccessChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A cache listener must not break the change it is told about.
      }
    }
  }
}

export const accessEvents = new AccessEvents();
