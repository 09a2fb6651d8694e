import type request from 'supertest';
import { signAdminToken, type OrgRole } from '../../src/auth/admin-jwt';
import type { GroupDoc } from '../../src/persistence/models';
import { CORE_GROUP_URN, CORE_USER_URN, CUSTOM_USER_URN } from '../../src/attributes/urns';

export const GROUP_URN_FOR_TESTS = CORE_GROUP_URN;
import { startTestStack, type TestStack } from '../helpers/stack';

/** A supertest client of /admin/v1 that sends one caller's token. */
export interface AdminClient {
  get(path: string): request.Test;
  post(path: string, body?: unknown): request.Test;
  patch(path: string, body?: unknown): request.Test;
  delete(path: string): request.Test;
}

export interface AdminStack extends TestStack {
  /** A client acting as the user `sub` with the org-level `role`, in this stack's tenant unless `tenant` is given. */
  as(sub: string, role?: OrgRole, tenant?: string): AdminClient;
  /** An operator token (role admin, no user), in this stack's tenant unless `tenant` is given. */
  operator(tenant?: string): AdminClient;
  /** The tenant admin: an operator token. */
  admin: AdminClient;
  /** The `Authorization` header `admin` sends, for requests built by hand (raw bodies, other content types). */
  adminAuth: string;
  /**
   * A fresh active user of this tenant with the org-level `role`: their id and a client acting as
   * them. Customer roles (`customer-admin`, `customer`) make a customer unless `audience` says
   * otherwise: customer admin powers are a customer's (issue 18).
   */
  caller(role: OrgRole, opts?: { audience?: 'user' | 'customer' }): Promise<{ id: string; client: AdminClient }>;
  /** Provisions a user over SCIM (as an IdP would) and returns its id. */
  user(userName: string, opts?: { audience?: 'user' | 'customer'; email?: string; active?: boolean }): Promise<string>;
  /** The id of a default group by key ('admins', 'platform-users', …). */
  defaultGroup(key: string): Promise<string>;
}

export async function startAdminStack(opts: { env?: Record<string, string> } = {}): Promise<AdminStack> {
  const stack = await startTestStack(opts);
  const client = (sub: string, role: OrgRole, tenant: string, kind: 'user' | 'operator'): AdminClient => {
    const auth = `Bearer ${signAdminToken(stack.config.adminJwt, { sub, tenant, role, kind })}`;
    const base = '/admin/v1';
    return {
      get: (p) => stack.http.get(base + p).set('Authorization', auth),
      post: (p, b) => (b === undefined ? stack.http.post(base + p) : stack.http.post(base + p).send(b as object)).set('Authorization', auth),
      patch: (p, b) =>
        stack.http
          .patch(base + p)
          .send(b as object)
          .set('Authorization', auth),
      delete: (p) => stack.http.delete(base + p).set('Authorization', auth),
    };
  };
  const as = (sub: string, role: OrgRole = 'member', tenant = stack.tenantId) => client(sub, role, tenant, 'user');
  const operator = (tenant = stack.tenantId) => client('admin-operator', 'admin', tenant, 'operator');
  let callers = 0;
  const self: AdminStack = {
    ...stack,
    as,
    operator,
    admin: operator(),
    adminAuth: `Bearer ${signAdminToken(stack.config.adminJwt, { sub: 'admin-operator', tenant: stack.tenantId, role: 'admin', kind: 'operator' })}`,
    async caller(role, opts = {}) {
      const audience = opts.audience ?? (role === 'customer-admin' || role === 'customer' ? 'customer' : 'user');
      const id = await self.user(`${role}-caller-${++callers}-${Math.random().toString(36).slice(2, 8)}@example.com`, { ...opts, audience });
      return { id, client: as(id, role) };
    },
    async user(userName, opts = {}) {
      const res = await stack.scim.post('/Users', {
        schemas: [CORE_USER_URN, CUSTOM_USER_URN],
        userName,
        emails: [{ value: opts.email ?? userName, type: 'work', primary: true }],
        active: opts.active ?? true,
        [CUSTOM_USER_URN]: { audience: opts.audience ?? 'user' },
      });
      if (res.status !== 201) throw new Error(`creating user ${userName}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    },
    async defaultGroup(key) {
      const doc = (await stack.runtime.deps.models.Group.collection.findOne({ tenantId: stack.tenantId, system: key } as never)) as GroupDoc | null;
      if (!doc) throw new Error(`no default group ${key}`);
      return doc._id;
    },
  };
  return self;
}

/** Asserts the status and, for errors, returns the `{error: {code}}` code. */
export function expectStatus(res: request.Response, status: number): request.Response {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res;
}

export function expectError(res: request.Response, status: number, code: string): void {
  expectStatus(res, status);
  expect(res.body.error.code).toBe(code);
}
