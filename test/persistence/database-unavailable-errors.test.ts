import mongoose from 'mongoose';
import { isDatabaseUnavailable } from '../../src/persistence/database-unavailable';
import { toAppError } from '../../src/http/infrastructure-errors';

/**
 * Which driver errors mean "the database did not answer" (503 with Retry-After) rather than a bug
 * (500): the errors are built as the driver builds them (the freeze-and-kill test meets them live).
 */
const { MongoBulkWriteError, MongoNetworkError, MongoServerError, MongoServerSelectionError } = mongoose.mongo;
const monitorTimeout = () => new MongoNetworkError('Connection to 127.0.0.1:27017 interrupted due to server monitor timeout');
/** What the driver throws when a batch of a bulk write or insertMany fails for a reason that is not the batch's. */
const bulkFailedWith = (err: Error) => new MongoBulkWriteError(err, {} as never);

describe('a database that does not answer', () => {
  it.each([
    ['a connection interrupted by the server monitor', monitorTimeout()],
    ['a bulk write interrupted by the server monitor', bulkFailedWith(monitorTimeout())],
    ['no server selected in time', new MongoServerSelectionError('Server selection timed out after 5000 ms', { type: 'Unknown', servers: new Map() } as never)],
    ['an insertMany whose batch met no server', bulkFailedWith(new MongoServerSelectionError('Server selection timed out', { type: 'Unknown', servers: new Map() } as never))],
    ['a primary stepping down', new MongoServerError({ message: 'not primary', code: 10107 })],
    ['a server shutting down', new MongoServerError({ message: 'shutdown in progress', code: 91 })],
    ['an error caused by a network failure', new Error('write failed', { cause: monitorTimeout() })],
  ])('%s answers 503 DATABASE_UNAVAILABLE with Retry-After', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
    const answer = toAppError(err);
    expect({ status: answer.status, code: answer.code, retryAfter: answer.retryAfter }).toEqual({ status: 503, code: 'DATABASE_UNAVAILABLE', retryAfter: 5 });
  });
});

describe('a database that answered no', () => {
  it.each([
    ['a duplicate key', new MongoServerError({ message: 'E11000 duplicate key error', code: 11000 })],
    ['a bulk write with a duplicate key', new MongoBulkWriteError({ message: 'E11000', code: 11000, writeErrors: [] }, {} as never)],
    ['a bad query', new MongoServerError({ message: 'unknown operator: $foo', code: 2 })],
    ['a plain bug', new TypeError('x is undefined')],
  ])('%s is not "unavailable"', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});
