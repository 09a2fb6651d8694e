import type { Models, RoleDoc } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { newId } from '../../persistence/ids';
import { CATALOG } from './catalog';
import { assertDependencies, normalizePrivileges, type Privilege } from './privileges';
import type { Level } from './levels';

/**
 * Roles every tenant starts with: the org-level roles of product doc 001 (Admin, Configure, Train,
 * ReadOnly) and the example platform groups of product doc 002 (Customer Support, Limited Support,
 * View Only). They can be assigned, and their privileges edited, but not deleted or renamed;
 * the Admin role stays "everything" (it is what an admin is).
 */
export interface DefaultRole {
  key: string;
  name: string;
  description: string;
  privileges: Privilege[];
}

export const ADMIN_ROLE_KEY = 'admin';

const highest = (levels: readonly Level[]): Level => levels[levels.length - 1]!;

/** Every target at the highest level it offers. */
function everything(): Privilege[] {
  return CATALOG.targets.map((t) => ({ target: t.name, level: highest(t.levels) }));
}

/** Every target at `level`, or at its highest level when it offers less. */
function allAt(level: Level): Privilege[] {
  return CATALOG.targets.map((t) => ({ target: t.name, level: t.levels.includes(level) ? level : highest(t.levels) }));
}

/** `base` with some targets overridden. */
function withLevels(base: Privilege[], overrides: Record<string, Level>): Privilege[] {
  return base.map((p) => (p.target in overrides ? { target: p.target, level: overrides[p.target]! } : p));
}

const VIEW_ALL = allAt('view');

export const DEFAULT_ROLES: readonly DefaultRole[] = [
  { key: ADMIN_ROLE_KEY, name: 'Admin', description: 'Everything, at every level', privileges: everything() },
  {
    key: 'configure',
    name: 'Configure',
    description: 'Create and configure agents, data sources and projects; view the rest',
    privileges: withLevels(VIEW_ALL, { agent: 'delete', 'data source': 'delete', project: 'delete' }),
  },
  {
    key: 'train',
    name: 'Train',
    description: 'Edit agents and data sources (training); view the rest',
    privileges: withLevels(VIEW_ALL, { agent: 'edit', 'data source': 'edit' }),
  },
  { key: 'read-only', name: 'ReadOnly', description: 'View everything, change nothing', privileges: VIEW_ALL },
  {
    key: 'customer-support',
    name: 'Customer Support',
    description: 'Adjust numbers and customer accounts (create accounts, finish customer setup); cannot edit calling plans or platform groups',
    privileges: withLevels(VIEW_ALL, {
      Account: 'create',
      'Account Bulk Statuses': 'edit',
      'Phone Number Inventory': 'edit',
      'Phone Number Service Activation': 'delete',
      'SIP Credentials': 'edit',
    }),
  },
  {
    key: 'limited-support',
    name: 'Limited Support',
    description: 'Edit voice customer accounts; view the other parts of an account to answer questions',
    privileges: withLevels(VIEW_ALL, { Account: 'edit' }),
  },
  {
    key: 'view-only',
    name: 'View Only',
    description: 'Look up customers and pull reports; no changes',
    privileges: [
      { target: 'Account', level: 'view' },
      { target: 'Account Call History', level: 'view' },
      { target: 'Account History', level: 'view' },
      { target: 'Contacts', level: 'view' },
      { target: 'Reports', level: 'view' },
    ],
  },
];

// The seeded roles obey the catalogue like any other role; a broken one fails at start-up.
for (const role of DEFAULT_ROLES) assertDependencies(normalizePrivileges(role.privileges));

/**
 * Creates the default roles a tenant lacks (by key), so it is safe to run again after adding a
 * default role. Called by createTenant.
 */
export async function seedDefaultRoles(models: Models, tenantId: string): Promise<void> {
  const existing = await repositoriesOf(models).roles.defaultKeysOfTenant(tenantId);
  const have = new Set(existing.map((r) => r.system).filter(Boolean));
  const now = new Date();
  const docs: RoleDoc[] = DEFAULT_ROLES.filter((r) => !have.has(r.key)).map((r) => ({
    _id: newId('rol'),
    tenantId,
    name: r.name,
    nameLower: r.name.toLowerCase(),
    description: r.description,
    privileges: normalizePrivileges(r.privileges),
    system: r.key,
    createdAt: now,
    updatedAt: now,
  }));
  await repositoriesOf(models).roles.insertMany(docs);
}
