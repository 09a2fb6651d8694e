import { createHash, randomBytes } from 'node:crypto';
import type { Models } from '../persistence/models';
import { newId } from '../persistence/ids';
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
  await models.ScimToken.create({
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
  const res = await models.ScimToken.updateOne({ tokenId, tenantId, revokedAt: { $exists: false } }, { $set: { revokedAt: new Date() } });
  return res.modifiedCount === 1;
}

export interface ScimPrincipal {
  tenantId: string;
  tokenId: string;
}

/** Resolves `Authorization: Bearer …` to a tenant; 401 for missing, unknown or revoked tokens alike. */
export async function authenticateScimToken(models: Models, header: string | undefined): Promise<ScimPrincipal> {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) {
    throw new AppError('unauthorized', 'SCIM_AUTH_MISSING', 'A bearer token is required (Authorization: Bearer <token>)');
  }
  const doc = await models.ScimToken.findById(hashScimToken(match[1]), { tenantId: 1, tokenId: 1, revokedAt: 1 }).lean();
  if (!doc || doc.revokedAt) {
    throw new AppError('unauthorized', 'SCIM_AUTH_INVALID', 'The bearer token is not valid for this service');
  }
  return { tenantId: doc.tenantId, tokenId: doc.tokenId };
}
