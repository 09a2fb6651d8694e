import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { connectDatabase, type Database } from '../../src/persistence/mongo';

/** A database name no other test file uses. */
export function freshDatabaseName(): string {
  return `test_${randomBytes(6).toString('hex')}`;
}

export function mongoUriFor(dbName: string): string {
  const base = process.env.MONGODB_URI;
  if (!base) throw new Error('MONGODB_URI is not set: the jest global setup starts the services');
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  return url.toString();
}

/** A fresh database on the test MongoDB-compatible server; close() drops it. */
export async function openTestDatabase(): Promise<{ connection: mongoose.Connection; dbName: string; close(): Promise<void> }> {
  const dbName = freshDatabaseName();
  const connection = mongoose.createConnection(mongoUriFor(dbName));
  await connection.asPromise();
  return {
    connection,
    dbName,
    async close() {
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
    },
  };
}

/** The app's own Database (models and indexes) on a fresh database. */
export async function openAppDatabase(opts: { monitorCommands?: boolean } = {}): Promise<Database & { dbName: string; drop(): Promise<void> }> {
  const dbName = freshDatabaseName();
  const db = await connectDatabase(mongoUriFor(dbName), opts);
  return {
    ...db,
    dbName,
    async drop() {
      await db.connection.dropDatabase().catch(() => undefined);
      await db.close();
    },
  };
}
