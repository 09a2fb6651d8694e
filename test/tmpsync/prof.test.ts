import { performance } from 'node:perf_hooks';
import { openAppDatabase } from '../helpers/database';
import { newId } from '../../src/persistence/ids';
import { MembershipsRepository } from '../../src/persistence/memberships-repository';

it('prof ops', async () => {
  const db = await openAppDatabase();
  const m = db.models;
  const repo = new MembershipsRepository(m);
  const t = async (label: string, fn: () => Promise<unknown>) => { const s = performance.now(); await fn(); console.log(label, (performance.now() - s).toFixed(1), 'ms'); };
  await m.User.collection.insertOne({ _id: 'u1', tenantId: 't', attrs: {}, sync: { version: 1, pendingSince: new Date() } } as never);
  await t('findOne by _id', () => m.User.collection.findOne({ _id: 'u1', tenantId: 't' } as never));
  await t('memberships by user', () => m.Membership.collection.find({ tenantId: 't', userId: 'u1' } as never).toArray());
  await t('addSource', () => repo.addSource('t', 'g1', ['u1'], 'rule:x'));
  await t('addSource again', () => repo.addSource('t', 'g2', ['u1'], 'rule:x'));
  await t('audit insertMany 1', () => m.AuditEvent.collection.insertMany([{ _id: newId('evt'), tenantId: 't' }] as never[]));
  await t('ack', () => m.User.collection.updateOne({ _id: 'u1', tenantId: 't', 'sync.version': 1 } as never, { $unset: { 'sync.pendingSince': '' } } as never));
  await t('removeSource', () => repo.removeSource('t', 'g1', ['u1'], 'rule:x'));
  await db.drop();
});
