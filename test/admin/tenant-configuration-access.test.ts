import { startAdminStack, expectError, expectStatus, type AdminStack } from './admin-fixtures';

/**
 * Rules, SSO mappings, SCIM tokens and sync monitoring are tenant configuration: the same rule as
 * every other admin action decides who may use them — a token with the role admin, or a member of
 * the Admins group holding a member token. A plain member is refused.
 */
let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

const CONFIGURATION_READS = ['/rules', '/mappings', '/scim-tokens', '/sync/status', '/sync/failures', '/sync/jobs'];

it('a member of the Admins group with a member token manages tenant configuration', async () => {
  const user = await s.user('admins.member@example.com');
  expectStatus(await s.admin.post(`/groups/${await s.defaultGroup('admins')}/members`, { userId: user }), 201);
  const client = s.as(user, 'member');
  for (const path of CONFIGURATION_READS) expectStatus(await client.get(path), 200);
  const target = expectStatus(await s.admin.post('/groups', { name: 'Sales team' }), 201).body.id as string;
  expectStatus(await client.post('/rules', { name: 'Sales', expression: 'department = "Sales"', targetGroupId: target }), 201);
});

it('a plain member is refused on every configuration route', async () => {
  const user = await s.user('plain.member@example.com');
  const client = s.as(user, 'member');
  for (const path of CONFIGURATION_READS) expectError(await client.get(path), 403, 'FORBIDDEN');
  expectError(await client.post('/scim-tokens', {}), 403, 'FORBIDDEN');
});
