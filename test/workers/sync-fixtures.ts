import { Queue } from 'bullmq';
import { newInternalGroupDoc } from '../../src/domain/groups/group-record';
import { newId } from '../../src/persistence/ids';
import { createRedisConnection } from '../../src/queue/redis-connection';
import type request from 'supertest';
import { signAdminToken } from '../../src/auth/admin-jwt';
import type { Config } from '../../src/config/config';
import type { MembershipDoc } from '../../src/persistence/models';
import { SYNC_QUEUE, queuePrefix } from '../../src/queue/jobs';
import { CORE_GROUP_URN, CORE_USER_URN, CUSTOM_USER_URN, ENTERPRISE_USER_URN } from '../../src/attributes/urns';
import { silentLogger } from '../../src/observability/logger';
import { startSyncWorker, type SyncWorker, type SyncWorkerOptions } from '../../workers/worker';
import { createWorkerJobQueue, type WorkerJobQueue } from '../../workers/job-queue';
import { startTestStack, type TestStack } from '../helpers/stack';

export { CORE_GROUP_URN, CORE_USER_URN, CUSTOM_USER_URN, ENTERPRISE_USER_URN };
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface AdminClient {
  get(path: string): request.Test;
  post(path: string, body?: unknown): request.Test;
  patch(path: string, body?: unknown): request.Test;
  delete(path: string): request.Test;
}

