import type { ResourceType } from '../../persistence/models';
import { isLevel, LEVELS, type Level } from './levels';
import raw from './catalog.json';

/**
 * The permission catalogue, kept as data in catalog.json and checked once when this module loads
 * (a dependency naming an unknown target or a level the target does not offer is a programming
 * error, not a request error). Target names are matched case-insensitively, aliases included.
 */
export interface Requirement {
  target: string;
  level: Level;
}

export interface Dependency {
  /** The dependency applies when the target is held at this level or above. */
  atLeast: Level;
  requires: Requirement[];
}

export interface CatalogTarget {
  name: string;
  aliases: string[];
  category: string;
  description: string;
  /** Levels a role may give this target, weakest first. */
  levels: Level[];
  dependencies: Dependency[];
  /** Set on resource-type targets: a role level on it applies to every resource of the type. */
  resourceType?: ResourceType;
  /** Resource-type targets: levels a single resource may be assigned to a group at. */
  grantLevels?: Level[];
}

export interface Catalog {
  levels: readonly Level[];
  targets: readonly CatalogTarget[];
}

const RESOURCE_TYPES: readonly ResourceType[] = ['agent', 'data source', 'project'];

function fail(message: string): never {
  throw new Error(`permission catalogue (catalog.json): ${message}`);
}

function levelList(value: unknown, where: string): Level[] {
  if (!Array.isArray(value) || value.length === 0) fail(`${where} must be a non-empty list of levels`);
  return value.map((l) => (isLevel(l) ? l : fail(`${where}: "${String(l)}" is not a level`)));
}

function loadCatalog(data: unknown): CatalogTarget[] {
  const list = (data as { targets?: unknown }).targets;
  if (!Array.isArray(list)) fail('targets must be a list');
  const targets: CatalogTarget[] = (list as Record<string, unknown>[]).map((t) => {
    if (typeof t.name !== 'string' || !t.name) fail('every target needs a name');
    const name = t.name;
    const resourceType = t.resourceType as ResourceType | undefined;
    if (resourceType !== undefined && !RESOURCE_TYPES.includes(resourceType)) fail(`${name}: unknown resourceType`);
    const deps = (Array.isArray(t.dependencies) ? t.dependencies : []) as { atLeast?: unknown; requires?: unknown }[];
    return {
      name,
      aliases: Array.isArray(t.aliases) ? t.aliases.map(String) : [],
      category: typeof t.category === 'string' ? t.category : 'Other',
      description: typeof t.description === 'string' ? t.description : '',
      levels: levelList(t.levels, `${name}.levels`),
      dependencies: deps.map((d) => ({
        atLeast: isLevel(d.atLeast) ? d.atLeast : fail(`${name}: a dependency needs atLeast`),
        requires: (Array.isArray(d.requires) ? d.requires : fail(`${name}: a dependency needs requires`)).map((r: { target?: unknown; level?: unknown }) => ({
          target: typeof r.target === 'string' ? r.target : fail(`${name}: a requirement needs a target`),
          level: isLevel(r.level) ? r.level : fail(`${name}: a requirement needs a level`),
        })),
      })),
      ...(resourceType ? { resourceType, grantLevels: levelList(t.grantLevels, `${name}.grantLevels`) } : {}),
    };
  });
  const names = new Map<string, CatalogTarget>();
  for (const t of targets) {
    for (const key of [t.name, ...t.aliases].map((n) => n.toLowerCase())) {
      if (names.has(key)) fail(`"${key}" names two targets`);
      names.set(key, t);
    }
  }
  for (const t of targets) {
    for (const d of t.dependencies) {
      if (!t.levels.includes(d.atLeast)) fail(`${t.name}: dependency level ${d.atLeast} is not one of its levels`);
      for (const r of d.requires) {
        const required = names.get(r.target.toLowerCase());
        if (!required || required.name !== r.target) fail(`${t.name}: dependency on unknown target "${r.target}" (use the canonical name)`);
        if (!required.levels.includes(r.level)) fail(`${t.name}: "${r.target}" has no level ${r.level}`);
      }
    }
  }
  for (const type of RESOURCE_TYPES) {
    if (!targets.some((t) => t.resourceType === type)) fail(`no target for resource type "${type}"`);
  }
  return targets;
}

const TARGETS = loadCatalog(raw);
const BY_NAME = new Map<string, CatalogTarget>();
for (const t of TARGETS) for (const key of [t.name, ...t.aliases]) BY_NAME.set(key.toLowerCase(), t);

export const CATALOG: Catalog = { levels: LEVELS, targets: TARGETS };

/** The target a name (any case, or an alias) designates. */
export function findTarget(name: string): CatalogTarget | undefined {
  return BY_NAME.get(name.trim().toLowerCase());
}

/** The target that gives a level on every resource of `type`. */
export function resourceTypeTarget(type: ResourceType): CatalogTarget {
  return TARGETS.find((t) => t.resourceType === type)!;
}

export { RESOURCE_TYPES };

/** The catalogue as the admin API shows it (GET /admin/v1/permissions/catalog). */
export function catalogView() {
  return {
    levels: CATALOG.levels,
    implies: 'A level implies every level before it in `levels`: create grants edit and view.',
    targets: TARGETS.map((t) => ({
      name: t.name,
      ...(t.aliases.length ? { aliases: t.aliases } : {}),
      category: t.category,
      description: t.description,
      levels: t.levels,
      ...(t.resourceType ? { resourceType: t.resourceType, grantLevels: t.grantLevels } : {}),
      dependencies: t.dependencies,
    })),
  };
}
