import fc from 'fast-check';
import { Binary, BSON, Decimal128, Double, Int32, Long, MongoClient, ObjectId, type Collection, type Db, type Document, type Filter, type IndexDescription, type Sort } from 'mongodb';
import { mongoUriFor, openTestDatabase } from '../helpers/database';

/**
 * The test server's secondary indexes (tools/embedded-mongo: SortedIndex, QueryPlanner) never
 * change an answer: a model-based run applies the same random writes (insert, updateMany with
 * $set/$unset/$push/$pull, deleteMany, findOneAndUpdate and updateOne upserts) to a collection
 * with non-unique, compound, multikey, sparse and partial indexes and to one with none (always
 * scanned), then asks both the same random queries (equality, $in, ranges, null, array elements,
 * sorts with skip and limit, counts, aggregates). Seeded; fast-check prints the seed and path of a
 * failing run (FC_SEED=… reruns it).
 */

const SEED = Number(process.env.FC_SEED ?? 20261206);
const DATES = [0, 1, 2, 3, 4].map((i) => new Date(Date.UTC(2026, 0, 1 + i)));

const INDEXES: IndexDescription[] = [
  { key: { t: 1, k: 1, _id: 1 }, name: 't_k_id' },
  { key: { t: 1, arr: 1 }, name: 't_arr' },
  { key: { d: -1 }, name: 'd_desc' },
  { key: { t: 1, d: 1 }, name: 't_d' },
  { key: { 's.x': 1 }, name: 'sx_sparse', sparse: true },
  { key: { k: 1, d: 1 }, name: 'k_d_partial', partialFilterExpression: { t: 'b' } },
  { key: { 'items.v': 1 }, name: 'items_v' },
  // Multikey with _id after it: one term sorted by _id (people search), served in order without a sort.
  { key: { arr: 1, _id: 1 }, name: 'arr_id' },
];

const idArb = fc.integer({ min: 0, max: 24 }).map((i) => `id${String(i).padStart(2, '0')}`);
const tArb = fc.constantFrom('a', 'b');
const kArb = fc.constantFrom<unknown>(null, 0, 1, 2, 'x', 'y');
const scalarArb = fc.constantFrom<unknown>('p', 'q', 'r', 1);
const dateArb = fc.constantFrom(...DATES);

/** A document; `undefined` fields are left out (missing, not null). */
const docArb = fc.record(
  {
    _id: idArb,
    t: tArb,
    k: kArb,
    arr: fc.oneof(fc.constant([]), fc.array(scalarArb, { maxLength: 3 }), scalarArb),
    d: dateArb,
    s: fc.record({ x: fc.oneof(kArb, scalarArb) }, { requiredKeys: [] }),
    items: fc.array(fc.record({ v: scalarArb }, { requiredKeys: [] }), { maxLength: 2 }),
  },
  { requiredKeys: ['_id', 't'] },
);

const filterArb: fc.Arbitrary<Filter<Document>> = fc.oneof(
  tArb.map((t) => ({ t })),
  fc.record({ t: tArb, k: kArb }),
  fc.record({ t: tArb, k: fc.record({ $in: fc.array(kArb, { minLength: 1, maxLength: 3 }) }) }),
  fc.record({ t: tArb, arr: scalarArb }),
  scalarArb.map((v) => ({ arr: v })),
  fc.record({ d: fc.oneof(fc.record({ $lt: dateArb }), fc.record({ $gte: dateArb })) }),
  fc.record({ t: tArb, d: fc.record({ $gt: dateArb, $lte: dateArb }) }),
  // Every date (the outbox's pending count, counted from the index entries alone).
  fc.record({ t: tArb, d: fc.constant({ $gte: new Date(-8_640_000_000_000_000) }) }),
  fc.oneof(kArb, scalarArb).map((x) => ({ 's.x': x })),
  kArb.map((k) => ({ k, t: 'b' })),
  fc.record({ k: fc.record({ $gte: fc.constantFrom(0, 1) }), t: fc.constant('b') }),
  fc.record({ t: tArb, k: fc.record({ $gte: fc.constantFrom(0, 1, 'x') }) }),
  scalarArb.map((v) => ({ 'items.v': v })),
  fc.record({
    $and: fc.tuple(
      tArb.map((t) => ({ t })),
      kArb.map((k) => ({ k })),
    ),
  }),
  fc.record({ t: tArb, k: fc.record({ $ne: kArb }) }),
);

