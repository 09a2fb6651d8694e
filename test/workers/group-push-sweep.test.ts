import type { Job } from 'bullmq';
import { silentLogger } from '../../src/observability/logger';
import type { JobName, JobPayloads } from '../../src/queue/jobs';
import { createWorkerJobQueue, type WorkerJobQueue } from '../../workers/job-queue';
import { sweepPending, type SweepResult } from '../../workers/sweeper';
import { PATCH_OP, startSyncStack, type SyncStack } from './sync-fixtures';

/**
 * Issue 23: Okta's group push (100 members per PATCH, one PATCH after another) into an IdP group
 * an SSO mapping reads. The group stays pending from its first PATCH (`$min` keeps the oldest mark;
 * each job acknowledges only its own version), and each PATCH commits its version bump before it
 * enqueues its job. A sweep landing in between used to take the group for lost work: it re-created
 * the job as a sweep (swallowing the PATCH's own job by its dedup id), the worker reconciled the
 * mapping with a full run over the tenant and then re-marked every member of the pushed group
 * pending: at 30,000 users, 29,000 changes pending after the push had ended.
 */

const THRESHOLD_SECONDS = 60;
const USERS = 24;
const PER_PATCH = 6;

let s: SyncStack;
let sweeperQueue: WorkerJobQueue;
let mappedGroup: string;
let mappingId: string;
let userIds: string[];

beforeAll(async () => {
  s = await startSyncStack({ worker: false });
  sweeperQueue = createWorkerJobQueue(s.config.redisUrl, s.config.queue.prefix, silentLogger);
  mappedGroup = await s.internalGroup('All staff (mapping)');
  const res = await s.admin.post('/mappings', { idpGroup: 'All Staff', targetGroupId: mappedGroup });
  expect(res.status).toBe(201);
  mappingId = res.body.id as string;
  userIds = [];
  for (let i = 0; i < USERS; i++) userIds.push(await s.user(`push.${i}`));
  await settleWithWorker();
});
afterEach(async () => {
  await s.worker?.close();
  s.worker = undefined;
});
afterAll(async () => {
  await sweeperQueue?.close();
  await s?.close();
});

/** Runs the worker until the tenant has nothing pending and no job queued, then stops it. */
async function settleWithWorker(): Promise<void> {
  s.startWorker();
  await s.settle();
  await s.worker!.close();
  s.worker = undefined;
}

const sweep = () => sweepPending(s.runtime.deps.models, sweeperQueue, THRESHOLD_SECONDS, silentLogger);
const hourAgo = () => new Date(Date.now() - 3_600_000);

type AnyJob = Job<JobPayloads[JobName], unknown, JobName>;
async function jobsSince(since: number): Promise<AnyJob[]> {
  const jobs = (await s.queue.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed', 'prioritized'], 0, -1)) as AnyJob[];
  return jobs.filter((j) => j && j.timestamp >= since);
}

it("a group push with sweeps between each PATCH's commit and its enqueue, the group pending for longer than the sweep threshold, takes no job for lost: each member is evaluated once and nothing stays pending", async () => {
  const res = await s.scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'All Staff' });
  expect(res.status).toBe(201);
  const groupId = res.body.id as string;
  await settleWithWorker(); // the group's creation is processed (the mapping now resolves its name)
  const pushStart = Date.now();

  // The sweep runs where the race is: the PATCH has committed its version, its job is not queued yet,
  // and the group has been pending since a PATCH an hour ago (the push has been going on that long).
  const producer = s.runtime.producer;
  const enqueue = producer.enqueue.bind(producer);
  const sweeps: SweepResult[] = [];
  producer.enqueue = async (name, data) => {
    if (name === 'group.membersChanged' && (data as JobPayloads['group.membersChanged']).groupId === groupId) {
      await s.runtime.deps.models.Group.collection.updateOne({ _id: groupId } as never, { $set: { 'sync.pendingSince': hourAgo() } });
      sweeps.push(await sweep());
    }
    return enqueue(name, data);
  };
  try {
    for (let i = 0; i < USERS; i += PER_PATCH) {
      const value = userIds.slice(i, i + PER_PATCH).map((id) => ({ value: id }));
      const patch = await s.scim.patch(`/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value }] });
      expect(patch.status).toBe(204);
    }
  } finally {
    producer.enqueue = enqueue;
  }
  expect(sweeps).toHaveLength(USERS / PER_PATCH);
  expect(sweeps.map((r) => r.groups)).toEqual(sweeps.map(() => 0));

  s.startWorker();
  await s.settle();
  expect(await s.holders(mappedGroup, `rule:${mappingId}`)).toEqual([...userIds].sort());

  const jobs = await jobsSince(pushStart);
  // No reconcile: no rule run, no group job re-created by a sweep.
  expect(jobs.filter((j) => j.name === 'rule.changed').map((j) => j.data)).toEqual([]);
  expect(jobs.filter((j) => j.name === 'group.membersChanged' && (j.data as JobPayloads['group.membersChanged']).reason === 'sweep')).toEqual([]);
  // No job of the push took it for a rename (which re-evaluates every member of the group).
  const groupJobs = jobs.filter((j) => j.name === 'group.membersChanged');
  expect(groupJobs).toHaveLength(USERS / PER_PATCH);
  expect(groupJobs.map((j) => (j.returnvalue as { renamed?: boolean }).renamed)).toEqual(groupJobs.map(() => false));
  // Each member evaluated by one job, the one its PATCH asked for.
  const userJobs = jobs.filter((j) => j.name === 'user.changed').map((j) => j.data as JobPayloads['user.changed']);
  const perUser = new Map<string, number>();
  for (const d of userJobs) perUser.set(d.userId, (perUser.get(d.userId) ?? 0) + 1);
  expect([...perUser.keys()].sort()).toEqual([...userIds].sort());
  expect([...perUser.values()].every((n) => n === 1)).toBe(true);
  expect(userJobs.every((d) => d.reason === 'group')).toBe(true);
});

it("a group whose last change's job was lost is still re-enqueued, once its last write is older than the sweep threshold", async () => {
  const res = await s.scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Lost push' });
  expect(res.status).toBe(201);
  const groupId = res.body.id as string;
  const patch = await s.scim.patch(`/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: userIds[0] }] }] });
  expect(patch.status).toBe(204);
  await s.queue.obliterate({ force: true }); // Redis lost the job
  await s.runtime.deps.models.Group.collection.updateOne({ _id: groupId } as never, { $set: { 'sync.pendingSince': hourAgo() } });
  // Pending for an hour, but written just now: its writer may still be enqueuing.
  expect((await sweep()).groups).toBe(0);
  await s.runtime.deps.models.Group.collection.updateOne({ _id: groupId } as never, { $set: { updatedAt: hourAgo() } });
  expect((await sweep()).groups).toBe(1);
  // Queued: on the waiting list, or prioritized (this tenant's push made it busy: src/queue/tenant-demand.ts).
  const queued = (await s.queue.getJobs(['waiting', 'prioritized'], 0, -1)) as AnyJob[];
  expect(queued.map((j) => [j.name, (j.data as JobPayloads['group.membersChanged']).groupId, (j.data as JobPayloads['group.membersChanged']).reason])).toEqual([
    ['group.membersChanged', groupId, 'sweep'],
  ]);
});
