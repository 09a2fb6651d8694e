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
  if (!doc || doc.revokedAt || (doc.expiresAt && doc.expiresAt.getTime() <= now)) {
    tokenCache.delete(hash);
    throw new AppError('unauthorized', 'SCIM_AUTH_INVALID', 'The bearer token is not valid for this service');
  }
  const principal = { tenantId: doc.tenantId, tokenId: doc.tokenId };
  if (tokenCache.size > 10_000) tokenCache.clear();
  // A token in its rotation grace period is not remembered past the end of it.
  tokenCache.set(hash, { principal, until: Math.min(now + TOKEN_CACHE_MS, doc.expiresAt?.getTime() ?? Infinity) });
  return principal;
}

/** Why a SCIM request was refused at authentication, in terms an IdP admin can act on. */
export type ScimAuthFailureReason =
  /** No Authorization header at all. */
  | 'missing_header'
  /** The header is a token without the `Bearer ` scheme. */
  | 'no_bearer_prefix'
  /** `Bearer Bearer <token>`: the token was pasted with "Bearer " into a field that adds it (Okta's HTTP Header mode). */
  | 'double_bearer'
  /** A well-formed header with a token this service never issued. */
  | 'unknown_token'
  /** A token revoked by an admin. */
  | 'revoked'
  /** A token replaced by rotation (the IdP still sends the old one). */
  | 'rotated'
  /** Anything else (several words, another scheme). */
  | 'malformed';

export interface ScimAuthFailure {
  reason: ScimAuthFailureReason;
  /** The tenant and token the header names, when it carries a token this service issued. */
  tenantId?: string;
  tokenId?: string;
}

/**
 * Diagnoses a 401 after it was answered (the provisioning log records it under the tenant the
 * token names): the token is looked for however the header wraps it, so `Bearer Bearer <t>` and
 * a bare `<t>` are told apart from unknown and revoked tokens. Authentication itself stays strict.
 */
export async function diagnoseScimAuthFailure(models: Models, header: string | undefined): Promise<ScimAuthFailure> {
  const text = header?.trim();
  if (!text) return { reason: 'missing_header' };
  const double = /^Bearer\s+Bearer\s+(\S+)$/i.exec(text);
  const bearer = /^Bearer\s+(\S+)$/i.exec(text);
  const bare = /^\S+$/.test(text) ? text : undefined;
  const token = double?.[1] ?? bearer?.[1] ?? bare;
  if (!token) return { reason: 'malformed' };
  const doc = await repositoriesOf(models).scimTokens.findByHash(hashScimToken(token));
  const reason: ScimAuthFailureReason = double ? 'double_bearer' : bearer ? 'unknown_token' : 'no_bearer_prefix';
  if (!doc) return { reason: reason === 'unknown_token' ? 'unknown_token' : reason };
  const named = { tenantId: doc.tenantId, tokenId: doc.tokenId };
  if (reason === 'unknown_token') return { reason: doc.replacedBy ? 'rotated' : 'revoked', ...named };
  return { reason, ...named };
}
