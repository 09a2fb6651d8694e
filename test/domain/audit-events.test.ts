import { auditEvent, writeAuditEvents } from '../../src/domain/audit';
import { openAppDatabase } from '../helpers/database';

let db: Awaited<ReturnType<typeof openAppDatabase>>;
beforeAll(async () => {
  db = await openAppDatabase();
});
afterAll(() => db.drop());

const event = (action: string) => auditEvent({ tenantId: 'ten_1', actor: { type: 'system', id: 'test' }, action, object: { type: 'User', id: 'usr_1' } });

it('writes several events in one call, and writing them again (a recovery) keeps each once while new ones land', async () => {
  const first = [event('user.created'), event('group.member.added'), event('group.member.added')];
  await writeAuditEvents(db.models, first);
  const later = event('user.patched');
  await writeAuditEvents(db.models, [...first, later]);
  const stored = await db.models.AuditEvent.collection.find({ tenantId: 'ten_1' }).toArray();
  expect(stored.map((e) => e._id).sort()).toEqual([...first, later].map((e) => e._id).sort());
});
