import { CORE_USER_URN, CUSTOM_USER_URN } from '../../src/attributes/urns';
import { startAdminStack, expectError, expectStatus, type AdminStack, type AdminClient } from './admin-fixtures';

/**
 * Customer admins manage the customers of their own workspace (product doc 000: "Customer Admins:
 * users who can manage the customer inquiries of their workspace"): a ws1 customer admin neither
 * sees nor adds a ws2 customer, by id, e-mail, CSV or invitation, nor finds them in member lists.
 */
let s: AdminStack;
let ws1Admin: AdminClient;
let c1: string;
let c1b: string;
let c2: string;
beforeAll(async () => {
  s = await startAdminStack();
  const customer = async (userName: string, workspace: string | undefined) => {
    const res = await s.scim.post('/Users', {
      schemas: [CORE_USER_URN, CUSTOM_USER_URN],
      userName,
      emails: [{ value: userName, primary: true }],
      [CUSTOM_USER_URN]: { audience: 'customer', ...(workspace ? { workspace } : {}) },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const admin1 = await customer('cadmin@ws1.example', 'ws1');
  ws1Admin = s.as(admin1, 'customer-admin');
  c1 = await customer('buyer@ws1.example', 'ws1');
  c1b = await customer('other.buyer@ws1.example', 'WS1'); // the same workspace, written differently
  c2 = await customer('buyer@ws2.example', 'ws2');
});
afterAll(() => s.close());

describe('customer admins are scoped to their workspace', () => {
  it('the directory and user reads show the customers of their workspace only', async () => {
    const ids = (expectStatus(await ws1Admin.get('/users?audience=customer&limit=200'), 200).body.items as { id: string }[]).map((u) => u.id);
    expect(ids).toEqual(expect.arrayContaining([c1, c1b]));
    expect(ids).not.toContain(c2);
    expectStatus(await ws1Admin.get(`/users/${c1}`), 200);
    expectError(await ws1Admin.get(`/users/${c2}`), 404, 'USER_NOT_FOUND');
  });

  it('adds customers of their workspace, and a ws2 customer answers as unknown by id, e-mail, CSV and invitation', async () => {
    const g = expectStatus(await ws1Admin.post('/groups', { name: 'WS1 buyers', audience: 'customer' }), 201).body.id;
    expectStatus(await ws1Admin.post(`/groups/${g}/members`, { userId: c1 }), 201);
    expectError(await ws1Admin.post(`/groups/${g}/members`, { userId: c2 }), 404, 'USER_NOT_FOUND');
    expectError(await ws1Admin.post(`/groups/${g}/members`, { email: 'buyer@ws2.example' }), 404, 'USER_NOT_FOUND');
    const preview = expectStatus(await ws1Admin.post(`/groups/${g}/members/import`, { csv: 'email\nbuyer@ws2.example\nother.buyer@ws1.example' }), 201);
    expect(preview.body.rows.map((r: { outcome: string; reason?: string }) => [r.outcome, r.reason ?? ''])).toEqual([
      ['skipped', 'unknown e-mail'],
      ['added', ''],
    ]);
    const inv = expectStatus(await ws1Admin.post('/invitations', { email: 'buyer@ws2.example', groupIds: [g] }), 201).body;
    expect(inv).toMatchObject({ status: 'pending', userId: null });
    const members = (expectStatus(await s.admin.get(`/groups/${g}/members`), 200).body.items as { userId: string }[]).map((m) => m.userId);
    expect(members).toEqual([c1]);
  });

  it('member lists of customer groups they do not supervise show their workspace only', async () => {
    const customers = await s.defaultGroup('customers');
    const page = expectStatus(await ws1Admin.get(`/groups/${customers}/members?limit=500`), 200).body;
    const ids = (page.items as { userId: string }[]).map((m) => m.userId);
    expect(ids).toEqual(expect.arrayContaining([c1, c1b]));
    expect(ids).not.toContain(c2);
    expect(page.total).toBe(ids.length);

    const verified = await s.defaultGroup('verified-customers');
    expectStatus(await s.admin.post(`/groups/${verified}/members`, { userId: c1 }), 201);
    expectStatus(await s.admin.post(`/groups/${verified}/members`, { userId: c2 }), 201);
    const scoped = expectStatus(await ws1Admin.get(`/groups/${verified}/members`), 200).body;
    expect((scoped.items as { userId: string }[]).map((m) => m.userId)).toEqual([c1]);
    expect(scoped.total).toBeNull();
    // The tenant admin sees everyone.
    expect(expectStatus(await s.admin.get(`/groups/${verified}/members`), 200).body.total).toBe(2);
  });
});
