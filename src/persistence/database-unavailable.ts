import mongoose from 'mongoose';

const UNAVAILABLE_ERRORS = [
  mongoose.mongo.MongoNetworkError,
  mongoose.mongo.MongoServerSelectionError,
  mongoose.mongo.MongoNotConnectedError,
  mongoose.mongo.MongoTopologyClosedError,
  mongoose.mongo.MongoClientClosedError,
];

/** mongoose holds operations while disconnected and gives up after bufferTimeoutMS. */
const isBufferingTimeout = (err: unknown) => err instanceof mongoose.Error && /buffering timed out/.test(err.message);

/** The database did not answer (down, unreachable, failing over), as opposed to refusing the operation. */
export function isDatabaseUnavailable(err: unknown): boolean {
  return UNAVAILABLE_ERRORS.some((type) => err instanceof type) || isBufferingTimeout(err);
}
