import type { Models, ScimRequestRecord, ScimTokenDoc } from '../persistence/models';
import { repositoriesOf } from '../persistence/repositories';
import { issueScimToken, revokeScimToken } from '../auth/scim-token';
import { recordAudit, type AuditActor } from './audit';
import { AppError } from '../errors/app-error';

/** A SCIM token as the admin API shows it: never the token itself, which is shown once at issue. */
export interface ScimTokenView {
  tokenId: string;
  hint: string;
  label: string | null;
  createdAt: Date;
  revokedAt: Date | null;
  /** A token rotated with a grace period: it works until then. */
  expiresAt: Date | null;
  lastRequest: ScimRequestRecord | null;
}

export interface ScimTokenActorContext {
  tenantId: string;
  actor: AuditActor;
  requestId?: string;
}

const view = (doc: ScimTokenDoc): ScimTokenView => ({
  tokenId: doc.tokenId,
  hint: doc.hint,
  label: doc.label ?? null,
  createdAt: doc.createdAt,
  revokedAt: doc.revokedAt ?? null,
  expiresAt: doc.expiresAt ?? null,
  lastRequest: doc.lastRequest ?? null,
});

/** Whether the token no longer authenticates (revoked, or past its rotation grace period). */
const ended = (doc: ScimTokenDoc, now = Date.now()) => Boolean(doc.revokedAt) || (doc.expiresAt !== undefined && doc.expiresAt.getTime() <= now);

/** Longest grace period of a rotation: a week (an IdP's admin has time to paste the new token). */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 86_400;

/** What a token's label may hold (checked by the admin API's schema, src/admin/routes/scim-tokens.ts). */
export const SCIM_TOKEN_LABEL = /^[\t-\r ]*[A-Za-z0-9_ .,:()@#/-]{1,100}[\t-\r ]*$/;

/** The tenant's tokens, live ones first, newest first. */
export async function listScimTokens(models: Models, tenantId: string): Promise<ScimTokenView[]> {
  const docs = await repositoriesOf(models).scimTokens.listOfTenant(tenantId);
  return docs.sort((a, b) => Number(ended(a)) - Number(ended(b)) || b.createdAt.getTime() - a.createdAt.getTime()).map(view);
}

async function findToken(models: Models, tenantId: string, tokenId: string): Promise<ScimTokenDoc> {
  const doc = await repositoriesOf(models).scimTokens.findOfTenant(tenantId, tokenId);
  if (!doc) throw new AppError('notFound', 'SCIM_TOKEN_NOT_FOUND', `No SCIM token ${tokenId}`);
  return doc;
}

export async function createScimToken(models: Models, ctx: ScimTokenActorContext, label: string | null | undefined): Promise<ScimTokenView & { token: string }> {
  return issueAudited(models, ctx, label ?? undefined);
}

async function issueAudited(models: Models, ctx: ScimTokenActorContext, label: string | undefined): Promise<ScimTokenView & { token: string }> {
  const issued = await issueScimToken(models, ctx.tenantId, label);
  const doc = await findToken(models, ctx.tenantId, issued.tokenId);
  await recordAudit(models, { ...ctx, action: 'scim_token.created', object: { type: 'ScimToken', id: issued.tokenId }, after: { label: label ?? null, hint: doc.hint } });
  return { ...view(doc), token: issued.token };
}

export async function revokeTenantScimToken(models: Models, ctx: ScimTokenActorContext, tokenId: string): Promise<ScimTokenView> {
  await findToken(models, ctx.tenantId, tokenId);
  if (await revokeScimToken(models, ctx.tenantId, tokenId)) {
    await recordAudit(models, { ...ctx, action: 'scim_token.revoked', object: { type: 'ScimToken', id: tokenId } });
  }
  return view(await findToken(models, ctx.tenantId, tokenId));
}

/**
 * A replacement with the same label, and the old token revoked at once: rotation is for a token
 * that may have leaked, so the IdP must be given the new one before its next cycle.
 */
export async function rotateScimToken(
  models: Models,
  ctx: ScimTokenActorContext,
  tokenId: string,
  graceInput = 0,
): Promise<{ replacement: ScimTokenView & { token: string }; revoked: ScimTokenView }> {
  if (!Number.isInteger(graceInput) || graceInput < 0 || graceInput > MAX_ROTATION_GRACE_SECONDS) {
    throw new AppError('badRequest', 'SCIM_TOKEN_GRACE_INVALID', `graceSeconds is a whole number of seconds from 0 to ${MAX_ROTATION_GRACE_SECONDS}`, { details: { field: 'graceSeconds' } });
  }
  const old = await findToken(models, ctx.tenantId, tokenId);
  if (ended(old)) throw new AppError('conflict', 'SCIM_TOKEN_REVOKED', `SCIM token ${tokenId} is revoked already; create a new one instead`);
  const replacement = await issueAudited(models, ctx, old.label);
  const tokens = repositoriesOf(models).scimTokens;
  if (graceInput === 0) {
    const revoked = await revokeTenantScimToken(models, ctx, tokenId);
    await tokens.markReplaced(ctx.tenantId, tokenId, replacement.tokenId);
    return { replacement, revoked: { ...revoked } };
  }
  // An overlap: the old token keeps working until expiresAt, so the IdP can be switched without a failed cycle.
  const expiresAt = new Date(Date.now() + graceInput * 1000);
  await tokens.markReplaced(ctx.tenantId, tokenId, replacement.tokenId, expiresAt);
  await recordAudit(models, { ...ctx, action: 'scim_token.rotated', object: { type: 'ScimToken', id: tokenId }, after: { replacedBy: replacement.tokenId, expiresAt } });
  return { replacement, revoked: view(await findToken(models, ctx.tenantId, tokenId)) };
}
