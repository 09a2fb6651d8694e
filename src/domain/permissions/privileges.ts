import { AppError } from '../../errors/app-error';
import { CATALOG, findTarget } from './catalog';
import { implies, isLevel, levelRank, type Level } from './levels';

/** A level on a catalogue target, as a role holds it (target by canonical catalogue name). */
export interface Privilege {
  target: string;
  level: Level;
}

/** A privilege a role lacks: `requiredBy` is the privilege whose dependency asks for it. */
export interface MissingPrivilege {
  target: string;
  level: Level;
  requiredBy: Privilege;
}

const ORDER = new Map(CATALOG.targets.map((t, i) => [t.name, i]));

/**
 * Checks a request's privilege list against the catalogue and returns it with canonical target
 * names, in catalogue order. Refuses unknown targets, levels the target does not offer and a
 * target named twice, each with a 400 naming the offending entry.
 */
export function normalizePrivileges(input: unknown): Privilege[] {
  if (!Array.isArray(input)) {
    throw new AppError('badRequest', 'PRIVILEGES_INVALID', 'privileges must be a list of {target, level}');
  }
  const seen = new Set<string>();
  const out: Privilege[] = [];
  input.forEach((entry: unknown, index) => {
    const { target, level } = (entry ?? {}) as { target?: unknown; level?: unknown };
    if (typeof target !== 'string' || !isLevel(level)) {
      throw new AppError('badRequest', 'PRIVILEGES_INVALID', `privileges[${index}] must be {target, level} with level one of ${CATALOG.levels.join(', ')}`, {
        details: { index, entry },
      });
    }
    const known = findTarget(target);
    if (!known) {
      throw new AppError('badRequest', 'PERMISSION_TARGET_UNKNOWN', `"${target}" is not a target of the permission catalogue`, { details: { index, target } });
    }
    if (!known.levels.includes(level)) {
      throw new AppError('badRequest', 'PERMISSION_LEVEL_NOT_OFFERED', `"${known.name}" can be set to ${known.levels.join(', ')}, not ${level}`, {
        details: { index, target: known.name, level, levels: known.levels },
      });
    }
    if (seen.has(known.name)) {
      throw new AppError('badRequest', 'PRIVILEGE_DUPLICATE', `"${known.name}" is named more than once`, { details: { index, target: known.name } });
    }
    seen.add(known.name);
    out.push({ target: known.name, level });
  });
  return out.sort((a, b) => (ORDER.get(a.target) ?? 0) - (ORDER.get(b.target) ?? 0));
}

/** The privileges `privileges` must also hold for the catalogue's dependencies, and does not. */
export function missingDependencies(privileges: readonly Privilege[]): MissingPrivilege[] {
  const held = new Map(privileges.map((p) => [p.target, p.level]));
  const missing: MissingPrivilege[] = [];
  for (const p of privileges) {
    const target = findTarget(p.target);
    if (!target) continue;
    for (const dep of target.dependencies) {
      if (!implies(p.level, dep.atLeast)) continue;
      for (const req of dep.requires) {
        const have = held.get(req.target) ?? 'hide';
        if (!implies(have, req.level)) missing.push({ target: req.target, level: req.level, requiredBy: { target: p.target, level: p.level } });
      }
    }
  }
  return missing;
}

function describe(missing: readonly MissingPrivilege[]): string {
  const byHolder = new Map<string, MissingPrivilege[]>();
  for (const m of missing) {
    const key = `${m.requiredBy.level} on "${m.requiredBy.target}"`;
    byHolder.set(key, [...(byHolder.get(key) ?? []), m]);
  }
  return [...byHolder.entries()].map(([holder, ms]) => `${holder} requires at least ${ms.map((m) => `${m.level} on "${m.target}"`).join(', ')}`).join('; ');
}

/** Refuses (400 PERMISSION_DEPENDENCY_MISSING) a privilege set that breaks a dependency, naming what is missing. */
export function assertDependencies(privileges: readonly Privilege[]): void {
  const missing = missingDependencies(privileges);
  if (missing.length === 0) return;
  throw new AppError('badRequest', 'PERMISSION_DEPENDENCY_MISSING', `Missing privilege: ${describe(missing)}`, { details: { missing } });
}

/** Highest level per target of several privilege lists (the union of roles). */
export function unionLevels(lists: readonly (readonly Privilege[])[]): Map<string, Level> {
  const out = new Map<string, Level>();
  for (const list of lists) {
    for (const p of list) {
      const have = out.get(p.target);
      if (!have || levelRank(p.level) > levelRank(have)) out.set(p.target, p.level);
    }
  }
  return out;
}
