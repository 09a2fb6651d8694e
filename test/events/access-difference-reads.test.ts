import type { CommandStartedEvent } from 'mongodb';
import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';
import { membershipDifferences } from '../../src/domain/permissions/access-difference';
import { permissionEngine } from '../../src/domain/permissions/engine';

/**
 * `access.changed` from a rule run costs reads per flush, not per member: the worker's membership
 * flush computes the moved users' differences from one read of their user documents and one of
 * their memberships (PermissionEngine.effectiveAcrossMembershipsOf). A rule over 100,000 users into
 * a group that gives a role would otherwise read 200,000 times more. Counted with the driver's
 * command events while the differences of a rule's 60 members are computed, as the flush does.
 */

const USERS = 60;
let s: SyncStack;
const reads: string[] = [];

beforeAll(async () => {
  s = await startSyncStack({ monitorCommands: true });
  s.runtime.db.connection.getClient().on('commandStarted', (e: CommandStartedEvent) => {
    // The per-user reads; the tenant's access version (one read per call, coalesced) is not per user.
    const collection = (e.command as { find?: string }).find;
    if (e.commandName === 'find' && (collection === 'users' || collection === 'memberships')) reads.push(collection);
  });
});
afterAll(() => s.close());

it(`when ${USERS} users joined a group that gives a role, then their access differences come from one read of the users and one of their memberships, not ${2 * USERS}`, async () => {
  const team = await s.internalGroup('Sales team');
  const role = await s.admin.post('/roles', { name: 'Deal editors', privileges: [{ target: 'Ticket', level: 'edit' }] });
  expect(role.status).toBe(201);
  expect((await s.admin.post(`/groups/${team}/roles`, { roleId: role.body.id })).status).toBe(201);
  const users: string[] = [];
  for (let i = 0; i < USERS; i++) users.push(await s.user(`seller-${i}`, { department: 'Sales' }));
  const rule = (await s.createRule({ name: 'Sales', expression: 'department eq "Sales"', targetGroupId: team })) as { id: string };
  await s.settle();
  expect([...(await s.membersOf(team)).keys()].sort()).toEqual([...users].sort());

  const engine = permissionEngine(s.runtime.deps.models);
  await engine.groupsGivingAccess(s.tenantId, [team]); // the tenant's grant data, loaded once and shared: not the per-user cost
  reads.length = 0;
  const moves = new Map(users.map((userId) => [userId, { joined: [{ groupId: team, source: `rule:${rule.id}` }], left: [] }]));
  const differences = await membershipDifferences(engine, s.tenantId, moves);

  // Each user gained the role: before without it, after with it.
  expect([...differences.keys()].sort()).toEqual([...users].sort());
  for (const difference of differences.values()) {
    expect(difference.before.roles).toEqual([]);
    expect(difference.after.roles).toEqual([role.body.id]);
  }
  expect(reads.sort()).toEqual(['memberships', 'users']);
});
