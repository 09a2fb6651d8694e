import type { BoundAttribute } from '../../expressions/ast';
import { toValueForm, valuesAt, type PredicateReader, type ValueForm } from '../../expressions/compile-predicate';
import type { RuleGroups } from './rule-groups';

/**
 * What a rule predicate is evaluated on: one user.
 *
 * `scim` is the user's SCIM JSON as the API renders it (registry.toScim(attrs) plus `id` and
 * `meta.created`/`meta.lastModified`), extension attributes under their URN. `idpGroupIds` are the
 * ids of the IdP groups (origin 'scim') the user is in through a membership with source 'scim'
 * (loadIdpGroupIds). Treat a subject as immutable: build a new one for each user version,
 * because attribute values are memoised per subject (see below).
 */
export interface RuleSubject {
  readonly scim: Record<string, unknown>;
  readonly idpGroupIds: ReadonlySet<string>;
}

const NO_GROUPS: ReadonlySet<string> = new Set();

export function ruleSubject(scim: Record<string, unknown>, idpGroupIds: ReadonlySet<string> = NO_GROUPS): RuleSubject {
  return { scim, idpGroupIds };
}

/**
 * The worker evaluates every rule of a tenant against one user in a row, and those rules read the
 * same few attributes. Each (attribute path, case folding) gets a slot number at compile time;
 * the values of the subject evaluated last are kept per slot, stamped with a generation that
 * changes when a different subject comes in. So each attribute is read and lower-cased once per
 * user, and an evaluation allocates nothing. Single-threaded, synchronous evaluation makes one
 * memo for the process safe; interleaving subjects only costs re-reading.
 */
class SubjectMemo {
  subject: RuleSubject | undefined;
  generation = 0;
  readonly stamps: number[] = [];
  readonly values: (readonly unknown[])[] = [];
  private readonly slots = new Map<string, number>();

  slotOf(path: readonly string[], form: ValueForm): number {
    const key = `${form}\u0000${path.join('\u0000')}`;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.stamps.length;
      this.slots.set(key, slot);
      this.stamps.push(0);
      this.values.push([]);
    }
    return slot;
  }

  /** The values of a slot for `subject`, read and converted on first use. */
  read(subject: RuleSubject, slot: number, path: readonly string[], form: ValueForm): readonly unknown[] {
    if (subject !== this.subject) {
      this.subject = subject;
      this.generation += 1;
    }
    if (this.stamps[slot] === this.generation) return this.values[slot] as readonly unknown[];
    const values = toValueForm(valuesAt(subject.scim, path), form);
    this.values[slot] = values;
    this.stamps[slot] = this.generation;
    return values;
  }
}

const MEMO = new SubjectMemo();

/** The PredicateReader rule predicates are compiled with (see compile-predicate.ts). */
export function ruleSubjectReader(groups: RuleGroups | undefined): PredicateReader<RuleSubject> {
  return {
    valuesOf(target: BoundAttribute, form: ValueForm) {
      const path = target.scimPath;
      const slot = MEMO.slotOf(path, form);
      const memo = MEMO;
      return (subject) => (subject === memo.subject && memo.stamps[slot] === memo.generation ? (memo.values[slot] as readonly unknown[]) : memo.read(subject, slot, path, form));
    },
    memberOf(name: string) {
      // Resolved when the predicate is compiled: a group created or renamed later needs a new
      // resolution (and predicate), see RuleGroups.
      const groupIds = groups?.groupIdsByName.get(name.toLowerCase()) ?? [];
      if (groupIds.length === 0) return () => false;
      if (groupIds.length === 1) {
        const only = groupIds[0] as string;
        return (subject) => subject.idpGroupIds.has(only);
      }
      return (subject) => {
        for (let i = 0; i < groupIds.length; i += 1) if (subject.idpGroupIds.has(groupIds[i] as string)) return true;
        return false;
      };
    },
  };
}
