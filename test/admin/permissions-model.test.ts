import { CATALOG, catalogView, findTarget } from '../../src/domain/permissions/catalog';
import { DEFAULT_ROLES } from '../../src/domain/permissions/default-roles';
import { decide } from '../../src/domain/permissions/decision';
import { computeEffective, type GroupNode, type RoleInfo } from '../../src/domain/permissions/effective';
import { impliedLevels, implies, LEVELS } from '../../src/domain/permissions/levels';
import { assertDependencies, missingDependencies, normalizePrivileges, type Privilege } from '../../src/domain/permissions/privileges';
import { AppError } from '../../src/errors/app-error';
import { AccessVersionReader } from '../../src/domain/permissions/access-version';

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

const target = (name: string) => ({ kind: 'target' as const, target: findTarget(name)! });

function node(id: string, opts: Partial<GroupNode> = {}): GroupNode {
  return { id, name: id.toUpperCase(), archived: false, roleIds: [], resourceGrants: [], ...opts };
}

function role(id: string, privileges: Privilege[]): RoleInfo {
  return { id, name: `role ${id}`, privileges };
}

describe('permission levels', () => {
  it('create implies edit and view', () => {
    expect(impliedLevels('create')).toEqual(['view', 'use', 'edit', 'create']);
    // On a target that offers no use level (Ticket), create implies view and edit only.
    expect(impliedLevels('create', ['hide', 'view', 'edit', 'create', 'delete'])).toEqual(['view', 'edit', 'create']);
    expect(implies('create', 'edit')).toBe(true);
    expect(implies('create', 'view')).toBe(true);
    expect(implies('create', 'delete')).toBe(false);
  });

  it('the levels are ordered hide < view < use < edit < create < delete, each implying those below and none above', () => {
    expect(LEVELS).toEqual(['hide', 'view', 'use', 'edit', 'create', 'delete']);
    LEVELS.forEach((granted, i) => LEVELS.forEach((wanted, j) => expect(implies(granted, wanted)).toBe(i >= j)));
    expect(impliedLevels('hide')).toEqual([]);
  });
});

describe('the permission catalogue', () => {
  it('lists the product targets, the platform sections and the resource types', () => {
    const names = CATALOG.targets.map((t) => t.name);
    for (const n of [
      'Ticket',
      'Issue',
      'Opportunity',
      'Account',
      'Workspaces',
      'Contacts',
      'Account Bulk Statuses',
      'Platform Calling Plan',
      'Platform Groups',
      'Platform Users',
      'agent',
      'data source',
      'project',
    ]) {
      expect(names).toContain(n);
    }
    expect(catalogView().targets.find((t) => t.name === 'agent')).toMatchObject({ resourceType: 'agent', grantLevels: ['view', 'edit'] });
  });

  it('finds targets ignoring case and by the names product doc 002 also uses', () => {
    expect(findTarget('account bulk statuses')?.name).toBe('Account Bulk Statuses');
    expect(findTarget('Product Users')?.name).toBe('Platform Users');
    expect(findTarget('Data Sources')?.name).toBe('data source');
    expect(findTarget('Nothing')).toBeUndefined();
  });

  it('edit on "Account Bulk Statuses" requires at least view on Platform Calling Plan, Platform Groups and Platform Users', () => {
    const missing = missingDependencies(
      normalizePrivileges([
        { target: 'Account Bulk Statuses', level: 'edit' },
        { target: 'Product', level: 'view' },
      ]),
    );
    expect(missing.map((m) => `${m.level} ${m.target}`)).toEqual(['view Platform Calling Plan', 'view Platform Groups', 'view Platform Users']);
    expect(missing[0]!.requiredBy).toEqual({ target: 'Account Bulk Statuses', level: 'edit' });
  });

  it('a grant breaking a dependency is refused naming the missing privilege', () => {
    const privileges = normalizePrivileges([
      { target: 'Account Bulk Statuses', level: 'edit' },
      { target: 'Product', level: 'view' },
      { target: 'Platform Calling Plan', level: 'view' },
      { target: 'Platform Groups', level: 'view' },
    ]);
    const err = thrown(() => assertDependencies(privileges));
    expect(err.code).toBe('PERMISSION_DEPENDENCY_MISSING');
    expect(err.status).toBe(400);
    expect(err.message).toBe('Missing privilege: edit on "Account Bulk Statuses" requires at least view on "Platform Users"');
    expect(err.details).toEqual({ missing: [{ target: 'Platform Users', level: 'view', requiredBy: { target: 'Account Bulk Statuses', level: 'edit' } }] });
  });

  it('a dependency is met by any level at or above the one required, and view alone needs nothing', () => {
    expect(
      missingDependencies(
        normalizePrivileges([
          { target: 'Account Bulk Statuses', level: 'edit' },
          { target: 'Product', level: 'view' },
          { target: 'Platform Calling Plan', level: 'delete' },
          { target: 'Platform Groups', level: 'create' },
          { target: 'Platform Users', level: 'edit' },
        ]),
      ),
    ).toEqual([]);
    expect(missingDependencies(normalizePrivileges([{ target: 'Account Bulk Statuses', level: 'view' }]))).toEqual([]);
  });

  it('refuses unknown targets, levels a target does not offer and a target named twice', () => {
    expect(thrown(() => normalizePrivileges([{ target: 'Spaceships', level: 'view' }])).code).toBe('PERMISSION_TARGET_UNKNOWN');
    expect(thrown(() => normalizePrivileges([{ target: 'Reports', level: 'delete' }])).code).toBe('PERMISSION_LEVEL_NOT_OFFERED');
    expect(
      thrown(() =>
        normalizePrivileges([
          { target: 'Ticket', level: 'view' },
          { target: 'ticket', level: 'edit' },
        ]),
      ).code,
    ).toBe('PRIVILEGE_DUPLICATE');
    expect(thrown(() => normalizePrivileges([{ target: 'Ticket', level: 'everything' }])).code).toBe('PRIVILEGES_INVALID');
  });

  it('default roles obey the catalogue, and Admin holds every target at its highest level', () => {
    for (const r of DEFAULT_ROLES) expect(() => assertDependencies(normalizePrivileges(r.privileges))).not.toThrow();
    const admin = DEFAULT_ROLES.find((r) => r.key === 'admin')!;
    expect(admin.privileges).toHaveLength(CATALOG.targets.length);
    for (const p of admin.privileges) expect(p.level).toBe(findTarget(p.target)!.levels.at(-1));
    expect(DEFAULT_ROLES.map((r) => r.name)).toEqual(['Admin', 'Configure', 'Train', 'ReadOnly', 'Customer Support', 'Limited Support', 'View Only']);
  });
});

