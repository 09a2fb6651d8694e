import type { AuditEventDoc } from '../../src/persistence/models';
import { ENTERPRISE_USER_URN, replaceOp, startSyncStack, type SyncStack } from './sync-fixtures';

describe('user.changed: rules evaluated for one user', () => {
  let s: SyncStack;
  let sales: string;
  let support: string;
  let salesRule: string;
  let supportRule: string;

  beforeAll(async () => {
    s = await startSyncStack();
    sales = await s.internalGroup('Sales team');
    support = await s.internalGroup('Support team');
    salesRule = (await s.createRule({ name: 'Sales by department', expression: 'department = "Sales"', targetGroupId: sales })).id;
    supportRule = (await s.createRule({ name: 'Support by email', expression: "email.endsWith('@support.example.com')", targetGroupId: support })).id;
    await s.settle();
  });
  afterAll(() => s.close());

  it('when a matching user is provisioned, then the rule adds its own source to the target group', async () => {
    const ann = await s.user('ann', { department: 'Sales' });
    const bob = await s.user('bob', { department: 'Finance' });
    await s.settle();
    expect((await s.membersOf(sales)).get(ann)).toEqual([`rule:${salesRule}`]);
    expect((await s.membersOf(sales)).has(bob)).toBe(false);
  });

  it('when the user stops matching, then only the rule source is removed and a manual membership survives', async () => {
    const cid = await s.user('cid', { department: 'Sales' });
    await s.settle();
    await s.runtime.deps.memberships.addSource(s.tenantId, sales, [cid], 'manual');
    await s.patchUser(cid, replaceOp(`${ENTERPRISE_USER_URN}:department`, 'Legal'));
    await s.settle();
    expect((await s.membersOf(sales)).get(cid)).toEqual(['manual']);
  });

  it('when a user is deactivated, then rule-derived memberships go; when reactivated, they come back', async () => {
    const dee = await s.user('dee', { department: 'Sales', email: 'dee@support.example.com' });
    await s.settle();
    expect((await s.membersOf(support)).get(dee)).toEqual([`rule:${supportRule}`]);
    await s.patchUser(dee, replaceOp('active', false));
    await s.settle();
    expect((await s.membersOf(sales)).has(dee)).toBe(false);
    expect((await s.membersOf(support)).has(dee)).toBe(false);
    await s.patchUser(dee, replaceOp('active', true));
    await s.settle();
    expect((await s.membersOf(sales)).get(dee)).toEqual([`rule:${salesRule}`]);
    expect((await s.membersOf(support)).get(dee)).toEqual([`rule:${supportRule}`]);
  });

  it('when a user is deleted, then none of their memberships remain', async () => {
    const eve = await s.user('eve', { department: 'Sales' });
    await s.settle();
    expect((await s.scim.delete(`/Users/${eve}`)).status).toBe(204);
    await s.settle();
    expect((await s.membersOf(sales)).has(eve)).toBe(false);
  });

  it('every membership a rule adds or removes is audited with the rule as actor', async () => {
    const fay = await s.user('fay', { department: 'Sales' });
    await s.settle();
    await s.patchUser(fay, replaceOp(`${ENTERPRISE_USER_URN}:department`, 'Legal'));
    await s.settle();
    const events = (await s.runtime.deps.models.AuditEvent.collection.find({ tenantId: s.tenantId, 'actor.type': 'rule', 'object.id': sales } as never).toArray()) as unknown as AuditEventDoc[];
    const forFay = events.filter((e) => (e.after as { userId?: string }).userId === fay).sort((a, b) => a.at.getTime() - b.at.getTime());
    expect(forFay.map((e) => [e.action, e.actor.id])).toEqual([
      ['membership.added', salesRule],
      ['membership.removed', salesRule],
    ]);
  });

  it('a source of a rule the worker does not know (say one created after it read the rules) is left alone', async () => {
    // A source of a rule this tenant does not have (say created by a newer worker) is not ours to judge.
    const gus = await s.user('gus', { department: 'Finance' });
    await s.settle();
    await s.runtime.deps.memberships.addSource(s.tenantId, sales, [gus], 'rule:rul_unknown');
    await s.patchUser(gus, replaceOp('title', 'Accountant'));
    await s.settle();
    expect((await s.membersOf(sales)).get(gus)).toEqual(['rule:rul_unknown']);
  });
});

describe('user.changed: deduplication', () => {
  let s: SyncStack;
  beforeAll(async () => {
    s = await startSyncStack({ worker: false });
  });
  afterAll(() => s.close());

  it('a burst of PATCHes to one user waits as one job, and one evaluation applies the latest state', async () => {
    const sales = await s.internalGroup('Sales');
    const rule = await s.createRule({ name: 'Sales', expression: 'department eq "Sales"', targetGroupId: sales });
    const hal = await s.user('hal', { department: 'Finance' });
    for (const department of ['Legal', 'Sales', 'Finance', 'Legal', 'Sales']) {
      await s.patchUser(hal, replaceOp(`${ENTERPRISE_USER_URN}:department`, department));
    }
    const waiting = await s.queue.getJobs(['waiting', 'prioritized'], 0, 100);
    expect(waiting.filter((j) => j.name === 'user.changed' && j.data.userId === hal)).toHaveLength(1);
    s.startWorker();
    await s.settle();
    expect((await s.membersOf(sales)).get(hal)).toEqual([`rule:${rule.id}`]);
  });
});
