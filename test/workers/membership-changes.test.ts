import { applySourceChanges } from '../../src/domain/sync/membership-changes';
import type { AuditEventDoc } from '../../src/persistence/models';
import { startSyncStack, type SyncStack } from './sync-fixtures';

describe('applySourceChanges: rule-derived sources, audited', () => {
  let s: SyncStack;
  beforeAll(async () => {
    s = await startSyncStack({ worker: false });
  });
  afterAll(() => s.close());

  it('a user wrongly believed fresh (a membership created meanwhile) keeps the other source and gains the rule source', async () => {
    const group = await s.internalGroup('Raced');
    const ann = await s.user('ann');
    const bob = await s.user('bob');
    await s.runtime.deps.memberships.addSource(s.tenantId, group, [ann], 'manual');
    const writer = { models: s.runtime.deps.models, memberships: s.runtime.deps.memberships };
    const totals = await applySourceChanges(writer, s.tenantId, [{ groupId: group, source: 'rule:rul_a', ruleId: 'rul_a', add: [ann, bob], remove: [], fresh: new Set([ann, bob]) }]);
    expect(totals).toEqual({ added: 2, removed: 0 });
    const members = await s.membersOf(group);
    expect(members.get(ann)).toEqual(['manual', 'rule:rul_a']);
    expect(members.get(bob)).toEqual(['rule:rul_a']);
    const events = (await s.runtime.deps.models.AuditEvent.collection.find({ tenantId: s.tenantId, 'actor.id': 'rul_a' } as never).toArray()) as unknown as AuditEventDoc[];
    expect(events.map((e) => [e.action, (e.after as { userId: string; membershipCreated: boolean }).userId, (e.after as { membershipCreated: boolean }).membershipCreated]).sort()).toEqual(
      [
        ['membership.added', ann, false],
        ['membership.added', bob, true],
      ].sort(),
    );
  });

  it('removing a rule source leaves the other sources, and ends memberships it alone held', async () => {
    const group = await s.internalGroup('Removal');
    const cid = await s.user('cid');
    const dee = await s.user('dee');
    await s.runtime.deps.memberships.addSource(s.tenantId, group, [cid, dee], 'rule:rul_b');
    await s.runtime.deps.memberships.addSource(s.tenantId, group, [cid], 'scim');
    const writer = { models: s.runtime.deps.models, memberships: s.runtime.deps.memberships };
    await applySourceChanges(writer, s.tenantId, [{ groupId: group, source: 'rule:rul_b', ruleId: 'rul_b', add: [], remove: [cid, dee] }]);
    const members = await s.membersOf(group);
    expect(members.get(cid)).toEqual(['scim']);
    expect(members.has(dee)).toBe(false);
    const events = (await s.runtime.deps.models.AuditEvent.collection.find({ tenantId: s.tenantId, 'actor.id': 'rul_b' } as never).toArray()) as unknown as AuditEventDoc[];
    expect(events.map((e) => [(e.after as { userId: string }).userId, (e.after as { membershipEnded: boolean }).membershipEnded]).sort()).toEqual(
      [
        [cid, false],
        [dee, true],
      ].sort(),
    );
  });
});
