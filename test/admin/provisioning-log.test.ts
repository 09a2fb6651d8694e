import { CORE_USER_URN } from '../../src/attributes/urns';
import { describeChange } from '../../src/domain/provisioning-log';
import { repositoriesOf } from '../../src/persistence/repositories';
import type { ProvisioningLogDoc } from '../../src/persistence/models';
import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';
import { createApiRuntime } from '../../src/runtime';
import { silentLogger } from '../../src/observability/logger';
import { scimClient } from '../helpers/stack';

/**
 * The provisioning log: every SCIM request made with a tenant's token, 401s included when the
 * header names one of its tokens, each with the reason an IdP admin can act on; filtered, paged
 * and bounded. Entries are written after the response, so the test waits for them to appear.
 */
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** `n` GET /Users entries of a tenant's log, each with the id and time `entry(i)` gives. */
function logEntries(tenantId: string, n: number, entry: (i: number) => { _id: string; at: Date }): ProvisioningLogDoc[] {
  return Array.from({ length: n }, (_, i) => ({ ...entry(i), tenantId, method: 'GET', path: '/Users', resource: 'Users', status: 200 }));
}

interface Entry {
  id: string;
  method: string;
  path: string;
  status: number;
  reason: string | null;
  reasonText: string | null;
  tokenId: string | null;
  tokenLabel: string | null;
  objectId: string | null;
  objectName: string | null;
  change: string | null;
  userAgent: string | null;
}

describe('describing what a SCIM request asked to change', () => {
  it('names the operation and the attributes, as Okta and Entra send them', () => {
    expect(describeChange('PATCH', 'Users', { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] })).toBe('replace active');
    expect(describeChange('PATCH', 'Groups', { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'b' }] }] })).toBe('add members ×2');
    expect(describeChange('PATCH', 'Users', { Operations: [{ op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'Sales' }] })).toBe(
      'replace department',
    );
    expect(describeChange('POST', 'Users', {})).toBe('create');
    expect(describeChange('DELETE', 'Users', undefined)).toBe('delete');
    expect(describeChange('GET', 'Users', undefined)).toBeUndefined();
  });
});

