import { randomBytes, randomFillSync } from 'node:crypto';

/** Opaque, URL-safe, prefixed ids ('grp_…', 'usr_…'): the prefix tells an operator what an id names. */
export function newId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/** base64url's 64 characters in ASCII order, so that a string comparison orders the time part. */
const ORDERED_ALPHABET = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const TIME_CHARS = 8; // 48 bits of milliseconds: until the year 10889
const TIME_BYTES = 6;

/**
 * Random bytes for time-ordered ids, drawn from the CSPRNG 4 KiB at a time (as Node's randomUUID
 * does): one call per id was 2% of the API's CPU time in an Okta import.
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function pooledRandom(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += bytes;
  return pool.toString('base64url', start, poolOffset);
}

/**
 * An id like newId's (same prefix, length and characters) whose first 8 characters are the time
 * in milliseconds, so ids made later sort after earlier ones, and the rest random (bytes - 6 of
 * them). For documents written in volume (users, audit events, log entries): a new document then
 * goes at the end of its collection's `_id` index instead of at a random place. MongoDB's B-tree
 * keeps its right edge in cache; the embedded server's H2 file rewrites the pages a write touched,
 * every document in them. Not for ids that are secrets (tokens, sessions, invitations): the time
 * part is guessable, the random part shorter.
 */
export function newTimeOrderedId(prefix: string, bytes = 12, now = Date.now()): string {
  if (bytes < TIME_BYTES + 6) throw new Error(`a time-ordered id needs at least ${TIME_BYTES + 6} bytes`);
  let time = '';
  let rest = Math.floor(now);
  for (let i = 0; i < TIME_CHARS; i++) {
    time = ORDERED_ALPHABET[rest % 64]! + time;
    rest = Math.floor(rest / 64);
  }
  return `${prefix}_${time}${pooledRandom(bytes - TIME_BYTES)}`;
}
