import { startTestStack, type TestStack } from '../../helpers/stack';
import { AUDIT_BOUNDS, boundAuditValue } from '../../../src/domain/audit';
import { LIMITS_SCHEMA_URN } from '../../../src/scim/service/resource-limits';
import { createGroup, createUser, expectScimError, expectStatus, patchBody, tenantState, userBody } from './helpers';

/**
 * Size limits are declared in /ServiceProviderConfig and checked before anything is written; audit
 * events keep bounded diffs, so no change can be written and then fail to be audited.
 */

const MAX_VALUE = 4096;
const MAX_RESOURCE = 16 * 1024;
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ env: { SCIM_MAX_ATTRIBUTE_VALUE_BYTES: String(MAX_VALUE), SCIM_MAX_RESOURCE_BYTES: String(MAX_RESOURCE) } });
});
afterAll(() => stack.close());

async function refused(request: () => Promise<import('supertest').Response>, status: number, scimType?: string) {
  const before = await tenantState(stack);
  const res = await request();
  expectScimError(res, status, scimType);
  expect(await tenantState(stack)).toEqual(before);
  return res;
}

it('/Schemas declares the limits it enforces, and /ServiceProviderConfig stays standard', async () => {
  const res = expectStatus(await stack.scim.get(`/Schemas/${LIMITS_SCHEMA_URN}`), 200);
  const attributes = res.body.attributes as { name: string; description: string }[];
  expect(attributes.find((a) => a.name === 'maxAttributeValueBytes')?.description).toContain(`: ${MAX_VALUE}.`);
  expect(attributes.find((a) => a.name === 'maxResourceBytes')?.description).toContain(`: ${MAX_RESOURCE}.`);
  const list = expectStatus(await stack.scim.get('/Schemas'), 200);
  expect((list.body.Resources as { id: string }[]).map((s) => s.id)).toContain(LIMITS_SCHEMA_URN);
  // Strict clients refuse unknown keys on /ServiceProviderConfig: none are added there.
  const spc = expectStatus(await stack.scim.get('/ServiceProviderConfig'), 200);
  expect(spc.body.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
});

it('POST with an oversized attribute answers 400 invalidValue naming it, and creates nothing', async () => {
  const res = await refused(() => stack.scim.post('/Users', userBody('big.title@example.com', { title: 'x'.repeat(MAX_VALUE + 1) })), 400, 'invalidValue');
  expect(res.body.detail).toContain('title');
});

it('PATCH adding an oversized value (a 3 MiB locale) answers 400 and leaves the user and audit trail as they were', async () => {
  const user = await createUser(stack, 'patched.big@example.com');
  const res = await refused(() => stack.scim.patch(`/Users/${user.id}`, patchBody({ op: 'add', path: 'locale', value: 'l'.repeat(3 * 1024 * 1024) })), 400, 'invalidValue');
  expect(res.body.detail).toContain('locale');
});

it('a value within the limit on a resource past the resource limit answers 413', async () => {
  const many = Array.from({ length: 8 }, (_, i) => ({ value: `${'a'.repeat(3000)}${i}@example.com`, type: 'work' }));
  await refused(() => stack.scim.post('/Users', userBody('many.emails@example.com', { emails: many })), 413, 'tooMany');
});

it('group names are bounded too', async () => {
  await refused(() => stack.scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'g'.repeat(MAX_VALUE + 1) }), 400, 'invalidValue');
  const group = await createGroup(stack, 'Bounded');
  await refused(() => stack.scim.patch(`/Groups/${group.id}`, patchBody({ op: 'replace', path: 'displayName', value: 'g'.repeat(MAX_VALUE + 1) })), 400, 'invalidValue');
});

it('the audit event of a change keeps only the attributes that changed, and large values bounded', async () => {
  const user = await createUser(stack, 'audit.diff@example.com', { title: 'Before', displayName: 'Unchanged' });
  const big = 'n'.repeat(MAX_VALUE);
  expectStatus(await stack.scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'After' }, { op: 'add', path: 'nickName', value: big })), 200);
  const event = await stack.runtime.deps.models.AuditEvent.findOne({ tenantId: stack.tenantId, 'object.id': user.id, action: 'user.patched' }).lean();
  const before = event!.before as { attrs: Record<string, unknown> };
  const after = event!.after as { attrs: Record<string, string> };
  expect(before.attrs).toEqual({ title: 'Before' });
  expect(Object.keys(after.attrs).sort()).toEqual(['nickName', 'title']);
  expect(after.attrs.title).toBe('After');
  expect(after.attrs.nickName!.length).toBeLessThan(AUDIT_BOUNDS.stringBytes);
  expect(after.attrs.nickName).toMatch(new RegExp(`truncated: ${MAX_VALUE} bytes, sha256 [0-9a-f]{16}`));
});

it('audit values are bounded whatever the caller passes: long lists keep a prefix and a count, oversized values a hash', () => {
  const ids = Array.from({ length: AUDIT_BOUNDS.arrayItems + 5 }, (_, i) => `usr_${i}`);
  const bounded = boundAuditValue({ membersAdded: ids }) as { membersAdded: string[] };
  expect(bounded.membersAdded).toHaveLength(AUDIT_BOUNDS.arrayItems + 1);
  expect(bounded.membersAdded.at(-1)).toBe('… and 5 more');
  const huge = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, 'v'.repeat(1000)]));
  expect(boundAuditValue(huge)).toMatchObject({ truncated: true, bytes: expect.any(Number), sha256: expect.any(String) });
});
