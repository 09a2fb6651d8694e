import mongoose from 'mongoose';

/** The driver's errors for a server it cannot reach or that stopped answering. */
const UNAVAILABLE_ERRORS = [
  // Includes the pool's PoolClearedOnNetworkError ("interrupted due to server monitor timeout") and MongoNetworkTimeoutError.
  mongoose.mongo.MongoNetworkError,
  mongoose.mongo.MongoServerSelectionError,
  mongoose.mongo.MongoNotConnectedError,
  mongoose.mongo.MongoTopologyClosedError,
  mongoose.mongo.MongoClientClosedError,
  mongoose.mongo.MongoServerClosedError,
  mongoose.mongo.MongoStalePrimaryError,
  mongoose.mongo.MongoOperationTimeoutError,
  mongoose.Error.MongooseServerSelectionError,
];

/** Not exported by the driver: a connection could not be checked out of the pool in time. */
const UNAVAILABLE_ERROR_NAMES = new Set(['MongoWaitQueueTimeoutError']);

/**
 * Server answers that mean "not now" rather than "no": a primary stepping down or shutting down,
 * a replica set without a primary, a time limit hit (MongoDB's error codes).
 */
const UNAVAILABLE_SERVER_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** mongoose holds operations while disconnected and gives up after bufferTimeoutMS. */
const isBufferingTimeout = (err: unknown) => err instanceof mongoose.Error && /buffering timed out/.test(err.message);

function isUnavailableItself(err: unknown): boolean {
  if (UNAVAILABLE_ERRORS.some((type) => err instanceof type) || isBufferingTimeout(err)) return true;
  if (!(err instanceof mongoose.mongo.MongoError)) return false;
  return UNAVAILABLE_ERROR_NAMES.has(err.name) || (err instanceof mongoose.mongo.MongoServerError && UNAVAILABLE_SERVER_CODES.has(Number(err.code)));
}

/**
 * The errors that carry another: a bulk write or insertMany that failed on the network is a
 * MongoBulkWriteError holding the network error in `errorResponse`; wrappers keep it in `cause`.
 */
function wrappedErrorsOf(err: unknown): unknown[] {
  if (typeof err !== 'object' || err === null) return [];
  const { cause, errorResponse } = err as { cause?: unknown; errorResponse?: unknown };
  return [cause, errorResponse].filter((e): e is Error => e instanceof Error);
}

/**
 * The database did not answer (down, unreachable, frozen, failing over), as opposed to refusing the
 * operation: the one place that says which driver errors mean it, wrapped ones included.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (isUnavailableItself(err)) return true;
  return depth < 4 && wrappedErrorsOf(err).some((inner) => isDatabaseUnavailable(inner, depth + 1));
}