const updateArb: fc.Arbitrary<Document> = fc.oneof(
  fc.record({ $set: fc.record({ k: kArb }) }),
  fc.record({ $set: fc.record({ arr: fc.array(scalarArb, { maxLength: 3 }) }) }),
  fc.record({ $set: fc.record({ d: dateArb, t: tArb }) }),
  // Not a date: a date range matches none of these.
  fc.record({ $set: fc.record({ d: fc.constantFrom<unknown>(null, 3, '2026-01-02') }) }),
  fc.constant({ $unset: { d: '' } }),
  fc.constant({ $unset: { k: '' } }),
  fc.constant({ $unset: { 's.x': '' } }),
  fc.record({ $set: fc.record({ 's.x': scalarArb }) }),
  fc.record({ $push: fc.record({ items: fc.record({ v: scalarArb }) }) }),
  fc.record({ $pull: fc.record({ arr: scalarArb }) }),
);

type Write =
  | { kind: 'insert'; doc: Document }
  | { kind: 'updateMany'; filter: Filter<Document>; update: Document }
  | { kind: 'deleteMany'; filter: Filter<Document> }
  | { kind: 'findOneAndUpdate'; filter: Filter<Document>; update: Document }
  | { kind: 'upsert'; id: string; t: string; update: Document };

const writeArb: fc.Arbitrary<Write> = fc.oneof(
  { weight: 4, arbitrary: docArb.map((doc) => ({ kind: 'insert' as const, doc })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('updateMany' as const), filter: filterArb, update: updateArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteMany' as const), filter: filterArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('findOneAndUpdate' as const), filter: filterArb, update: updateArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('upsert' as const), id: idArb, t: tArb, update: updateArb }) },
);

/** Sorts that end with `_id` are total: their pages can be compared in order. */
const sortArb = fc.constantFrom<Sort | undefined>(
  undefined,
  { k: 1, _id: 1 },
  { _id: -1 },
  { _id: 1 },
  { d: -1, _id: 1 },
  { t: 1, k: -1, _id: -1 },
  // Sorts naming fields the filter binds by equality (the index still yields the order: a limit stops the scan).
  { t: 1, k: 1, _id: 1 },
  { k: -1, t: 1, _id: -1 },
  { t: -1, d: 1, _id: 1 },
);

interface Query {
  filter: Filter<Document>;
  sort?: Sort;
  skip: number;
  limit: number;
}

const queryArb: fc.Arbitrary<Query> = fc.record({ filter: filterArb, sort: sortArb, skip: fc.constantFrom(0, 1), limit: fc.constantFrom(0, 3) });

async function apply(collection: Collection<Document>, write: Write): Promise<string> {
  try {
    switch (write.kind) {
      case 'insert':
        await collection.insertOne({ ...write.doc });
        return 'ok';
      case 'updateMany':
        return JSON.stringify((await collection.updateMany(write.filter, write.update)).modifiedCount);
      case 'deleteMany':
        return JSON.stringify((await collection.deleteMany(write.filter)).deletedCount);
      case 'findOneAndUpdate':
        // Sorted by _id: which of several matches is changed must not depend on the plan.
        return JSON.stringify(await collection.findOneAndUpdate(write.filter, write.update, { sort: { _id: 1 }, returnDocument: 'after' }));
      case 'upsert':
        return JSON.stringify((await collection.updateOne({ _id: write.id, t: write.t } as unknown as Filter<Document>, write.update, { upsert: true })).upsertedId);
    }
  } catch (err) {
    return `error ${(err as { code?: number }).code}`;
  }
}

async function answer(collection: Collection<Document>, q: Query): Promise<unknown> {
  const total = q.sort !== undefined;
  const cursor = collection.find(q.filter, total ? { sort: q.sort, skip: q.skip, limit: q.limit } : {});
  const ids = (await cursor.toArray()).map((d) => String(d._id));
  const count = await collection.countDocuments(q.filter);
  const grouped = await collection.aggregate([{ $match: q.filter }, { $group: { _id: '$t', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray();
  // Without a total sort only the set of documents is defined.
  return { ids: total ? ids : ids.sort(), count, grouped };
}

async function planOf(db: Db, collection: string, q: Query): Promise<string> {
  const explained = await db.command({ explain: { find: collection, filter: q.filter, ...(q.sort ? { sort: q.sort } : {}) }, verbosity: 'queryPlanner' });
  return (explained.queryPlanner as { winningPlan: { stage: string } }).winningPlan.stage;
}

/** Values of every BSON type the launcher stores, for its data-size count (BsonSize). */
const typedValueArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.integer().map((n) => new Int32(n)),
    fc.double({ noNaN: true }).map((n) => new Double(n)),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => Long.fromBigInt(n)),
    fc.constantFrom('0', '1.5', '-12345678901234567890.25').map((d) => Decimal128.fromString(d)),
    fc.uint8Array({ maxLength: 5 }).map((b) => new Binary(Buffer.from(b))),
    fc.constant(null).map(() => new ObjectId()),
    fc.boolean(),
    fc.constant(null),
    dateArb,
    fc.array(tie('value'), { maxLength: 12 }),
    fc.dictionary(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }).filter((k) => !k.startsWith('$') && !k.includes('.') && !k.includes('\0')),
      tie('value'),
      { maxKeys: 3 },
    ),
  ),
})).value;

