import { performance } from 'node:perf_hooks';
import { openAppDatabase } from '../helpers/database';
import { newId } from '../../src/persistence/ids';
import { MembershipsRepository } from '../../src/persistence/memberships-repository';
import { loadSchemaRegistry } from '../../src/scim/schema/registry';
import { RuleSetCache } from '../../src/domain/sync/rule-set';
import { evaluateUser } from '../../src/domain/sync/evaluate-user';
import { selectiveRuleTexts } from '../../bench/sync';
import { silentLogger } from '../../src/observability/logger';

it('prof evaluateUser', async () => {
  const db = await openAppDatabase();
  const m = db.models;
  const registry = loadSchemaRegistry();
  const tenantId = 'ten_x';
  await m.Tenant.collection.insertOne({ _id: tenantId, name: 'x', nameLower: 'x', ruleSetVersion: 1 } as never);
  const users = [];
  for (let i = 0; i < 300; i++) {
    const valid = registry.validateResource('User', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `u${i}@x.com`, emails: [{ value: `u${i}@team${i % 50}.company.com`, type: 'work' }] }, { mode: 'create' });
    users.push({ _id: newId('usr'), tenantId, attrs: valid.attrs, lc: registry.shadows('User', valid.attrs), version: 1, sync: { version: 1, pendingSince: new Date() }, createdAt: new Date(), updatedAt: new Date() });
  }
  await m.User.collection.insertMany(users as never[]);
  const g = newId('grp');
  await m.Group.collection.insertOne({ _id: g, tenantId, origin: 'internal', attrs: { displayName: 'g' }, lc: { displayName: 'g' } } as never);
  await m.Rule.collection.insertMany(selectiveRuleTexts(100).map((expression, i) => ({ _id: `rul_${i}`, tenantId, kind: 'rule', name: 'r', expression, targetGroupId: g, enabled: true, priority: i, version: 1, sync: { version: 1 } })) as never[]);
  const timings = new Map<string, number[]>();
  const wrap = (obj: any, name: string, label: string) => {
    const orig = obj[name].bind(obj);
    obj[name] = (...args: unknown[]) => {
      const s = performance.now();
      const r = orig(...args);
      const done = () => { const list = timings.get(label) ?? []; list.push(performance.now() - s); timings.set(label, list); };
      if (r && typeof r.then === 'function') return r.finally(done);
      if (r && typeof r.toArray === 'function') { const ta = r.toArray.bind(r); r.toArray = () => ta().finally(done); }
      return r;
    };
  };
  wrap(m.Tenant.collection, 'findOne', 'tenant.findOne');
  wrap(m.User.collection, 'findOne', 'user.findOne');
  wrap(m.Membership.collection, 'find', 'membership.find');
  wrap(m.Membership.collection, 'insertMany', 'membership.insertMany');
  wrap(m.AuditEvent.collection, 'insertMany', 'audit.insertMany');
  const deps = { models: m, memberships: new MembershipsRepository(m), registry, logger: silentLogger, ruleSets: new RuleSetCache(m, registry, silentLogger) };
  const total = performance.now();
  for (const u of users.slice(0, 30)) await evaluateUser(deps, tenantId, u._id);
  console.log('30 users', (performance.now() - total).toFixed(0), 'ms');
  for (const [k, v] of timings) console.log(k, v.length, (v.reduce((a, b) => a + b, 0) / v.length).toFixed(1), 'ms avg');
  await db.drop();
}, 120000);
