import { AppError } from '../../errors/app-error';

/** Weak ETags from the document version (RFC 7644 §3.14). */
export const etagOf = (version: number) => `W/"${version}"`;

function tags(header: string): string[] {
  return header
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

/** Weak comparison: W/"3" and "3" name the same version. */
function sameTag(a: string, b: string): boolean {
  const strip = (t: string) => t.replace(/^W\//, '');
  return strip(a) === strip(b);
}

/** 412 unless If-Match names the current version (or is *). */
export function checkIfMatch(ifMatch: string | undefined, version: number): void {
  if (ifMatch === undefined) return;
  const current = etagOf(version);
  const list = tags(ifMatch);
  if (list.includes('*') || list.some((t) => sameTag(t, current))) return;
  throw new AppError('preconditionFailed', 'SCIM_VERSION_MISMATCH', `The resource has changed: current version is ${current}`);
}

/** True when If-None-Match names the current version: a GET answers 304. */
export function matchesIfNoneMatch(ifNoneMatch: string | undefined, version: number): boolean {
  if (ifNoneMatch === undefined) return false;
  const list = tags(ifNoneMatch);
  return list.includes('*') || list.some((t) => sameTag(t, etagOf(version)));
}
