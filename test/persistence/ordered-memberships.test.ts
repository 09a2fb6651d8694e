import { MembershipsRepository, membershipId } from '../../src/persistence/memberships-repository';
import { openAppDatabase } from '../helpers/database';

/**
 * Ordered writes of a membership source (docs/decisions.md, "Acknowledged means final"): a write
 * applies only over an older recorded position, whoever runs it and whenever; a membership that
 * ends keeps its positions as a tombstone that member queries do not see.
 */

let db: Awaited<ReturnType<typeof openAppDatabase>>;
let repo: MembershipsRepository;
const T = 'ten_ordered';
let n = 0;
const group = () => `grp_ordered${++n}`;

beforeAll(async () => {
  db = await openAppDatabase();
  repo = new MembershipsRepository(db.models);
});
afterAll(async () => db?.drop());

const raw = (g: string, u: string) => db.models.Membership.collection.findOne({ _id: membershipId(g, u) } as never);

it('a removal at a later position is not undone by an add at an earlier one that arrives after it', async () => {
  const g = group();
  expect(await repo.addSourceAt(T, g, ['u1'], 'scim', 3)).toEqual({ changed: ['u1'], applied: ['u1'] });
  expect(await repo.removeSourceAt(T, g, ['u1'], 'scim', 5)).toEqual({ changed: ['u1'], applied: ['u1'] });
  expect(await repo.addSourceAt(T, g, ['u1'], 'scim', 4)).toEqual({ changed: [], applied: [] });
  expect(await repo.userIdsOf(T, g)).toEqual([]);
  expect(await raw(g, 'u1')).toMatchObject({ positions: { scim: 5 } });
});

it('an add at a later position is not undone by a removal at an earlier one that arrives after it', async () => {
  const g = group();
  await repo.addSourceAt(T, g, ['u1'], 'scim', 7);
  expect(await repo.removeSourceAt(T, g, ['u1'], 'scim', 6)).toEqual({ changed: [], applied: [] });
  expect(await repo.userIdsOf(T, g)).toEqual(['u1']);
});

it('a write run again at its own position changes nothing and reports it in effect, not as a change', async () => {
  const g = group();
  await repo.addSourceAt(T, g, ['u1', 'u2'], 'scim', 2);
  expect(await repo.addSourceAt(T, g, ['u1', 'u2'], 'scim', 2)).toEqual({ changed: [], applied: ['u1', 'u2'] });
  await repo.removeSourceAt(T, g, ['u1'], 'scim', 3);
  expect(await repo.removeSourceAt(T, g, ['u1'], 'scim', 3)).toEqual({ changed: [], applied: ['u1'] });
});

it('a removal of a user who is no member records its position, so an older add cannot make them one', async () => {
  const g = group();
  expect(await repo.removeSourceAt(T, g, ['u1'], 'scim', 9)).toEqual({ changed: [], applied: ['u1'] });
  await repo.addSourceAt(T, g, ['u1'], 'scim', 8);
  expect(await repo.userIdsOf(T, g)).toEqual([]);
  await repo.addSourceAt(T, g, ['u1'], 'scim', 10);
  expect(await repo.userIdsOf(T, g)).toEqual(['u1']);
});

it('tombstones are invisible to member reads and counts', async () => {
  const g = group();
  await repo.addSourceAt(T, g, ['v1', 'v2'], 'scim', 1);
  await repo.removeSourceAt(T, g, ['v2'], 'scim', 2);
  expect(await repo.userIdsOf(T, g)).toEqual(['v1']);
  expect(await repo.countMembers(T, g)).toBe(1);
  expect(await repo.exists(T, g, 'v2')).toBe(false);
  expect(await repo.find(T, g, 'v2')).toBeNull();
  expect((await repo.groupIdsOfUsers(T, ['v2'])).get('v2')).toEqual([]);
  expect(await repo.ofUser(T, 'v2')).toEqual([]);
  expect(await repo.countsOfGroups(T, [g])).toEqual([{ _id: g, n: 1 }]);
});

it('another source keeps the positions: a rule joining over a tombstone creates the membership, and an older SCIM add still loses', async () => {
  const g = group();
  await repo.addSourceAt(T, g, ['u1'], 'scim', 1);
  await repo.removeSourceAt(T, g, ['u1'], 'scim', 4);
  expect(await repo.addSource(T, g, ['u1'], 'rule:r1')).toEqual(['u1']);
  expect(await raw(g, 'u1')).toMatchObject({ tenantId: T, groupId: g, userId: 'u1', role: 'member', sources: ['rule:r1'], positions: { scim: 4 } });
  await repo.addSourceAt(T, g, ['u1'], 'scim', 3);
  expect((await raw(g, 'u1'))?.sources).toEqual(['rule:r1']);
  // The rule leaves: the membership ends, its SCIM position stays.
  expect(await repo.removeSource(T, g, ['u1'], 'rule:r1')).toEqual(['u1']);
  expect(await repo.userIdsOf(T, g)).toEqual([]);
  await repo.addSourceAt(T, g, ['u1'], 'scim', 3);
  expect(await repo.userIdsOf(T, g)).toEqual([]);
  expect(await repo.createIfAbsent(T, g, ['u1'], 'import', 'manager')).toEqual(['u1']);
  expect(await raw(g, 'u1')).toMatchObject({ sources: ['import'], role: 'manager', positions: { scim: 4 } });
});

it('a SCIM removal leaves a membership another source holds, with the position recorded', async () => {
  const g = group();
  await repo.addSource(T, g, ['u1'], 'manual');
  await repo.addSourceAt(T, g, ['u1'], 'scim', 1);
  expect(await repo.removeSourceAt(T, g, ['u1'], 'scim', 2)).toEqual({ changed: [], applied: ['u1'] });
  expect(await raw(g, 'u1')).toMatchObject({ sources: ['manual'], positions: { scim: 2 } });
  await repo.addSourceAt(T, g, ['u1'], 'scim', 1);
  expect((await raw(g, 'u1'))?.sources).toEqual(['manual']);
});

it.each([
  ['a few (inserted first, no read before)', 0],
  ['many (read first)', 150],
])('an add of %s users: never members are inserted, an older tombstone revived, a newer one left, a member kept', async (_label, extra) => {
  const g = group();
  await repo.removeSourceAt(T, g, ['old-tombstone'], 'scim', 2);
  await repo.removeSourceAt(T, g, ['new-tombstone'], 'scim', 9);
  await repo.addSourceAt(T, g, ['member'], 'scim', 1);
  const fresh = Array.from({ length: extra }, (_, i) => `fresh${i}`);
  const res = await repo.addSourceAt(T, g, ['old-tombstone', 'new-tombstone', 'member', 'never', ...fresh], 'scim', 5);
  expect(res).toEqual({ changed: ['old-tombstone', 'never', ...fresh], applied: ['old-tombstone', 'member', 'never', ...fresh] });
  expect((await repo.userIdsOf(T, g)).sort()).toEqual(['member', 'never', 'old-tombstone', ...fresh].sort());
  expect(await raw(g, 'new-tombstone')).toMatchObject({ positions: { scim: 9 } });
  expect(await raw(g, 'member')).toMatchObject({ positions: { scim: 5 } });
});
