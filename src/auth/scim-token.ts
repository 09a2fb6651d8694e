import { createHash, randomBytes } from 'node:crypto';
import type { Models } from '../persistence/models';
import { newId } from '../persistence/ids';
import { repositoriesOf } from '../persistence/repositories';
import { AppError } from '../errors/app-error';

/** Bearer tokens are 256 random bits; a plain SHA-256 is enough to store them (no dictionary to attack). */
export function hashScimToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface IssuedScimToken {
  tokenId: string;
  /** Shown once; never stored. */
  token: string;
}

export async function issueScimToken(models: Models, tenantId: string, label?: string): Promise<IssuedScimToken> {
  const token = `scim_${randomBytes(32).toString('base64url')}`;
  const tokenId = newId('tok');
  await repositoriesOf(models).scimTokens.insert({
    _id: hashScimToken(token),
    tokenId,
    tenantId,
    hint: token.slice(0, 9),
    label,
    createdAt: new Date(),
  });
  return { tokenId, token };
}

export async function revokeScimToken(models: Models, tenantId: string, tokenId: string): Promise<boolean> {
  const revoked = await repositoriesOf(models).scimTokens.revoke(tenantId, tokenId, new Date());
  for (const [hash, entry] of tokenCache) if (entry.principal.tokenId === tokenId) tokenCache.delete(hash);
  return revoked;
}

export interface ScimPrincipal {
  tenantId: string;
  tokenId: string;
}

/** Resolves `Authorization: Bearer …` to a tenant; 401 for missing, unknown or revoked tokens alike. */
/**
 * Valid tokens are remembered for a few seconds per process: a SCIM burst (Entra sends ~1,000
 * requests a minute) then costs no database round trip for authentication. Revocation through
 * this process takes effect at once; through another process (the CLI, another replica) within
 * TOKEN_CACHE_MS. Unknown and revoked tokens are never cached.
 */
export const TOKEN_CACHE_MS = 5000;
const tokenCache = new Map<string, { principal: ScimPrincipal; until: number }>();

/** Resolves `Authorization: Bearer …` to a tenant; 401 for missing, unknown or revoked tokens alike. */
export async function authenticateScimToken(models: Models, header: string | undefined): Promise<ScimPrincipal> {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) {
    throw new AppError('unauthorized', 'SCIM_AUTH_MISSING', 'A bearer token is required (Authorization: Bearer <token>)');
  }
  const hash = hashScimToken(match[1]);
  const now = Date.now();
  const cached = tokenCache.get(hash);
  if (cached && cached.until > now) return cached.principal;
  const doc = await repositoriesOf(models).scimTokens.findByHash(hash);
  if (!doc || doc.revokedAt) {
    tokenCache.delete(hash);
    throw new AppError('unauthorized', 'SCIM_AUTH_INVALID', 'The bearer token is not valid for this service');
  }
  const principal = { tenantId: doc.tenantId, tokenId: doc.tokenId };
  if (tokenCache.size > 10_000) tokenCache.clear();
  tokenCache.set(hash, { principal, until: now + TOKEN_CACHE_MS });
  return principal;
}
