import { loadConfig } from '../../src/config/config';
import { parseRedisUrl } from '../../src/config/redis-url';
import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import { createLogger } from '../../src/observability/logger';
import { createRedisConnection } from '../../src/queue/redis-connection';
import { checkRedisSettings } from '../../src/queue/redis-settings';
import { queuePrefix } from '../../src/queue/jobs';
import { TenantSlotLeases } from '../../src/queue/tenant-slots';
import { startRedisCluster, stopRedisCluster } from '../helpers/redis-cluster';
import { replaceOp, startSyncStack, type SyncStack } from '../workers/sync-fixtures';

/** Every key of every master: the cluster is this file's own, so all of them are ours. */
async function allKeys(cluster: Cluster): Promise<string[]> {
  const keys: string[] = [];
  for (const node of cluster.nodes('master')) keys.push(...(await node.keys('*')));
  return keys;
}

describe('the sync on a 3-master Redis Cluster', () => {
  let clusterUrl: string;
  let s: SyncStack;
  let probe: Cluster;

  beforeAll(async () => {
    clusterUrl = startRedisCluster();
    s = await startSyncStack({ env: { REDIS_URL: clusterUrl } });
    probe = createRedisConnection(clusterUrl) as Cluster;
  });
  afterAll(async () => {
    probe?.disconnect();
    await s?.close();
    stopRedisCluster();
  });

  it('when REDIS_URL names several nodes, then every connection of the API and the worker is a cluster client', () => {
    expect(probe).toBeInstanceOf(Cluster);
    expect(s.runtime.redis).toBeInstanceOf(Cluster);
  });

  it('when users are provisioned and a rule is created over SCIM and the admin API, then the worker applies the rule member by member', async () => {
    const sales = [await s.user('ann', { department: 'Sales' }), await s.user('bob', { department: 'Sales' })];
    const other = await s.user('cid', { department: 'Legal' });
    const target = await s.internalGroup('Sales team');
    const rule = await s.createRule({ name: 'Sales', expression: 'department eq "Sales"', targetGroupId: target });
    await s.settle();
    expect(await s.holders(target, `rule:${rule.id}`)).toEqual([...sales].sort());

    await s.patchUser(other, replaceOp('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', 'Sales'));
    await s.patchUser(sales[0]!, replaceOp('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', 'Legal'));
    await s.settle();
    expect(await s.holders(target, `rule:${rule.id}`)).toEqual([sales[1]!, other].sort());

    // The sweeper's live-job look-up (a pipeline of GET and HMGET) runs on the cluster too: a user
    // just written is pending with its job queued (the sweep runs with sweepAfterSeconds 0 here).
    await s.user('dan', { department: 'Sales' });
    await s.worker!.sweep();
    await s.settle();
    expect(await s.holders(target, `rule:${rule.id}`)).toHaveLength(3);
    const status = await s.admin.get('/sync/status');
    expect(status.status).toBe(200);
    // The per-tenant job counts (MULTI on the queue's slot) were written and read on the cluster.
    expect(status.body).toMatchObject({ pending: { total: 0 }, jobs: { completedLastHour: expect.any(Number) } });
    expect(status.body.jobs.completedLastHour).toBeGreaterThan(5);
    expect((await s.http.get('/readyz')).status).toBe(200);
  });

  it('when the sync has run, then every key it wrote carries the queue hash tag and sits in one slot', async () => {
    const keys = await allKeys(probe);
    const tag = queuePrefix(s.config.queue.prefix);
    expect(keys.length).toBeGreaterThan(5);
    expect(keys.filter((k) => !k.startsWith(`${tag}:`))).toEqual([]);
    const slots = new Set(await Promise.all(keys.map((k) => probe.cluster('KEYSLOT', k))));
    expect([...slots]).toEqual([await probe.cluster('KEYSLOT', tag)]);
  });

  it('when a queue prefix has no hash tag, then the cluster refuses its jobs with CROSSSLOT (why the prefix is wrapped)', async () => {
    const connection = createRedisConnection(clusterUrl, { maxRetriesPerRequest: null });
    const untagged = new Queue('sync', { connection, prefix: `untagged${Date.now()}` });
    try {
      await expect(untagged.add('user.changed', { tenantId: 't', userId: 'u', version: 1, reason: 'created' })).rejects.toThrow(/CROSSSLOT/);
    } finally {
      await untagged.close();
      connection.disconnect();
    }
  });

  it('when a master would evict keys, then the start-up check warns naming the node and its policy', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', {}, (line) => lines.push(JSON.parse(line)));
    expect(await checkRedisSettings(probe, logger)).toEqual([]);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);

    const master = probe.nodes('master')[1]!;
    await master.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      const found = await checkRedisSettings(probe, logger);
      expect(found).toEqual([{ node: `${master.options.host}:${master.options.port}`, maxmemoryPolicy: 'allkeys-lru' }]);
      expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', check: 'redis.maxmemory-policy', nodes: found }));
    } finally {
      await master.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });

  it("when a tenant is at its job cap, then the cap's script reads the queue's next job in the queue's slot: held while another tenant runs, its slot given up when another tenant's job is next", async () => {
    const prefix = queuePrefix(`cap-${Date.now()}`);
    const keys = { wait: `${prefix}:sync:wait`, prioritized: `${prefix}:sync:prioritized`, job: `${prefix}:sync:` };
    const leases = new TenantSlotLeases(probe, prefix, keys, 30_000);
    // A alone: past its cap of 1 it still runs.
    expect((await leases.acquire('ten_a', 'w:1', 1)).kind).toBe('acquired');
    expect((await leases.acquire('ten_a', 'w:2', 1)).kind).toBe('acquired');
    expect(await leases.release('ten_a', 'w:2')).toBeGreaterThan(0);
    // B's job is the queue's next (a job hash the script reads by its id, not named in KEYS): A gives its slot up.
    await probe.hset(`${keys.job}7`, 'data', JSON.stringify({ tenantId: 'ten_b', userId: 'usr_b' }));
    await probe.lpush(keys.wait, '7');
    expect((await leases.acquire('ten_a', 'w:3', 1)).kind).toBe('yield');
    // B's job runs: A, at its cap, is held.
    await probe.del(keys.wait);
    expect((await leases.acquire('ten_b', 'w:7', 1)).kind).toBe('acquired');
    expect((await leases.acquire('ten_a', 'w:4', 1)).kind).toBe('over-cap');
    expect(await leases.running()).toEqual({ ten_a: 1, ten_b: 1 });
  });
});

