import mongoose, { type Connection } from 'mongoose';
import { createModels, type Models } from './models';

export interface Database {
  connection: Connection;
  models: Models;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One connection per process (or per test file). No transactions are used anywhere: every write
 * that must be atomic is a single-document update, so a standalone MongoDB or the
 * embedded mongo-java-server serves.
 */
export interface ConnectOptions {
  syncIndexes?: boolean;
  monitorCommands?: boolean;
  /** The driver's timeouts (tests shorten them): see DRIVER_TIMEOUTS. */
  serverSelectionTimeoutMS?: number;
  connectTimeoutMS?: number;
  heartbeatFrequencyMS?: number;
}

/**
 * A database that stops answering must fail operations well inside the request deadline
 * (HTTP_REQUEST_DEADLINE_MS, 25 s by default), so that work does not pile up behind it: an
 * operation waits at most 5 s for a server to send it to; the monitor checks the server every 10 s
 * and gives up on a check after 10 s (the driver's default is 30 s), and then clears the pool,
 * failing the operations in flight ("interrupted due to server monitor timeout"): a frozen server
 * fails them within 20 s. No socket timeout: a long legitimate operation (an index build, a rule's
 * scan) is not cut.
 */
const DRIVER_TIMEOUTS = { serverSelectionTimeoutMS: 5000, connectTimeoutMS: 10_000, heartbeatFrequencyMS: 10_000 };

export async function connectDatabase(uri: string, opts: ConnectOptions = {}): Promise<Database> {
  const connection = mongoose.createConnection(uri, {
    // Command events (commandStarted…) on the client, for the index-coverage test's recorder.
    monitorCommands: opts.monitorCommands ?? false,
    serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? DRIVER_TIMEOUTS.serverSelectionTimeoutMS,
    connectTimeoutMS: opts.connectTimeoutMS ?? DRIVER_TIMEOUTS.connectTimeoutMS,
    heartbeatFrequencyMS: opts.heartbeatFrequencyMS ?? DRIVER_TIMEOUTS.heartbeatFrequencyMS,
    autoIndex: false,
    autoCreate: false,
  });
  await connection.asPromise();
  const models = createModels(connection);
  if (opts.syncIndexes !== false) await ensureIndexes(models);
  return {
    connection,
    models,
    async ping() {
      const db = connection.db;
      if (!db) throw new Error('not connected');
      await db.admin().command({ ping: 1 }, { timeoutMS: 2000 });
    },
    async close() {
      await connection.close();
    },
  };
}

/**
 * createIndexes is idempotent; run at start-up by the API and the worker, possibly by several
 * processes at the same moment on an empty database.
 */
export async function ensureIndexes(models: Models): Promise<void> {
  const all = (Object.keys(models) as (keyof Models)[]).map((name) => models[name]);
  const db: mongoose.mongo.Db | undefined = all[0]?.db.db;
  // Create only the missing collections (a restart finds them all; no error answers to log).
  const existing = new Set(db ? (await db.listCollections({}, { nameOnly: true }).toArray()).map((c: { name: string }) => c.name) : []);
  for (const model of all) {
    if (!existing.has(model.collection.collectionName)) {
      await model.createCollection().catch((err: unknown) => {
        if (!isConcurrentCreation(err)) throw err; // else another process created it meanwhile
      });
    }
    await createIndexesOf(model);
  }
}

/**
 * What a server answers a creation another process is making at the same moment: the collection
 * exists (NamespaceExists, 48: MongoDB, and the embedded server since its creation is atomic) or
 * the same index is being built (MongoDB).
 */
function isConcurrentCreation(err: unknown): boolean {
  const { code, codeName } = (err ?? {}) as { code?: unknown; codeName?: unknown };
  return code === 48 || codeName === 'NamespaceExists' || codeName === 'IndexBuildAlreadyInProgress';
}

/** The model's indexes; after another process's concurrent build, again (then a no-op), a few times at most. */
async function createIndexesOf(model: Models[keyof Models]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await model.createIndexes();
      return;
    } catch (err) {
      if (!isConcurrentCreation(err) || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}