describe('effective permissions', () => {
  const roles = new Map([
    ['edit-ticket', role('edit-ticket', [{ target: 'Ticket', level: 'edit' }])],
    [
      'view-ticket-account',
      role('view-ticket-account', [
        { target: 'Ticket', level: 'view' },
        { target: 'Account', level: 'view' },
      ]),
    ],
    ['create-ticket', role('create-ticket', [{ target: 'Ticket', level: 'create' }])],
    ['contacts', role('contacts', [{ target: 'Contacts', level: 'view' }])],
  ]);
  const base = { tenantId: 't', userId: 'u', active: true, audience: 'user' as const, roles, userRoleIds: [] as string[] };

  it('create implies edit and view in an authorize decision', () => {
    const eff = computeEffective({ ...base, memberships: [{ groupId: 'a', role: 'member' }], nodes: new Map([['a', node('a', { roleIds: ['create-ticket'] })]]) });
    for (const action of ['view', 'edit', 'create'] as const) expect(decide(eff, action, target('Ticket')).allowed).toBe(true);
    const denied = decide(eff, 'delete', target('Ticket'));
    expect(denied).toMatchObject({ allowed: false, level: 'create', reason: { code: 'LEVEL_TOO_LOW' } });
  });

  it("a child group inherits its parent's roles, and the reason names both groups", () => {
    const nodes = new Map([
      ['root', node('root', { roleIds: ['contacts'] })],
      ['parent', node('parent', { parentId: 'root', roleIds: ['edit-ticket'] })],
      ['child', node('child', { parentId: 'parent' })],
    ]);
    const eff = computeEffective({ ...base, memberships: [{ groupId: 'child', role: 'member' }], nodes });
    const d = decide(eff, 'edit', target('Ticket'));
    expect(d.allowed).toBe(true);
    expect(d.reason.code).toBe('INHERITED_GROUP_ROLE');
    expect(d.reason.source).toMatchObject({ role: { id: 'edit-ticket' }, group: { id: 'parent' }, inheritedBy: { id: 'child' } });
    expect(decide(eff, 'view', target('Contacts')).reason.source?.group?.id).toBe('root');
    expect([...eff.closure].sort()).toEqual(['child', 'parent', 'root']);
  });

  it('removing a user from a group removes only what that group granted', () => {
    const nodes = new Map([
      ['a', node('a', { roleIds: ['edit-ticket'] })],
      ['b', node('b', { roleIds: ['view-ticket-account'] })],
    ]);
    const before = computeEffective({
      ...base,
      userRoleIds: ['contacts'],
      memberships: [
        { groupId: 'a', role: 'member' },
        { groupId: 'b', role: 'member' },
      ],
      nodes,
    });
    const after = computeEffective({ ...base, userRoleIds: ['contacts'], memberships: [{ groupId: 'a', role: 'member' }], nodes });
    expect(decide(before, 'view', target('Account')).allowed).toBe(true);
    expect(decide(after, 'view', target('Account')).allowed).toBe(false);
    expect(decide(after, 'edit', target('Ticket'))).toMatchObject({ allowed: true, reason: { source: { group: { id: 'a' } } } });
    expect(decide(after, 'view', target('Contacts'))).toMatchObject({ allowed: true, reason: { code: 'USER_ROLE' } });
  });

  it('an archived group gives nothing, neither to its members nor to its descendants', () => {
    const nodes = new Map([
      ['parent', node('parent', { archived: true, roleIds: ['edit-ticket'] })],
      ['child', node('child', { parentId: 'parent', roleIds: ['contacts'] })],
    ]);
    const eff = computeEffective({ ...base, memberships: [{ groupId: 'child', role: 'member' }], nodes });
    expect(decide(eff, 'view', target('Ticket')).allowed).toBe(false);
    expect(decide(eff, 'view', target('Contacts')).allowed).toBe(true);
  });

  it('a member of the Admins group has everything; a deactivated user has nothing', () => {
    const nodes = new Map([['admins', node('admins', { system: 'admins' })]]);
    const admin = computeEffective({ ...base, memberships: [{ groupId: 'admins', role: 'member' }], nodes, adminsGroupId: 'admins' });
    expect(decide(admin, 'delete', target('Account'))).toMatchObject({ allowed: true, reason: { code: 'ADMIN' } });
    const inactive = computeEffective({ ...base, active: false, userRoleIds: ['contacts'], memberships: [{ groupId: 'admins', role: 'member' }], nodes, adminsGroupId: 'admins' });
    expect(decide(inactive, 'view', target('Contacts'))).toMatchObject({ allowed: false, reason: { code: 'USER_INACTIVE' } });
  });

  it('a resource is reached through its own group grant or a role level on its whole type', () => {
    const nodes = new Map([['a', node('a', { resourceGrants: [{ resourceId: 'agt_1', resourceType: 'agent', level: 'view' }] })]]);
    const typeWide = new Map([...roles, ['agents', role('agents', [{ target: 'agent', level: 'edit' }])]]);
    const resource = (id: string) => ({ kind: 'resource' as const, resource: { id, type: 'agent' as const, name: id } });
    const grantOnly = computeEffective({ ...base, memberships: [{ groupId: 'a', role: 'member' }], nodes });
    expect(decide(grantOnly, 'view', resource('agt_1')).reason.code).toBe('GROUP_RESOURCE');
    expect(decide(grantOnly, 'edit', resource('agt_1')).allowed).toBe(false);
    expect(decide(grantOnly, 'view', resource('agt_2')).reason.code).toBe('NO_GRANT');
    const withRole = computeEffective({ ...base, roles: typeWide, userRoleIds: ['agents'], memberships: [{ groupId: 'a', role: 'member' }], nodes });
    expect(decide(withRole, 'edit', resource('agt_2'))).toMatchObject({ allowed: true, reason: { code: 'USER_ROLE' } });
  });

  it('a level a target does not offer is denied as such', () => {
    const eff = computeEffective({ ...base, memberships: [], nodes: new Map() });
    expect(decide(eff, 'delete', target('Reports')).reason.code).toBe('LEVEL_NOT_OFFERED');
  });
});

describe('reading the access version', () => {
  it('concurrent callers share reads, and none is answered by a read that started before it asked', async () => {
    const started: { resolve: (v: number) => void }[] = [];
    const reader = new AccessVersionReader<number>(() => new Promise((resolve) => started.push({ resolve })));
    const first = reader.current('t');
    const second = reader.current('t'); // arrives while the first read is in flight
    const third = reader.current('t');
    expect(started).toHaveLength(1);
    started[0]!.resolve(1); // a bump may have completed after this read began
    expect(await first).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(started).toHaveLength(2); // the later callers get a read of their own, shared
    started[1]!.resolve(2);
    expect(await second).toBe(2);
    expect(await third).toBe(2);
    const fourth = reader.current('t');
    expect(started).toHaveLength(3);
    started[2]!.resolve(3);
    expect(await fourth).toBe(3);
  });
});
