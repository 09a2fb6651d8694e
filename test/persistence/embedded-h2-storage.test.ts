import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, MongoClient, type Document } from 'mongodb';
import { storedDocuments } from '../fixtures/embedded-h2/documents';

/**
 * The embedded server's H2 file (what `npm start` runs; the other tests use the memory backend):
 * documents are stored as BSON (tools/embedded-mongo: BsonDocumentType, DocumentStore) and read
 * back exactly after a restart, and a file written before, with Java serialization, is copied
 * once into the BSON format and then opened as it is.
 */

const root = join(__dirname, '..', '..');

/** The launcher jar scripts/services.sh built for this checkout (the jest global setup runs it). */
function launcherJar(): string {
  const dir = process.env.SCIM_TOOLS_DIR ?? join(root, '.tools');
  const jars = readdirSync(dir)
    .filter((f) => /^embedded-mongo-[0-9a-f]+\.jar$/.test(f))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!jars[0]) throw new Error(`no embedded-mongo jar in ${dir}: run bash scripts/services.sh install`);
  return jars[0];
}

interface Launcher {
  uri: string;
  log(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

async function startLauncher(dir: string, file: string): Promise<Launcher> {
  const portFile = join(dir, `port-${Date.now()}`);
  const child = spawn('java', ['-XX:+UseSerialGC', '-Xmx256m', '-jar', launcherJar(), '--backend', 'h2', '--file', file, '--port', '0', '--port-file', portFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 50_000;
  while (!existsSync(portFile)) {
    if (child.exitCode !== null) throw new Error(`the launcher exited during start-up: ${output}`);
    if (Date.now() > deadline) throw new Error(`the launcher did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const port = readFileSync(portFile, 'utf8').trim();
  return {
    uri: `mongodb://127.0.0.1:${port}/fixture`,
    log: () => output,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      running.delete(child);
    },
  };
}

async function readAll(uri: string): Promise<{ users: Document[]; audit_events: Document[]; byIndex: Document[] }> {
  const client = await MongoClient.connect(uri, { promoteValues: false });
  try {
    const db = client.db();
    const users = await db.collection('users').find().sort({ _id: 1 }).toArray();
    const audit_events = await db.collection('audit_events').find().sort({ _id: 1 }).toArray();
    const byIndex = await db.collection('users').find({ tenantId: storedDocuments().users[0]!.tenantId, userName: 'user7@example.com' }).toArray();
    return { users, audit_events, byIndex };
  } finally {
    await client.close();
  }
}

/** Canonical Extended JSON: every value with its BSON type (an int32 read back as a double differs). */
function asStored(docs: Document[]): Document[] {
  return docs.map((d) => BSON.EJSON.serialize(d, { relaxed: false }));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'embedded-h2-'));
});
afterEach(async () => {
  // A failed expectation must not leave a JVM behind (jest would wait for it).
  for (const child of running) {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  running.clear();
  rmSync(dir, { recursive: true, force: true });
});

describe('the embedded server on its H2 file', () => {
  it('reads back every BSON type the models store, exactly, after a restart', async () => {
    const file = join(dir, 'scim.mv.db');
    const expected = storedDocuments();
    let server = await startLauncher(dir, file);
    const client = await MongoClient.connect(server.uri);
    await client.db().collection('users').createIndex({ tenantId: 1, userName: 1 }, { name: 'tenant_userName' });
    await client.db().collection('users').insertMany(expected.users);
    await client.db().collection('audit_events').insertMany(expected.audit_events);
    await client.close();
    await server.stop();

    server = await startLauncher(dir, file);
    const read = await readAll(server.uri);
    await server.stop();
    expect(asStored(read.users)).toEqual(asStored(expected.users));
    expect(asStored(read.audit_events)).toEqual(asStored(expected.audit_events));
    expect(read.byIndex.map((u) => u.userName as string)).toEqual(['user7@example.com']);
    expect(server.log()).not.toContain('Java serialization');
  });

  it('keeps the data size (collStats size) equal to the BSON size of the documents, through writes and a restart', async () => {
    const file = join(dir, 'scim.mv.db');
    const expected = storedDocuments();
    const sizeOf = (docs: Document[]) => docs.reduce((sum, d) => sum + BSON.calculateObjectSize(d), 0);
    const check = async (uri: string) => {
      const client = await MongoClient.connect(uri, { promoteValues: false, promoteBuffers: false, promoteLongs: false });
      try {
        const users = client.db().collection('users');
        const stats = await client.db().command({ collStats: 'users' });
        expect(stats.size).toBe(sizeOf(await users.find().toArray()));
        return stats.size as number;
      } finally {
        await client.close();
      }
    };
    let server = await startLauncher(dir, file);
    const client = await MongoClient.connect(server.uri);
    const users = client.db().collection('users');
    await users.createIndex({ tenantId: 1, userName: 1 }, { name: 'tenant_userName' });
    await users.insertMany(expected.users);
    // An update that grows a document, one that changes no index key, a delete, and an upsert.
    await users.updateOne({ _id: expected.users[0]!._id }, { $set: { displayName: 'Ünïcödé 🎉'.repeat(20) } });
    await users.updateMany({}, { $set: { 'sync.version': 2 } });
    await users.deleteOne({ _id: expected.users[1]!._id });
    await users.updateOne({ _id: 'usr_upserted' } as Document, { $set: { tenantId: 'ten_x', userName: 'new@example.com' } }, { upsert: true });
    await client.close();
    const before = await check(server.uri);
    await server.stop();

    server = await startLauncher(dir, file);
    expect(await check(server.uri)).toBe(before);
    await server.stop();
  });

  it('copies a file written with Java serialization once into BSON storage, with every document and index', async () => {
    const file = join(dir, 'scim.mv.db');
    copyFileSync(join(root, 'test/fixtures/embedded-h2/java-serialized.mv.db'), file);
    const expected = storedDocuments();

    let server = await startLauncher(dir, file);
    const first = await readAll(server.uri);
    const client = await MongoClient.connect(server.uri);
    await client
      .db()
      .collection('audit_events')
      .insertOne({ action: 'after the copy', at: new Date(0) });
    await client.close();
    await server.stop();
    expect(server.log()).toMatch(/stores documents with Java serialization .*copying it once/);
    expect(server.log()).toMatch(/copied \d+ documents into BSON storage/);
    expect(asStored(first.users)).toEqual(asStored(expected.users));
    expect(asStored(first.audit_events)).toEqual(asStored(expected.audit_events));
    expect(first.byIndex.map((u) => u.userName as string)).toEqual(['user7@example.com']);

    server = await startLauncher(dir, file);
    const second = await readAll(server.uri);
    await server.stop();
    expect(server.log()).not.toContain('Java serialization');
    expect(asStored(second.users)).toEqual(asStored(expected.users));
    expect(second.audit_events.map((e) => e.action as string)).toEqual([...expected.audit_events.map((e) => e.action as string), 'after the copy']);
    expect(existsSync(`${file}.bson-copy`)).toBe(false);
  });
});

describe("the H2 file's _id index (DataMapIdIndex: the collection's own map answers it)", () => {
  it('refuses a second document with an _id, finds by _id and $in, and frees an _id when its document goes, before and after a restart', async () => {
    const file = join(dir, 'scim.mv.db');
    let server = await startLauncher(dir, file);
    let client = await MongoClient.connect(server.uri);
    let events = client.db().collection<{ _id: string; n: number }>('audit_events');
    await events.insertMany([
      { _id: 'evt_a', n: 1 },
      { _id: 'evt_b', n: 2 },
      { _id: 'evt_c', n: 3 },
    ]);
    await expect(events.insertOne({ _id: 'evt_b', n: 20 })).rejects.toMatchObject({ code: 11000 });
    // An unordered batch keeps the others and names the duplicate (the app's idempotent inserts rely on it).
    const batch = await events
      .insertMany(
        [
          { _id: 'evt_d', n: 4 },
          { _id: 'evt_a', n: 10 },
          { _id: 'evt_e', n: 5 },
        ],
        { ordered: false },
      )
      .catch((err: unknown) => err);
    expect(batch).toMatchObject({ code: 11000, writeErrors: [expect.objectContaining({ index: 1 })] });
    expect(await events.findOne({ _id: 'evt_c' })).toEqual({ _id: 'evt_c', n: 3 });
    expect((await events.find({ _id: { $in: ['evt_e', 'evt_x', 'evt_a'] } }).toArray()).map((e) => e._id).sort()).toEqual(['evt_a', 'evt_e']);
    await events.deleteOne({ _id: 'evt_c' });
    expect(await events.findOne({ _id: 'evt_c' })).toBeNull();
    await events.insertOne({ _id: 'evt_c', n: 30 });
    await events.updateOne({ _id: 'evt_d' }, { $set: { n: 40 } });
    await client.close();
    await server.stop();

    server = await startLauncher(dir, file);
    client = await MongoClient.connect(server.uri);
    try {
      events = client.db().collection<{ _id: string; n: number }>('audit_events');
      await expect(events.insertOne({ _id: 'evt_c', n: 300 })).rejects.toMatchObject({ code: 11000 });
      expect(await events.find().sort({ _id: 1 }).toArray()).toEqual([
        { _id: 'evt_a', n: 1 },
        { _id: 'evt_b', n: 2 },
        { _id: 'evt_c', n: 30 },
        { _id: 'evt_d', n: 40 },
        { _id: 'evt_e', n: 5 },
      ]);
      expect(await events.countDocuments()).toBe(5);
      // listDatabases answers from the open database: the library's own answer opened it again,
      // building a second copy of its indexes while it was written ("Chunk … not found" at 700,000 users).
      for (let i = 0; i < 2; i++) expect((await client.db().admin().listDatabases()).databases).toContainEqual(expect.objectContaining({ name: 'fixture', empty: false }));
      expect(server.log().match(/opened database fixture:/g)).toHaveLength(1);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});

describe("the embedded server's read counters (readStats)", () => {
  it('counts queries, collection scans and the documents each read, per collection and per query shape', async () => {
    const server = await startLauncher(dir, join(dir, 'scim.mv.db'));
    const client = await MongoClient.connect(server.uri);
    try {
      const users = client.db().collection('users');
      await users.createIndex({ tenantId: 1, userName: 1 }, { name: 'tenant_userName' });
      await users.insertMany(storedDocuments().users);
      const before = (await client.db().command({ readStats: 1 })) as { namespaces: Record<string, { queries: number; scans: number; documentsRead: number }> };
      // Indexed: one candidate. Scanned (no index on displayName): every one of the 50 documents.
      expect(await users.find({ tenantId: storedDocuments().users[0]!.tenantId, userName: 'user3@example.com' }).toArray()).toHaveLength(1);
      expect(await users.find({ displayName: 'Plain 4' }).toArray()).toHaveLength(1);
      const after = (await client.db().command({ readStats: 1, reset: true })) as {
        namespaces: Record<string, { queries: number; scans: number; documentsRead: number }>;
        shapes: Record<string, { queries: number; scans: number; documentsRead: number }>;
      };
      const was = before.namespaces['fixture.users'] ?? { queries: 0, scans: 0, documentsRead: 0 };
      const now = after.namespaces['fixture.users']!;
      expect({ queries: now.queries - was.queries, scans: now.scans - was.scans, documentsRead: now.documentsRead - was.documentsRead }).toEqual({
        queries: 2,
        scans: 1,
        documentsRead: 51,
      });
      expect(after.shapes['fixture.users [tenantId, userName] tenant_userName']).toMatchObject({ queries: 1, scans: 0 });
      expect(after.shapes['fixture.users [displayName] COLLSCAN']).toMatchObject({ queries: 1, scans: 1, documentsRead: 50 });
      const reset = (await client.db().command({ readStats: 1 })) as { namespaces: Record<string, unknown> };
      expect(reset.namespaces['fixture.users']).toBeUndefined();
    } finally {
      await client.close();
      await server.stop();
    }
  });
});
