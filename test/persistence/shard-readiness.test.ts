import mongoose, { Schema } from 'mongoose';
import { loadConfig } from '../../src/config/config';
import { connectDatabase } from '../../src/persistence/mongo';
import { mongoUriFor } from '../helpers/database';
import type { Models } from '../../src/persistence/models';
import { describeShape, shapesOfCommand, type QueryShape } from '../../src/persistence/query-shapes';
import { UNSHARDED_COLLECTIONS, declaredIndexesOf, isTargeted, uniqueIndexesWithoutShardKey } from '../../src/persistence/shard-layout';
import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';

/**
 * MongoDB sharded by tenant (src/persistence/shard-layout.ts): every unique index of a sharded
 * collection starts with the shard key, and every query of the hot paths names the tenant, so a
 * router sends it to one shard. The hot paths are run here and their queries recorded (driver
 * command monitoring, the shapes of src/persistence/query-shapes.ts).
 */

/** Queries sent to every shard, each with why. Keep it to background work that runs once per interval, not per request. */
const SWEEPER = 'the sweeper: once per interval per worker, across tenants by design (served on each shard by its own index)';
/** The worker's background loops learn which tenants have work (change events to sequence, webhooks to deliver): one small, index-served query per shard per round, like the sweeper's. */
const BACKGROUND = 'the worker looks for the tenants with work across all of them (docs/events.md), index-served on every shard';

const ALLOWED_SCATTER: Record<string, string> = {
  'users find {sync.pendingSince~} sort(sync.pendingSince:1)': SWEEPER,
  'groups find {sync.pendingSince~} sort(sync.pendingSince:1)': SWEEPER,
  'rules find {sync.pendingSince~} sort(sync.pendingSince:1)': SWEEPER,
  'users find {pendingAudit.at~}': SWEEPER,
  'groups find {pendingMembers.at~}': SWEEPER,
  'pending_changes find {createdAt~} sort(createdAt:1)': SWEEPER,
  'memberships find {pendingAudit.at~}': SWEEPER,
  'groups find {pendingAudit.at~}': SWEEPER,
  'users find {scimDeletedAt~}': SWEEPER,
  'audit_events distinct {unsequenced=}': BACKGROUND,
  'webhook_endpoints find {enabled= state=}': BACKGROUND,
};

function indexesOf(schema: Schema, collection: string) {
  const conn = mongoose.createConnection();
  const model = conn.model(`Synthetic${Math.random().toString(36).slice(2)}`, schema, collection);
  return declaredIndexesOf({ Synthetic: model } as unknown as Models);
}

describe('shard readiness of the models (unit)', () => {
  it('when a sharded collection has a unique index that does not start with tenantId, then it is reported', () => {
    const schema = new Schema({ tenantId: String, email: String });
    schema.index({ email: 1 }, { unique: true });
    expect(uniqueIndexesWithoutShardKey(indexesOf(schema, 'contacts'))).toEqual([{ collection: 'contacts', keys: ['email'], unique: true }]);
  });

  it('when the unique index starts with tenantId, or the collection stays unsharded, or the index is not unique, then it is fine', () => {
    const scoped = new Schema({ tenantId: String, email: String });
    scoped.index({ tenantId: 1, email: 1 }, { unique: true });
    scoped.index({ email: 1 });
    expect(uniqueIndexesWithoutShardKey(indexesOf(scoped, 'contacts'))).toEqual([]);
    const directory = new Schema({ nameLower: String });
    directory.index({ nameLower: 1 }, { unique: true });
    expect(uniqueIndexesWithoutShardKey(indexesOf(directory, 'tenants'))).toEqual([]);
  });

  it('a query is targeted when it names tenantId by equality, or every $or branch does', () => {
    const shape = (equality: string[], or?: QueryShape[]): QueryShape => ({ collection: 'users', operation: 'find', equality, range: [], residual: [], sort: [], ...(or ? { or } : {}) });
    expect(isTargeted(shape(['tenantId', '_id']))).toBe(true);
    expect(isTargeted(shape(['_id']))).toBe(false);
    expect(isTargeted(shape([], [shape(['tenantId']), shape(['tenantId', 'x'])]))).toBe(true);
    expect(isTargeted(shape([], [shape(['tenantId']), shape(['x'])]))).toBe(false);
  });
});