describe('REDIS_URL: one Redis or the seed nodes of a cluster', () => {
  it('when the URL names one node, then it is a single Redis with its database and credentials', () => {
    expect(parseRedisUrl('redis://:s%40cret@cache:6380/2')).toEqual({ nodes: [{ host: 'cache', port: 6380 }], cluster: false, tls: false, password: 's@cret', db: 2 });
  });

  it('when the URL names several nodes, then they are the seeds of a cluster', () => {
    expect(parseRedisUrl('rediss://app:pw@r1:7000,r2:7001,[::1]:7002')).toEqual({
      nodes: [
        { host: 'r1', port: 7000 },
        { host: 'r2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      cluster: true,
      tls: true,
      username: 'app',
      password: 'pw',
    });
  });

  it('when the value is not a Redis URL or names a database on a cluster, then start-up stops naming REDIS_URL', () => {
    const env = { MONGODB_URI: 'mongodb://db/scim', ADMIN_JWT_SECRET: 'x'.repeat(32) };
    for (const bad of ['http://r1:6379', 'redis://r1:6379,r2:notaport', 'redis://r1:1,r2:2/3', 'redis://']) {
      expect(() => loadConfig({ ...env, REDIS_URL: bad })).toThrow(/REDIS_URL/);
    }
    expect(loadConfig({ ...env, REDIS_URL: 'redis://r1:1,r2:2' }).redisUrl).toBe('redis://r1:1,r2:2');
  });
});
