import { startSyncStack, type SyncStack } from './sync-fixtures';

/** Auto-assignment by a regular expression on e-mail, end to end: validate, create, run, and a user change. */
describe("rules with email.matches('…')", () => {
  let s: SyncStack;
  beforeAll(async () => {
    s = await startSyncStack();
  });
  afterAll(() => s.close());

  it('assigns the users whose address matches, on a full run and when an address changes', async () => {
    const g = await s.internalGroup('Regional support');
    const eu = await s.user('eu.agent', { email: 'Ann.Lee@EU.support.example.com' });
    const other = await s.user('other.agent', { email: 'bob@example.com' });
    const expression = "email.matches('^[a-z]+\\\\.[a-z]+@(eu|us)\\\\.support\\\\.example\\\\.com$')";
    const validated = await s.admin.post('/rules/validate', { expression });
    expect(validated.status).toBe(200);
    await s.createRule({ name: 'Regional support by address', expression, targetGroupId: g });
    await s.settle();
    expect([...(await s.membersOf(g)).keys()]).toEqual([eu]);

    await s.scim.patch(`/Users/${other}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'emails', value: [{ value: 'bob.ray@us.support.example.com', primary: true }] }],
    });
    await s.settle();
    expect([...(await s.membersOf(g)).keys()].sort()).toEqual([eu, other].sort());
  });

  it('a pattern outside the safe subset is refused with its position', async () => {
    const res = await s.admin.post('/rules/validate', { expression: "email.matches('(a+)\\\\1')" });
    const body = res.status === 400 ? res.body.error : res.body;
    expect(JSON.stringify(body)).toMatch(/backreferences are not supported/);
    expect(JSON.stringify(body)).toMatch(/at 1:20/);
  });
});
