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
 * that must be atomic is a single-document update, so a standalone MongoDB or FerretDB serves.
 */
export async function connectDatabase(uri: string, opts: { syncIndexes?: boolean; serverSelectionTimeoutMS?: number; monitorCommands?: boolean } = {}): Promise<Database> {
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? 5000,
    autoIndex: false,
    autoCreate: false,
    monitorCommands: opts.monitorCommands ?? false,
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
      await db.admin().command({ ping: 1 }, { timeoutMS: 2000 } as never);
    },
    async close() {
      await connection.close();
    },
  };
}

/** createIndexes is idempotent; run at start-up by the API and the worker. */
export async function ensureIndexes(models: Models): Promise<void> {
  for (const model of Object.values(models)) {
    await model.createCollection().catch((err: { codeName?: string }) => {
      if (err.codeName !== 'NamespaceExists') throw err;
    });
    await model.createIndexes();
  }
}
