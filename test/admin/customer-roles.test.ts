import { startAdminStack, expectError, expectStatus, type AdminStack, type AdminClient } from './admin-fixtures';

/**
 * Customer administrators create and modify roles for their customers (product docs 000/004), and
 * assign them to customer groups; internal roles, user groups and admin-level roles stay the
 * admins' (only an admin grants admin).
 */
let s: AdminStack;
let customerAdmin: AdminClient;
let buyer: string;
let customerGroup: string;
let n = 0;
const unique = (name: string) => `${name} ${++n}`;
const roleIdBySystem = async (system: string) => (expectStatus(await s.admin.get('/roles'), 200).body.items as { id: string; system: string | null }[]).find((r) => r.system === system)!.id;

beforeAll(async () => {
  s = await startAdminStack();
  const cadm = await s.user('roles.cadmin@customer.example', { audience: 'customer' });
  customerAdmin = s.as(cadm, 'customer-admin');
  // A customer admin's roles give no level above their own (issue 18): an admin gives them Ticket edit.
  const toolkit = expectStatus(await s.admin.post('/roles', { name: 'Customer admin toolkit', audience: 'customer', privileges: [{ target: 'Ticket', level: 'edit' }] }), 201).body.id;
  const team = expectStatus(await s.admin.post('/groups', { name: 'Customer admin team', audience: 'customer' }), 201).body.id;
  expectStatus(await s.admin.post(`/groups/${team}/members`, { userId: cadm }), 201);
  expectStatus(await s.admin.post(`/groups/${team}/roles`, { roleId: toolkit }), 201);
  buyer = await s.user('roles.buyer@customer.example', { audience: 'customer' });
  customerGroup = expectStatus(await customerAdmin.post('/groups', { name: 'Buyers', audience: 'customer' }), 201).body.id;
  expectStatus(await customerAdmin.post(`/groups/${customerGroup}/members`, { userId: buyer }), 201);
});
afterAll(() => s.close());

const allowed = async (userId: string, action: string, target: string) => expectStatus(await s.admin.post('/authorize', { userId, action, target }), 200).body.allowed as boolean;

describe('customer roles', () => {
  it('a customer admin creates a customer role, changes it, assigns it to a customer group, revokes and deletes it', async () => {
    const created = expectStatus(await customerAdmin.post('/roles', { name: unique('Ticket viewers'), privileges: [{ target: 'Ticket', level: 'view' }] }), 201).body;
    expect(created).toMatchObject({ audience: 'customer', default: false });
    expect(await allowed(buyer, 'view', 'Ticket')).toBe(false);
    expectStatus(await customerAdmin.post(`/groups/${customerGroup}/roles`, { roleId: created.id }), 201);
    expect(await allowed(buyer, 'view', 'Ticket')).toBe(true);
    expect(await allowed(buyer, 'edit', 'Ticket')).toBe(false);
    expectStatus(await customerAdmin.patch(`/roles/${created.id}`, { privileges: [{ target: 'Ticket', level: 'edit' }] }), 200);
    expect(await allowed(buyer, 'edit', 'Ticket')).toBe(true);
    expectStatus(await customerAdmin.delete(`/groups/${customerGroup}/roles/${created.id}`), 204);
    expect(await allowed(buyer, 'view', 'Ticket')).toBe(false);
    expectStatus(await customerAdmin.delete(`/roles/${created.id}`), 204);
  });

  it("internal roles and user groups stay the admins'", async () => {
    expectError(await customerAdmin.post('/roles', { name: unique('Internal'), audience: 'user', privileges: [] }), 403, 'FORBIDDEN');
    const readOnly = await roleIdBySystem('read-only');
    expectError(await customerAdmin.patch(`/roles/${readOnly}`, { description: 'changed by a customer admin' }), 403, 'FORBIDDEN');
    expectError(await customerAdmin.post(`/groups/${customerGroup}/roles`, { roleId: readOnly }), 403, 'FORBIDDEN');
    expectError(await customerAdmin.post(`/groups/${customerGroup}/roles`, { roleId: await roleIdBySystem('admin') }), 403, 'FORBIDDEN');
    // A customer role on a user group: only an admin.
    const mine = expectStatus(await customerAdmin.post('/roles', { name: unique('Mine'), privileges: [] }), 201).body.id;
    const support = await s.defaultGroup('support');
    expectError(await customerAdmin.post(`/groups/${support}/roles`, { roleId: mine }), 404, 'GROUP_NOT_FOUND');
    // A customer admin cannot revoke what an admin assigned from the internal side either.
    expectStatus(await s.admin.post(`/groups/${customerGroup}/roles`, { roleId: readOnly }), 201);
    expectError(await customerAdmin.delete(`/groups/${customerGroup}/roles/${readOnly}`), 403, 'FORBIDDEN');
    expectStatus(await s.admin.delete(`/groups/${customerGroup}/roles/${readOnly}`), 204);
    // Plain customers change no roles.
    const plain = await s.user('roles.plain@customer.example', { audience: 'customer' });
    expectError(await s.as(plain, 'customer').post('/roles', { name: unique('Nope'), privileges: [] }), 403, 'FORBIDDEN');
  });

  it('only an admin grants admin: a customer admin cannot create, shape or assign an admin-level role', async () => {
    const catalog = expectStatus(await s.admin.get('/permissions/catalog'), 200).body.targets as { name: string; levels: string[] }[];
    const everything = catalog.map((t) => ({ target: t.name, level: t.levels[t.levels.length - 1] }));
    expectError(await customerAdmin.post('/roles', { name: unique('Everything'), privileges: everything }), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    const small = expectStatus(await customerAdmin.post('/roles', { name: unique('Small'), privileges: [{ target: 'Ticket', level: 'view' }] }), 201).body.id;
    expectError(await customerAdmin.patch(`/roles/${small}`, { privileges: everything }), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    // An admin-level customer role an admin made: the customer admin may not hand it out.
    const strong = expectStatus(await s.admin.post('/roles', { name: unique('Strong customer'), audience: 'customer', privileges: everything }), 201).body.id;
    expectError(await customerAdmin.post(`/groups/${customerGroup}/roles`, { roleId: strong }), 403, 'ADMIN_GRANT_REQUIRES_ADMIN');
    expect(await allowed(buyer, 'delete', 'Account')).toBe(false);
  });
});