export interface SyncStack extends TestStack {
  admin: AdminClient;
  /** A client for a fresh user with the org role `member` (not a tenant admin); the user has no attributes rules test. */
  member(): Promise<AdminClient>;
  worker?: SyncWorker;
  startWorker(opts?: SyncWorkerOptions, config?: Config): SyncWorker;
  /** The sync queue of this stack (its own prefix), for inspection. */
  queue: Queue;
  /** An internal static group, as the groups API creates them. */
  internalGroup(name: string, extra?: Record<string, unknown>): Promise<string>;
  /** Provisions a user over SCIM; attributes go to the core, enterprise and custom schemas. */
  user(userName: string, attrs?: { department?: string; title?: string; country?: string; active?: boolean; email?: string }): Promise<string>;
  patchUser(id: string, ...operations: unknown[]): Promise<void>;
  idpGroup(displayName: string, memberIds?: string[]): Promise<string>;
  patchGroup(id: string, ...operations: unknown[]): Promise<void>;
  createRule(body: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>>;
  /** userId -> sources of every membership of a group. */
  membersOf(groupId: string): Promise<Map<string, string[]>>;
  /** Users holding `source` in a group, sorted. */
  holders(groupId: string, source: string): Promise<string[]>;
  /** Waits until nothing is pending (outbox) and the queue has no waiting, delayed or active job. */
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function startSyncStack(opts: { worker?: SyncWorkerOptions | false; env?: Record<string, string>; monitorCommands?: boolean } = {}): Promise<SyncStack> {
  const stack = await startTestStack({ env: opts.env, monitorCommands: opts.monitorCommands });
  const { models } = stack.runtime.deps;
  const client = (role: 'admin' | 'member', sub: string): AdminClient => {
    const kind = role === 'admin' ? 'operator' : 'user';
    const auth = `Bearer ${signAdminToken(stack.config.adminJwt, { sub, tenant: stack.tenantId, role, kind })}`;
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
  const queueConnection = createRedisConnection(stack.config.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(SYNC_QUEUE, { connection: queueConnection, prefix: queuePrefix(stack.config.queue.prefix) });

  const s: SyncStack = {
    ...stack,
    admin: client('admin', 'usr_operator'),
    async member() {
      return client('member', await s.user(`member-${Math.random().toString(36).slice(2, 10)}`));
    },
    queue,
    startWorker(workerOpts = {}, config = stack.config) {
      // Sweeps run when a test asks (settle), not on a timer, so tests stay deterministic.
      s.worker = startSyncWorker(config, stack.runtime.db, silentLogger, { concurrency: 4, sweepAfterSeconds: 0, sweepIntervalSeconds: 3600, ...workerOpts });
      return s.worker;
    },
    async internalGroup(name, extra = {}) {
      const doc = newInternalGroupDoc(stack.tenantId, name, extra);
      await models.Group.collection.insertOne(doc as never);
      return doc._id;
    },
    async user(userName, attrs = {}) {
      const res = await stack.scim.post('/Users', {
        schemas: [CORE_USER_URN, ENTERPRISE_USER_URN, CUSTOM_USER_URN],
        userName,
        active: attrs.active ?? true,
        emails: [{ value: attrs.email ?? `${userName}@example.com`, type: 'work', primary: true }],
        ...(attrs.title !== undefined ? { title: attrs.title } : {}),
        ...(attrs.department !== undefined ? { [ENTERPRISE_USER_URN]: { department: attrs.department } } : {}),
        ...(attrs.country !== undefined ? { [CUSTOM_USER_URN]: { country: attrs.country } } : {}),
      });
      if (res.status !== 201) throw new Error(`creating user ${userName}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    },
    async patchUser(id, ...operations) {
      const res = await stack.scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: operations });
      if (res.status !== 200) throw new Error(`patching user ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async idpGroup(displayName, memberIds = []) {
      const res = await stack.scim.post('/Groups', { schemas: [CORE_GROUP_URN], displayName, members: memberIds.map((value) => ({ value })) });
      if (res.status !== 201) throw new Error(`creating group ${displayName}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    },
    async patchGroup(id, ...operations) {
      const res = await stack.scim.patch(`/Groups/${id}`, { schemas: [PATCH_OP], Operations: operations });
      if (res.status !== 200 && res.status !== 204) throw new Error(`patching group ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async createRule(body) {
      const res = await s.admin.post('/rules', body);
      if (res.status !== 201) throw new Error(`creating rule: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async membersOf(groupId) {
      const docs = (await models.Membership.collection.find({ tenantId: stack.tenantId, groupId } as never).toArray()) as unknown as MembershipDoc[];
      return new Map(docs.map((d) => [d.userId, [...d.sources].sort()]));
    },
    async holders(groupId, source) {
      const docs = (await models.Membership.collection.find({ tenantId: stack.tenantId, groupId, sources: source } as never).toArray()) as unknown as MembershipDoc[];
      return docs.map((d) => d.userId).sort();
    },
    async settle(timeoutMs = 30_000) {
      // As sync status counts the outbox (SyncMarks): from index entries alone.
      const pendingFilter = { tenantId: stack.tenantId, 'sync.pendingSince': { $gte: new Date(-8_640_000_000_000_000) } } as never;
      await waitFor(
        async () => {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          if (Object.values(counts).some((n) => n > 0)) return false;
          for (const model of [models.User, models.Group, models.Rule]) {
            // Nothing queued yet something pending would be a lost job: no sweep here hides it.
            if ((await model.collection.countDocuments(pendingFilter)) > 0) return false;
          }
          // Twice in a row: a job finishing may enqueue a follow-up.
          await new Promise((r) => setTimeout(r, 30));
          const again = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          return Object.values(again).every((n) => n === 0);
        },
        'the sync worker to settle',
        timeoutMs,
      );
    },
    async close() {
      await s.worker?.close();
      await queue.close();
      queueConnection.disconnect();
      await stack.close();
    },
  };
  if (opts.worker !== false) s.startWorker(opts.worker || {});
  return s;
}

export const replaceOp = (path: string, value: unknown) => ({ op: 'replace', path, value });

/**
 * For tests that drive the sweeper by hand: a sync stack without a worker, plus the worker's own
 * job queue, set up before the file's (or describe's) tests and closed after them. `bind` receives
 * both once they exist.
 */
export function useSweeperStack(bind: (stack: SyncStack, queue: WorkerJobQueue) => void): void {
  let stack: SyncStack | undefined;
  let queue: WorkerJobQueue | undefined;
  beforeAll(async () => {
    stack = await startSyncStack({ worker: false });
    queue = createWorkerJobQueue(stack.config.redisUrl, stack.config.queue.prefix, silentLogger);
    bind(stack, queue);
  });
  afterAll(async () => {
    await queue?.close();
    await stack?.close();
  });
}

/**
 * A stored rule that no longer compiles (as if the schema lost an attribute: `costCentre`), pending,
 * with its `rule.changed` job queued for one attempt only: the job fails for good at its first run.
 */
export async function ruleWithFailingJob(s: SyncStack, targetGroupId: string, opts: { priority?: number } = {}) {
  const ruleId = newId('rul');
  const now = new Date();
  await s.runtime.deps.models.Rule.collection.insertOne({
    _id: ruleId,
    tenantId: s.tenantId,
    kind: 'rule',
    name: 'Broken',
    expression: 'costCentre eq "7"',
    targetGroupId,
    enabled: true,
    priority: opts.priority ?? 5,
    version: 1,
    sync: { version: 1, pendingSince: now },
    createdAt: now,
    updatedAt: now,
  } as never);
  const job = await s.queue.add('rule.changed', { tenantId: s.tenantId, ruleId, version: 1 }, { attempts: 1 });
  return { ruleId, job };
}
