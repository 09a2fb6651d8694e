import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Response } from 'supertest';
import type { TestStack } from '../../helpers/stack';

export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

/** A request body from test/fixtures (see the README.md there for where each one comes from). */
export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', name), 'utf8')) as Record<string, unknown>;
}

/**
 * A fixture with the ids of the documentation example replaced by ids of this server: the IdP
 * sends back the ids we gave it, so a replayed body must carry ours.
 */
export function fixtureWithIds(name: string, ids: Record<string, string>): Record<string, unknown> {
  let text = readFileSync(join(__dirname, '..', '..', 'fixtures', name), 'utf8');
  for (const [from, to] of Object.entries(ids)) text = text.split(from).join(to);
  return JSON.parse(text) as Record<string, unknown>;
}

export function patchBody(...operations: unknown[]): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: operations };
}

export function userBody(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [USER_URN], userName, active: true, ...extra };
}

export function groupBody(displayName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [GROUP_URN], displayName, ...extra };
}

export function expectScimContentType(res: Response): void {
  expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
}

/**
 * RFC 7644 §3.12: every error is the SCIM Error message, `status` a string, with the scimType
 * where one applies, served as application/scim+json.
 */
export function expectScimError(res: Response, status: number, scimType?: string): void {
  if (res.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
  expectScimContentType(res);
  expect(res.body.schemas).toEqual([ERROR_SCHEMA]);
  expect(res.body.status).toBe(String(status));
  expect(typeof res.body.detail).toBe('string');
  if (scimType === undefined) expect(res.body.scimType).toBeUndefined();
  else expect(res.body.scimType).toBe(scimType);
}

/** Fails with the response body in the message, which says far more than "expected 201". */
export function expectStatus(res: Response, status: number): Response {
  if (res.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res;
}

export async function createUser(stack: TestStack, userName: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown> & { id: string }> {
  const res = expectStatus(await stack.scim.post('/Users', userBody(userName, extra)), 201);
  return res.body as Record<string, unknown> & { id: string };
}

export async function createGroup(stack: TestStack, displayName: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown> & { id: string }> {
  const res = expectStatus(await stack.scim.post('/Groups', groupBody(displayName, extra)), 201);
  return res.body as Record<string, unknown> & { id: string };
}

/** Member ids of a group as the memberships collection holds them, sorted, with their sources. */
export async function membershipsOf(stack: TestStack, groupId: string): Promise<{ userId: string; sources: string[] }[]> {
  const docs = await stack.runtime.deps.models.Membership.find({ tenantId: stack.tenantId, groupId }).lean();
  return docs.map((d) => ({ userId: d.userId, sources: [...d.sources].sort() })).sort((a, b) => a.userId.localeCompare(b.userId));
}

/** The public id of the stack's SCIM token (the audit actor). */
export async function tokenIdOf(stack: TestStack): Promise<string> {
  const doc = await stack.runtime.deps.models.ScimToken.findOne({ tenantId: stack.tenantId }).lean();
  if (!doc) throw new Error('the test tenant has no SCIM token');
  return doc.tokenId;
}

/**
 * Everything a SCIM request can write for the tenant, for "nothing was written" assertions:
 * users, groups, memberships and audit events, in a stable order.
 */
export async function tenantState(stack: TestStack): Promise<unknown> {
  const { models } = stack.runtime.deps;
  const scope = { tenantId: stack.tenantId };
  const [users, groups, memberships, audit] = await Promise.all([
    models.User.find(scope).sort({ _id: 1 }).lean(),
    // A change's position (lastPosition) is handed out like a sequence number and not given back
    // when the write then fails (a name taken): it is not state a failed request changed.
    models.Group.find(scope, { lastPosition: 0 }).sort({ _id: 1 }).lean(),
    models.Membership.find(scope).sort({ _id: 1 }).lean(),
    models.AuditEvent.countDocuments(scope),
  ]);
  return JSON.parse(JSON.stringify({ users, groups, memberships, audit }));
}