describe('shard readiness of the product', () => {
  let s: SyncStack;
  const recorded = new Map<string, QueryShape>();

  beforeAll(async () => {
    s = await startSyncStack({ monitorCommands: true });
    s.runtime.db.connection.getClient().on('commandStarted', (event) => {
      for (const shape of shapesOfCommand(event.command)) recorded.set(describeShape(shape), shape);
    });
  });
  afterAll(() => s?.close());

  it('every unique index of a collection sharded by tenant starts with tenantId', () => {
    const indexes = declaredIndexesOf(s.runtime.db.models);
    expect(indexes.filter((ix) => ix.unique).length).toBeGreaterThan(3);
    expect(uniqueIndexesWithoutShardKey(indexes)).toEqual([]);
    // The exceptions name real collections.
    const collections = new Set(indexes.map((ix) => ix.collection));
    for (const name of Object.keys(UNSHARDED_COLLECTIONS)) expect(collections).toContain(name);
  });

  it('every query of the provisioning, sync and admin hot paths names the tenant (one shard answers it)', async () => {
    // Okta and Entra provisioning: lookups, creates, PATCH, PUT, list pages, group pushes.
    expect((await s.scim.get(`/Users?filter=${encodeURIComponent('userName eq "ann"')}`)).status).toBe(200);
    const ann = await s.user('ann', { department: 'Sales', country: 'US' });
    const bob = await s.user('bob', { department: 'Legal' });
    await s.patchUser(bob, { op: 'replace', value: { active: false } });
    const full = (await s.scim.get(`/Users/${ann}`)).body as Record<string, unknown>;
    expect((await s.scim.put(`/Users/${ann}`, { ...full, title: 'Lead' })).status).toBe(200);
    expect((await s.scim.get(`/Users?filter=${encodeURIComponent('emails[type eq "work"].value eq "ann@example.com"')}`)).status).toBe(200);
    expect((await s.scim.get('/Users?startIndex=1&count=10')).status).toBe(200);
    expect((await s.scim.get('/Users?cursor&count=1')).status).toBe(200);
    const eng = await s.idpGroup('Eng', [ann]);
    await s.patchGroup(eng, { op: 'add', path: 'members', value: [{ value: bob }] });
    await s.patchGroup(eng, { op: 'remove', path: `members[value eq "${bob}"]` });
    expect((await s.scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "Eng"')}&excludedAttributes=members`)).status).toBe(200);
    expect((await s.scim.get(`/Groups/${eng}`)).status).toBe(200);

    // The sync: a rule, a mapping, the worker's jobs (and its start-up sweep).
    const target = await s.internalGroup('Sales team');
    await s.createRule({ name: 'Sales', expression: 'department eq "Sales"', targetGroupId: target });
    const engineers = await s.internalGroup('Engineers');
    expect((await s.admin.post('/mappings', { idpGroup: 'Eng', targetGroupId: engineers })).status).toBe(201);
    await s.settle();
    await s.worker!.sweep();

    // The vendor's application and the console: authorize, permissions, groups, audit, sync status.
    expect((await s.admin.post('/authorize', { userId: ann, action: 'view', target: 'Ticket' })).status).toBe(200);
    expect((await s.admin.get(`/users/${ann}`)).status).toBe(200);
    expect((await s.admin.get(`/users/${ann}/permissions`)).status).toBe(200);
    expect((await s.admin.get('/groups?limit=10')).status).toBe(200);
    expect((await s.admin.get(`/groups/${target}/members`)).status).toBe(200);
    expect((await s.admin.get('/audit?limit=10')).status).toBe(200);
    expect((await s.admin.get('/sync/status')).status).toBe(200);

    // Deletes.
    expect((await s.scim.delete(`/Users/${bob}`)).status).toBe(204);
    expect((await s.scim.delete(`/Groups/${eng}`)).status).toBe(204);
    await s.settle();

    const onSharded = [...recorded].filter(([, shape]) => !(shape.collection in UNSHARDED_COLLECTIONS));
    const scatter = onSharded.filter(([key, shape]) => !isTargeted(shape) && !(key in ALLOWED_SCATTER)).map(([key]) => key);
    expect(scatter).toEqual([]);
    // Every exception was seen (a stale one would hide a new query of the same shape).
    expect(Object.keys(ALLOWED_SCATTER).filter((key) => !recorded.has(key))).toEqual([]);
    // The recorder saw the hot paths (one that records nothing would pass vacuously).
    expect(onSharded.length).toBeGreaterThan(25);
    const keys = onSharded.map(([key]) => key).join('\n');
    for (const seen of ['users find', 'memberships', 'groups update', 'rules find', 'audit_events']) expect(keys).toContain(seen);
  });
});

describe('write concern and replica-set connection strings', () => {
  const env = { REDIS_URL: 'redis://r:6379', ADMIN_JWT_SECRET: 'x'.repeat(32) };

  it('when MONGODB_WRITE_CONCERN is unset, then every connection writes with majority', async () => {
    const config = loadConfig({ ...env, MONGODB_URI: mongoUriFor('shard_readiness_unused') });
    expect(config.mongodbUri).toMatch(/[?&]w=majority$/);
    const db = await connectDatabase(config.mongodbUri, { syncIndexes: false });
    try {
      expect(db.connection.getClient().options.writeConcern).toMatchObject({ w: 'majority' });
    } finally {
      await db.close();
    }
  });

  it("when the operator sets a number, or the URI names its own w, then that is used; a replica set's host list is accepted", () => {
    expect(loadConfig({ ...env, MONGODB_URI: 'mongodb://a:27017/scim', MONGODB_WRITE_CONCERN: '1' }).mongodbUri).toBe('mongodb://a:27017/scim?w=1');
    expect(loadConfig({ ...env, MONGODB_URI: 'mongodb://a:1,b:2,c:3/scim?replicaSet=rs0&w=2' }).mongodbUri).toBe('mongodb://a:1,b:2,c:3/scim?replicaSet=rs0&w=2');
    expect(() => loadConfig({ ...env, MONGODB_URI: 'mongodb://a/scim', MONGODB_WRITE_CONCERN: 'all' })).toThrow(/MONGODB_WRITE_CONCERN/);
  });
});