const typedWriteArb: fc.Arbitrary<Write> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ _id: idArb, t: tArb, k: kArb, v: typedValueArb }).map((doc) => ({ kind: 'insert' as const, doc })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('updateMany' as const), filter: filterArb, update: typedValueArb.map((v) => ({ $set: { v } })) }) },
  { weight: 3, arbitrary: writeArb },
);

/** The collection's documents as stored: sizes counted from their BSON types (promoteValues off keeps a double a double). */
async function storedSize(collection: Collection<Document>): Promise<number> {
  const docs = await collection.find({}, { promoteValues: false, promoteBuffers: false, promoteLongs: false }).toArray();
  return docs.reduce((sum, doc) => sum + BSON.calculateObjectSize(doc), 0);
}

describe('secondary indexes of the embedded server', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let db: Db;

  beforeAll(async () => {
    database = await openTestDatabase();
    db = database.connection.db!;
  });

  afterAll(async () => {
    await database?.close();
  });

  it('answer every query as a collection scan does, through any sequence of writes', async () => {
    let run = 0;
    let indexServed = 0;
    let queries = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(writeArb, { minLength: 5, maxLength: 40 }), fc.array(queryArb, { minLength: 5, maxLength: 12 }), async (writes, reads) => {
        run++;
        const indexed = db.collection<Document>(`indexed_${run}`);
        const plain = db.collection<Document>(`plain_${run}`);
        await indexed.createIndexes(INDEXES);
        // A read after every third write, the rest at the end: indexes must stay right after every kind of change.
        const steps: ({ w: Write } | { r: Query })[] = [];
        const pending = [...reads];
        writes.forEach((w, i) => {
          steps.push({ w });
          if (i % 3 === 2 && pending.length > 0) steps.push({ r: pending.shift()! });
        });
        steps.push(...pending.map((r) => ({ r })));
        for (const step of steps) {
          if ('w' in step) {
            expect(await apply(indexed, step.w)).toEqual(await apply(plain, step.w));
          } else {
            expect(await answer(indexed, step.r)).toEqual(await answer(plain, step.r));
            queries++;
            if ((await planOf(db, indexed.collectionName, step.r)) !== 'COLLSCAN') indexServed++;
          }
        }
        await indexed.drop();
        await plain.drop();
      }),
      { seed: SEED, numRuns: 25, endOnFailure: true },
    );
    // Not vacuous: most of the random queries were served by an index.
    expect(indexServed / queries).toBeGreaterThan(0.6);
  });

  it('keeps collStats size equal to the BSON size of the documents it holds, through inserts, updates, upserts and deletes', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(typedWriteArb, { minLength: 5, maxLength: 30 }), async (writes) => {
        run++;
        const collection = db.collection<Document>(`sized_${run}`);
        await collection.createIndexes([...INDEXES, { key: { t: 1, k: 1 }, name: 't_k_unique', unique: true, partialFilterExpression: { k: { $type: 'string' } } }]);
        for (const write of writes) {
          await apply(collection, write);
          const stats = await db.command({ collStats: collection.collectionName });
          expect(stats.size).toBe(await storedSize(collection));
        }
        await collection.drop();
      }),
      { seed: SEED, numRuns: 20, endOnFailure: true },
    );
  });

  it('serves one value of a multikey field sorted by _id from the index, in order, each document once, a limit stopping the scan', async () => {
    const people = db.collection<{ _id: string; t: string; terms: string[] }>('multikey_terms');
    await people.createIndex({ t: 1, terms: 1, _id: 1 }, { name: 't_terms_id' });
    // Repeated values in one array, and documents inserted out of _id order.
    await people.insertMany(['u5', 'u1', 'u4', 'u2', 'u3'].map((id, i) => ({ _id: id, t: 'a', terms: i % 2 ? ['x', 'x', 'y'] : ['x', 'z'] })));
    const explained = await db.command({ explain: { find: 'multikey_terms', filter: { t: 'a', terms: 'x' }, sort: { _id: 1 } }, verbosity: 'queryPlanner' });
    expect(JSON.stringify(explained.queryPlanner)).not.toContain('"SORT"');
    expect((await people.find({ t: 'a', terms: 'x' }, { sort: { _id: 1 }, limit: 3 }).toArray()).map((d) => d._id)).toEqual(['u1', 'u2', 'u3']);
    expect((await people.find({ t: 'a', terms: 'x' }, { sort: { _id: -1 } }).toArray()).map((d) => d._id)).toEqual(['u5', 'u4', 'u3', 'u2', 'u1']);
    expect((await people.find({ t: 'a', terms: 'x', _id: { $gt: 'u2' } }, { sort: { _id: 1 } }).toArray()).map((d) => d._id)).toEqual(['u3', 'u4', 'u5']);
    // Two values of the multikey field are two runs of the index: sorted in memory, as before.
    const two = await db.command({ explain: { find: 'multikey_terms', filter: { t: 'a', terms: { $in: ['x', 'y'] } }, sort: { _id: 1 } }, verbosity: 'queryPlanner' });
    expect(JSON.stringify(two.queryPlanner)).toContain('"SORT"');
  });

  it('refuses a duplicate in a unique index as MongoDB does, and keeps it refused after updates', async () => {
    const users = db.collection<Document>('unique_users');
    await users.createIndex({ tenantId: 1, name: 1 }, { unique: true, name: 'tenant_name' });
    await users.insertMany([{ _id: 'u1', tenantId: 't', name: 'ann' } as Document, { _id: 'u2', tenantId: 't', name: 'bob' } as Document]);
    await expect(users.insertOne({ _id: 'u3', tenantId: 't', name: 'ann' } as Document)).rejects.toMatchObject({ code: 11000 });
    await expect(users.updateOne({ _id: 'u2' } as unknown as Filter<Document>, { $set: { name: 'ann' } })).rejects.toMatchObject({ code: 11000 });
    await users.updateOne({ _id: 'u1' } as unknown as Filter<Document>, { $set: { name: 'cat' } });
    await users.insertOne({ _id: 'u3', tenantId: 't', name: 'ann' } as Document);
    expect(await users.countDocuments({ tenantId: 't' })).toBe(3);
    expect(await planOf(db, 'unique_users', { filter: { tenantId: 't' }, skip: 0, limit: 0 })).toBe('FETCH');
  });

  it('refuses parallel arrays in a compound index before writing anything, as MongoDB does (code 171)', async () => {
    const docs = db.collection<Document>('parallel_arrays');
    await docs.createIndex({ a: 1, b: 1 }, { name: 'a_b' });
    await docs.createIndex({ t: 1 }, { name: 't' });
    await expect(docs.insertOne({ _id: 'p1', t: 'x', a: [1, 2], b: [3] } as Document)).rejects.toMatchObject({ code: 171 });
    expect(await docs.countDocuments({})).toBe(0);
    expect(await docs.countDocuments({ t: 'x' })).toBe(0);
    await docs.insertOne({ _id: 'p2', t: 'y', a: [1, 2], b: 3 } as Document);
    await expect(docs.updateOne({ _id: 'p2' } as unknown as Filter<Document>, { $set: { b: [4, 5], t: 'z' } })).rejects.toMatchObject({ code: 171 });
    // The refused update changed nothing: not the document, not an index.
    expect(await docs.find({}).toArray()).toEqual([{ _id: 'p2', t: 'y', a: [1, 2], b: 3 }]);
    expect(await docs.countDocuments({ t: 'z' })).toBe(0);
    expect((await docs.find({ t: 'y' }).toArray()).map((d) => d._id)).toEqual(['p2']);
    expect((await docs.find({ a: 2, b: 3 }).toArray()).map((d) => d._id)).toEqual(['p2']);
  });

  it('stores a repeated key value once per index position, up to a cap, and still answers by every value', async () => {
    // A tenant's id in every entry of `{tenantId, userId}` (the 1,000,000-user heap): one string per distinct value.
    const members = db.collection<{ _id: string; tenantId: string; userId: string }>('shared_key_values');
    await members.createIndex({ tenantId: 1, userId: 1 }, { name: 'tenant_user' });
    const tenants = ['ten_a', 'ten_b', 'ten_c'];
    const users = 5000;
    for (let start = 0; start < users; start += 1000) {
      await members.insertMany(Array.from({ length: 1000 }, (_, k) => ({ _id: `m${start + k}`, tenantId: tenants[(start + k) % 3]!, userId: `usr_${start + k}` })));
    }
    // An update that changes the key stores the new entry through the pool too.
    await members.updateOne({ _id: 'm0' }, { $set: { tenantId: 'ten_d' } });
    const stats = await db.command({ indexStats: 'shared_key_values' });
    const index = (stats.indexes as { name: string; entries: number; sharedValuesPerKey: number[] }[]).find((i) => i.name === 'tenant_user');
    expect(index).toEqual({ name: 'tenant_user', entries: users, sharedValuesPerKey: [4, 4096] });
    // Values past the cap are stored as they came and found all the same.
    expect(await members.countDocuments({ tenantId: 'ten_b' })).toBe(1667); // m1, m4, …, m4999
    expect(await members.find({ tenantId: tenants[(users - 1) % 3]!, userId: `usr_${users - 1}` }).toArray()).toEqual([
      { _id: `m${users - 1}`, tenantId: tenants[(users - 1) % 3], userId: `usr_${users - 1}` },
    ]);
    expect(await planOf(db, 'shared_key_values', { filter: { tenantId: 'ten_b', userId: 'usr_4999' }, skip: 0, limit: 0 })).not.toBe('COLLSCAN');
  });

  it('creates a collection once when clients race to create it and index it (NamespaceExists for the other creates)', async () => {
    // Several clients (connection pools of their own), as several processes starting at once.
    const clients = await Promise.all([0, 1, 2].map(() => MongoClient.connect(mongoUriFor(database.dbName))));
    try {
      for (let round = 0; round < 8; round++) {
        const names = Array.from({ length: 30 }, (_, i) => `raced_${round}_${i}`);
        const outcomes = await Promise.all(
          names.flatMap((name) =>
            clients.flatMap((client) => [
              client
                .db()
                .createCollection(name)
                .then(
                  () => 'created',
                  (err: { code?: number }) => `create error ${err.code}`,
                ),
              client
                .db()
                .collection(name)
                .createIndex({ a: 1 })
                .then(
                  () => 'indexed',
                  (err: { code?: number }) => `index error ${err.code}`,
                ),
            ]),
          ),
        );
        expect(outcomes.filter((o) => !['created', 'create error 48', 'indexed'].includes(o))).toEqual([]);
        // One namespace entry each: a lost race used to list a collection twice (memory) or fail (H2).
        const listed = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((n) => n.startsWith(`raced_${round}_`));
        expect(listed.sort()).toEqual(names.sort());
      }
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });
});
