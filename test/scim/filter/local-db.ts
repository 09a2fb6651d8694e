import mongoose from 'mongoose';

/** Temporary stand-in for test/helpers/database.ts while it is being written. */
export interface TestDatabase {
  connection: mongoose.Connection;
  dbName: string;
  close(): Promise<void>;
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const dbName = `filter_${process.pid}_${Date.now()}`;
  const uri = process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27117/';
  const connection = await mongoose.createConnection(uri, { dbName }).asPromise();
  return {
    connection,
    dbName,
    close: async () => {
      await connection.dropDatabase();
      await connection.close();
    },
  };
}
