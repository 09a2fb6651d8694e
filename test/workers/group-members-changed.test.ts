import { startSyncStack, replaceOp, type SyncStack } from './sync-fixtures';

describe('group.membersChanged: SSO group mapping follows the IdP groups', () => {
  let s: SyncStack;
  let engineering: string;
  let mapping: string;

  beforeAll(async () => {
    s = await startSyncStack();
    engineering = await s.internalGroup('Engineering (product)');
    const res = await s.admin.post('/mappings', { idpGroup: 'Engineering', targetGroupId: engineering });
    expect(res.status).toBe(201);
    mapping = res.body.id;
    await s.settle();
  });
  afterAll(() => s.close());

  /**
   * A rename changes no member, and the SCIM groups service enqueues a group job only for member
   * changes: the rename is then found by the sweeper (its pending mark), run here at once.
   */
  const renamed = async () => {
    await new Promise((r) => setTimeout(r, 100));
    await s.worker!.sweep();
  };

  it('when the IdP pushes a group with members, then its members get the mapped group', async () => {
    const ann = await s.user('ann');
    const bob = await s.user('bob');
    const cid = await s.user('cid');
    await s.idpGroup('Engineering', [ann, bob]);
    await s.idpGroup('Finance', [cid]);
    await s.settle();
    expect(await s.holders(engineering, `rule:${mapping}`)).toEqual([ann, bob].sort());
  });

  it('when the IdP removes a member, then that user loses the mapped membership, and an added one gains it', async () => {
    const dee = await s.user('dee');
    const eve = await s.user('eve');
    const group = await s.idpGroup('engineering-ops', [dee]);
    // A second mapping-free group keeps the test independent of the first one.
    await s.admin.post('/mappings', { idpGroup: 'engineering-ops', targetGroupId: engineering });
    await s.settle();
    expect((await s.membersOf(engineering)).has(dee)).toBe(true);
    await s.patchGroup(group, { op: 'remove', path: `members[value eq "${dee}"]` }, { op: 'add', path: 'members', value: [{ value: eve }] });
    await s.settle();
    const members = await s.membersOf(engineering);
    expect(members.has(dee)).toBe(false);
    expect(members.has(eve)).toBe(true);
  });

  it('when an IdP group is renamed, then its members are re-evaluated against the new name', async () => {
    const fay = await s.user('fay');
    const group = await s.idpGroup('Platform', [fay]);
    await s.settle();
    expect((await s.membersOf(engineering)).has(fay)).toBe(false);
    await s.patchGroup(group, replaceOp('displayName', 'Engineering EU'));
    await s.patchGroup(group, replaceOp('externalId', 'Engineering'));
    await renamed();
    await s.settle();
    expect((await s.membersOf(engineering)).get(fay)).toEqual([`rule:${mapping}`]);
    await s.patchGroup(group, replaceOp('externalId', 'platform-eu'));
    await renamed();
    await s.settle();
    expect((await s.membersOf(engineering)).has(fay)).toBe(false);
  });

  it('when an IdP group is deleted, then its members lose what the mapping gave them', async () => {
    const gus = await s.user('gus');
    const group = await s.idpGroup('engineering-interns', [gus]);
    await s.admin.post('/mappings', { idpGroup: 'engineering-interns', targetGroupId: engineering });
    await s.settle();
    expect((await s.membersOf(engineering)).has(gus)).toBe(true);
    expect((await s.scim.delete(`/Groups/${group}`)).status).toBe(204);
    await s.settle();
    expect((await s.membersOf(engineering)).has(gus)).toBe(false);
  });
});