describe('the provisioning log', () => {
  let s: SyncStack;

  beforeAll(async () => {
    s = await startSyncStack({ worker: false });
  });

  afterAll(async () => {
    await s?.close();
  });

  const log = async (query = '') => {
    const res = await s.admin.get(`/provisioning-log${query}`);
    expect(res.status).toBe(200);
    return res.body as { items: Entry[]; nextCursor: string | null };
  };

  /** Waits (polling, no fixed sleep) until the log holds an entry matching `match`. */
  const entry = async (match: (e: Entry) => boolean, query = '?limit=100'): Promise<Entry> => {
    for (let i = 0; i < 400; i++) {
      const found = (await log(query)).items.find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no provisioning log entry matched; the log holds ${JSON.stringify((await log(query)).items.slice(0, 5))}`);
  };

  it('when the API closes, then the entries still waiting to be grouped are written before the database goes', async () => {
    // A second API process on the same database: its close flushes its own writer.
    const api = await createApiRuntime(s.config, silentLogger, { db: s.runtime.db });
    const agent = `close-flush/${Date.now()}`;
    const sent = await Promise.all(Array.from({ length: 3 }, () => scimClient(api.app, s.token).get('/Users?count=1').set('User-Agent', agent)));
    expect(sent.map((r) => r.status)).toEqual([200, 200, 200]);
    await api.close();
    expect(await s.runtime.deps.models.ProvisioningLog.collection.countDocuments({ tenantId: s.tenantId, userAgent: agent })).toBe(3);
  });

  const scimWith = (authorization: string | undefined) => {
    const req = s.http.get('/scim/v2/Users?count=1').set('User-Agent', 'Okta SCIM Client 1.0.0');
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };

  it('records a create and a deactivation with the object they touched, its name and what changed', async () => {
    const created = await s.scim.post('/Users', { schemas: [CORE_USER_URN], userName: 'ida@okta.example', displayName: 'Ida Lind', active: true });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await s.patchUser(id, { op: 'replace', value: { active: false } });
    const create = await entry((e) => e.method === 'POST' && e.objectId === id);
    expect(create).toMatchObject({ path: '/Users', status: 201, objectName: 'Ida Lind', change: 'create', tokenId: expect.stringMatching(/^tok_/) });
    const patch = await entry((e) => e.method === 'PATCH' && e.objectId === id);
    expect(patch).toMatchObject({ path: `/Users/${id}`, status: 200, change: 'replace active', objectName: 'Ida Lind' });
  });

  it('records a request whose path is not valid percent-encoding as sent, and a search without an object', async () => {
    const bad = await s.scim.get('/Users/%E0%A4%A');
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(await entry((e) => e.path === '/Users/%E0%A4%A')).toMatchObject({ status: bad.status, objectId: '%E0%A4%A' });
    const search = await s.scim.post('/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName eq "nobody"' });
    expect(search.status).toBe(200);
    expect(await entry((e) => e.path === '/Users/.search')).toMatchObject({ objectId: null, change: null });
  });

  it('records a 401 sent as "Bearer Bearer <token>" under the token, with the reason', async () => {
    expect((await scimWith(`Bearer Bearer ${s.token}`)).status).toBe(401);
    const refused = await entry((e) => e.reason === 'double_bearer');
    expect(refused).toMatchObject({ status: 401, method: 'GET', path: '/Users', tokenId: expect.stringMatching(/^tok_/), userAgent: 'Okta SCIM Client 1.0.0' });
    expect(refused.reasonText).toContain('paste the token only');
  });

  it('records a token sent without "Bearer", a revoked and a rotated token, each with its reason', async () => {
    expect((await scimWith(s.token)).status).toBe(401);
    await entry((e) => e.reason === 'no_bearer_prefix');

    const created = await s.admin.post('/scim-tokens', { label: 'Entra production' });
    expect(created.status).toBe(201);
    const rotated = await s.admin.post(`/scim-tokens/${created.body.tokenId}/rotate`);
    expect(rotated.status).toBe(201);
    expect((await scimWith(`Bearer ${created.body.token}`)).status).toBe(401);
    expect(await entry((e) => e.reason === 'rotated')).toMatchObject({ tokenId: created.body.tokenId, tokenLabel: 'Entra production' });

    const doomed = await s.admin.post('/scim-tokens', { label: 'Old connector' });
    expect((await s.admin.delete(`/scim-tokens/${doomed.body.tokenId}`)).status).toBe(200);
    expect((await scimWith(`Bearer ${doomed.body.token}`)).status).toBe(401);
    expect(await entry((e) => e.reason === 'revoked')).toMatchObject({ tokenId: doomed.body.tokenId, tokenLabel: 'Old connector' });
  });

  it('rotates with an overlap: the old token works until its grace period ends, then reads "rotated"', async () => {
    const created = await s.admin.post('/scim-tokens', { label: 'Okta staging' });
    const rotated = await s.admin.post(`/scim-tokens/${created.body.tokenId}/rotate`, { graceSeconds: 3600 });
    expect(rotated.status).toBe(201);
    const until = new Date(rotated.body.revoked.expiresAt as string).getTime();
    expect(until - Date.now()).toBeGreaterThan(3500_000);
    expect(rotated.body.revoked).toMatchObject({ revokedAt: null });
    expect((await scimWith(`Bearer ${created.body.token}`)).status).toBe(200);
    expect((await scimWith(`Bearer ${rotated.body.replacement.token}`)).status).toBe(200);
    expect((await s.admin.get('/audit?action=scim_token.rotated')).body.items[0]).toMatchObject({ object: { id: created.body.tokenId }, after: { replacedBy: rotated.body.replacement.tokenId } });
    expect((await s.admin.post(`/scim-tokens/${created.body.tokenId}/rotate`, { graceSeconds: 86_400 * 30 })).status).toBe(400);

    // A token whose grace period is over (set in the past here, before it was ever used) is refused as rotated.
    const other = await s.admin.post('/scim-tokens', { label: 'Okta old' });
    await s.admin.post(`/scim-tokens/${other.body.tokenId}/rotate`, { graceSeconds: 60 });
    await s.runtime.deps.models.ScimToken.collection.updateOne({ tokenId: other.body.tokenId }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await scimWith(`Bearer ${other.body.token}`)).status).toBe(401);
    expect(await entry((e) => e.reason === 'rotated' && e.tokenLabel === 'Okta old')).toMatchObject({ tokenId: other.body.tokenId });
  });

  it('filters by outcome and token, and pages by cursor without repeats', async () => {
    const unauthorized = await log('?outcome=unauthorized&limit=100');
    expect(unauthorized.items.length).toBeGreaterThanOrEqual(5);
    expect(unauthorized.items.every((e) => e.status === 401)).toBe(true);
    const all = (await log('?limit=500')).items;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Entry[]; nextCursor: string | null } = await log(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));
    const ofToken = all.find((e) => e.tokenLabel === 'Old connector')!.tokenId!;
    expect((await log(`?tokenId=${ofToken}`)).items.map((e) => e.reason)).toEqual(['revoked']);
    expect((await s.admin.get('/provisioning-log?outcome=maybe')).status).toBe(400);
  });

  it('keeps a tenant within its bounds: the newest entries, none past the retention window', async () => {
    const repo = repositoriesOf(s.runtime.deps.models).provisioningLog;
    const tenantId = 'ten_bounds';
    const base = Date.UTC(2026, 0, 1);
    const docs = logEntries(tenantId, 30, (i) => ({ _id: `plg_${String(i).padStart(2, '0')}`, at: new Date(base + i * 60_000) }));
    await repo.insertMany(docs);
    await repo.trim(tenantId, 10, new Date(base + 25 * 60_000));
    const kept = await repo.newestFirst(tenantId, {}, 100);
    expect(kept.map((d) => d._id)).toEqual(
      docs
        .slice(25)
        .reverse()
        .map((d) => d._id),
    );
    await repo.trim(tenantId, 2, new Date(base));
    expect((await repo.newestFirst(tenantId, {}, 100)).map((d) => d._id)).toEqual(['plg_29', 'plg_28']);
  });

  it('reads only the entries a trim deletes, not the ones it keeps (the embedded server counts them)', async () => {
    const repo = repositoriesOf(s.runtime.deps.models).provisioningLog;
    const tenantId = 'ten_trim_reads';
    const base = Date.now() - 3_600_000;
    const docs = logEntries(tenantId, 2_000, (i) => ({ _id: `plg_r${String(i).padStart(4, '0')}`, at: new Date(base + i * 1_000) }));
    await repo.insertMany(docs);
    const db = s.runtime.db.connection.db!;
    const read = async (): Promise<number | undefined> => {
      const stats = (await db.command({ readStats: 1 }).catch(() => null)) as { namespaces: Record<string, { documentsRead: number }> } | null;
      return stats ? (stats.namespaces[`${db.databaseName}.provisioning_log`]?.documentsRead ?? 0) : undefined;
    };
    const before = await read();
    await repo.trim(tenantId, 1_990, new Date(base - 1));
    const after = await read();
    expect((await repo.newestFirst(tenantId, {}, 5_000)).map((d) => d._id)).toEqual(
      docs
        .slice(10)
        .reverse()
        .map((d) => d._id),
    );
    // Ten entries go; before, the edge was found by skipping the 1,990 kept ones (1,991 read).
    if (before !== undefined && after !== undefined) expect(after - before).toBeLessThanOrEqual(10 + 10);
  });
});
