import type { AuditEventDoc } from '../../src/persistence/models';
import { AuditEventsRepository } from '../../src/persistence/audit-events-repository';
import { writeInterruptedAudits } from '../../src/domain/recovery/pending-audits';
import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';
import { fixture } from '../scim/http/helpers';

/**
 * Tripping the breaker and its audit event (`directory.breaker_tripped`, and the change event the
 * feed makes of it) are one write: a process dying right after the trip loses neither. Before,
 * the trip was one write and the event another, and the event of a trip whose process died
 * between them was never written (the breaker trips only once).
 */
let s: SyncStack;
beforeAll(async () => {
  s = await startSyncStack();
  // The first deprovision trips it.
  expect((await s.admin.patch('/deprovisioning/settings', { breaker: { users: 0, percentOfActive: 0 } })).status).toBe(200);
});
afterAll(async () => {
  jest.restoreAllMocks();
  await s.close();
});

const tripped = async () => (await s.runtime.deps.models.AuditEvent.collection.find({ tenantId: s.tenantId, action: 'directory.breaker_tripped' } as never).toArray()) as unknown as AuditEventDoc[];
const isTrip = (events: readonly AuditEventDoc[]) => events.some((e) => e.action === 'directory.breaker_tripped');

it('when the process dies right after the breaker trips, before its audit event is written, then recovery writes the event exactly once and the change feed shows one directory.breaker_tripped', async () => {
  const userId = await s.user('tripping@example.com');
  // The process "dies" at the first write of the trip's event: that write never happens.
  const crash = new Error('process died after the trip');
  const { insertMany, insertOnce } = Object.getOwnPropertyDescriptors(AuditEventsRepository.prototype);
  const realMany = insertMany.value as (this: AuditEventsRepository, events: readonly AuditEventDoc[]) => Promise<void>;
  const realOnce = insertOnce.value as (this: AuditEventsRepository, event: AuditEventDoc) => Promise<void>;
  const many = jest.spyOn(AuditEventsRepository.prototype, 'insertMany').mockImplementation(function (this: AuditEventsRepository, events) {
    if (isTrip(events)) throw crash;
    return realMany.call(this, events);
  });
  const once = jest.spyOn(AuditEventsRepository.prototype, 'insertOnce').mockImplementation(function (this: AuditEventsRepository, event) {
    if (isTrip([event])) throw crash;
    return realOnce.call(this, event);
  });
  const res = await s.scim.patch(`/Users/${userId}`, fixture('okta/patch-user-deactivate.json'));
  expect(res.status).toBe(500);
  many.mockRestore();
  once.mockRestore();

  const tenant = await s.runtime.deps.models.Tenant.collection.findOne({ _id: s.tenantId } as never);
  expect(tenant?.breakerTrippedAt).toBeInstanceOf(Date);
  expect(await tripped()).toHaveLength(0);

  // The sweeper's recovery, twice: the event once.
  expect(await writeInterruptedAudits(s.runtime.deps.models, 0)).toBe(1);
  expect(await writeInterruptedAudits(s.runtime.deps.models, 0)).toBe(0);
  const events = await tripped();
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ object: { type: 'Tenant', id: s.tenantId }, after: { deprovisionsInWindow: 1, limit: 0 } });
  expect((await s.runtime.deps.models.Tenant.collection.findOne({ _id: s.tenantId } as never))?.pendingAudit).toEqual([]);

  const feed = await s.admin.get('/events?limit=500');
  expect(feed.status).toBe(200);
  expect((feed.body.items as { type: string }[]).filter((e) => e.type === 'directory.breaker_tripped')).toHaveLength(1);
});
