import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { createModels } from '../../src/persistence/models';
import { startApiProcess, type ApiProcess } from '../helpers/api-process';
import { freshDatabaseName, mongoUriFor } from '../helpers/database';
import { TEST_JWT_SECRET } from '../helpers/stack';

/**
 * Processes started together on an empty database (replicas of a fresh deployment, or the API and
 * the worker) all create the collections and indexes at start-up: every one must start, and the
 * database must end with each collection once and every declared index.
 */
describe('start-up of several processes at once on an empty database', () => {
  const dbName = freshDatabaseName();
  let apis: ApiProcess[] = [];

  afterAll(async () => {
    await Promise.all(apis.map((a) => a.close()));
    const connection = await mongoose.createConnection(mongoUriFor(dbName)).asPromise();
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
  });

  it('four API processes start, and the collections and indexes exist once', async () => {
    const env = {
      MONGODB_URI: mongoUriFor(dbName),
      REDIS_URL: process.env.REDIS_URL,
      ADMIN_JWT_SECRET: TEST_JWT_SECRET,
      QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'error',
      // Every process past its module loading before any connects: their start-ups overlap.
      SCIM_TEST_START_AT: String(Date.now() + 8000),
    };
    const started = await Promise.allSettled([0, 1, 2, 3].map(() => startApiProcess(env)));
    apis = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    expect(started.filter((s) => s.status === 'rejected').map((s) => String(s.reason))).toEqual([]);

    const connection = await mongoose.createConnection(mongoUriFor(dbName)).asPromise();
    try {
      const names = (await connection.db!.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
      expect(names).toEqual([...new Set(names)]);
      expect(names).toEqual(expect.arrayContaining(['users', 'groups', 'memberships', 'role_assignments', 'audit_events']));
      const membershipIndexes = (await connection.db!.collection('memberships').listIndexes().toArray()).map((i) => i.name as string).sort();
      // Each declared index once (a duplicate or a missing one would show here).
      const declared = createModels(connection)
        .Membership.schema.indexes()
        .map(([keys]) =>
          Object.entries(keys)
            .map(([k, v]) => `${k}_${v}`)
            .join('_'),
        );
      expect(membershipIndexes).toEqual(['_id_', ...declared].sort());
    } finally {
      await connection.close();
    }
  });
});
