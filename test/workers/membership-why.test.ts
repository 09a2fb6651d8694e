import { ENTERPRISE_USER_URN, replaceOp, startSyncStack, type SyncStack } from './sync-fixtures';

/**
 * "Why is this user in this group" (product doc 001, troubleshooting): GET /users/{id} answers each
 * membership with the group's name and, per source, a sentence and the rule behind it (name,
 * expression), not only `rule:rul_x`.
 */
describe('GET /admin/v1/users/{id}: why is this user in each group', () => {
  let s: SyncStack;
  beforeAll(async () => {
    s = await startSyncStack();
  });
  afterAll(() => s.close());

  it('names the group and explains every source, with the rule expression for rule, dynamic and mapping memberships', async () => {
    const u = await s.user('why.user', { department: 'Support', title: 'Agent' });
    const byRule = await s.internalGroup('Why by rule');
    const rule = await s.createRule({ name: 'Support department', expression: 'department = "Support"', targetGroupId: byRule });
    const dynamic = (await s.admin.post('/groups', { name: 'Why dynamic', kind: 'dynamic', rule: { expression: 'title = "Agent"' } })).body.id as string;
    const mapped = await s.internalGroup('Why mapped');
    await s.idpGroup('Okta Support', [u]);
    const mapping = (await s.admin.post('/mappings', { idpGroup: 'Okta Support', targetGroupId: mapped })).body;
    await s.settle();
    // Also added by hand to the rule's group: two sources, two reasons.
    expect((await s.admin.post(`/groups/${byRule}/members`, { userId: u })).status).toBe(201);

    const res = await s.admin.get(`/users/${u}`);
    expect(res.status).toBe(200);
    const groups = res.body.groups as {
      groupId: string;
      groupName: string;
      sources: string[];
      why: { source: string; kind: string; description: string; rule?: { id: string; expression: string; name: string } }[];
    }[];
    const of = (id: string) => groups.find((g) => g.groupId === id)!;

    expect(of(byRule).groupName).toBe('Why by rule');
    expect(of(byRule).why).toEqual(
      expect.arrayContaining([
        {
          source: `rule:${rule.id}`,
          kind: 'rule',
          description: 'matches auto-assignment rule "Support department": department = "Support"',
          rule: { id: rule.id, name: 'Support department', expression: 'department = "Support"', enabled: true },
        },
        expect.objectContaining({ source: 'manual', kind: 'manual' }),
      ]),
    );
    expect(of(dynamic)).toMatchObject({ groupName: 'Why dynamic', why: [{ source: 'dynamic', kind: 'dynamic', rule: { expression: 'title = "Agent"' } }] });
    expect(of(dynamic).why[0]!.description).toBe('matches the dynamic group\'s rule: title = "Agent"');
    expect(of(mapped)).toMatchObject({ groupName: 'Why mapped', why: [{ kind: 'mapping', rule: { id: mapping.id } }] });
    expect(of(mapped).why[0]!.rule!.expression).toContain('Okta Support');
    const allUsers = groups.find((g) => g.groupName === 'All Users')!;
    expect(allUsers.why).toEqual([expect.objectContaining({ source: 'automatic', kind: 'automatic' })]);
  });
});

describe('GET /admin/v1/audit?category=auto_assignment: the rule and the attribute change behind each decision', () => {
  let s: SyncStack;
  beforeAll(async () => {
    s = await startSyncStack();
  });
  afterAll(() => s.close());

  it('a rule-made membership names the expression and the user change that triggered it, on the way in and out', async () => {
    const g = await s.internalGroup('Sales by rule');
    const rule = await s.createRule({ name: 'Sales department', expression: 'department = "Sales"', targetGroupId: g });
    const u = await s.user('becomes.sales', { department: 'Marketing' });
    await s.settle();
    await s.patchUser(u, replaceOp(`${ENTERPRISE_USER_URN}:department`, 'Sales'));
    await s.settle();
    type Ev = { action: string; actor: { id: string }; after: { userId: string; expression?: string; trigger?: { eventId: string; action: string; before: unknown; after: unknown } } };
    const log = async () => ((await s.admin.get(`/audit?category=auto_assignment&objectId=${g}`)).body.items as Ev[]).filter((e) => e.after.userId === u);
    const [added] = await log();
    expect(added).toMatchObject({ action: 'membership.added', actor: { id: rule.id }, after: { expression: 'department = "Sales"', trigger: { action: 'user.patched' } } });
    expect(JSON.stringify(added!.after.trigger!.before)).toContain('Marketing');
    expect(JSON.stringify(added!.after.trigger!.after)).toContain('Sales');
    const patched = (await s.admin.get(`/audit?action=user.patched&objectId=${u}`)).body.items[0];
    expect(added!.after.trigger!.eventId).toBe(patched.id);

    await s.patchUser(u, replaceOp(`${ENTERPRISE_USER_URN}:department`, 'Finance'));
    await s.settle();
    const removed = (await log()).find((e) => e.action === 'membership.removed')!;
    expect(JSON.stringify(removed.after.trigger!.after)).toContain('Finance');
    expect(removed.after.expression).toBe('department = "Sales"');
  });
});
