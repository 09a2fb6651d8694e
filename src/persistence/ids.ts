import { randomBytes } from 'node:crypto';

/** Opaque, URL-safe, prefixed ids ('grp_…', 'usr_…'): the prefix tells an operator what an id names. */
export function newId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}
