import type { Models, UserDoc } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError, scimError } from '../../errors/app-error';
import type { Logger } from '../../observability/logger';
import { auditEvent, writeAuditEvent, type AuditActor } from '../audit';
import { userSummary, type UserSummary } from '../groups/user-identity';
import { readSettings, type SettingsReader } from './settings';
import { Batcher, perTenant } from '../batcher';

/** The domains of a SCIM user's addresses: every e-mail value, and userName when it is an address. */
function domainsOf(attrs: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v !== 'string') return;
    const at = v.lastIndexOf('@');
    if (at > 0 && at < v.length - 1)
      out.add(
        v
          .slice(at + 1)
          .trim()
          .toLowerCase(),
      );
  };
  add(attrs.userName);
  if (Array.isArray(attrs.emails)) for (const e of attrs.emails) add(e && typeof e === 'object' ? (e as Record<string, unknown>).value : undefined);
  return out;
}

/**
 * Safe linking: with allowed e-mail domains set for the tenant, a SCIM create or update giving an
 * address outside them is refused (400 invalidValue naming the domain) and logged. An update is
 * judged on the domains it adds only: a user already outside them can still be deactivated, and an
 * update adding no domain (most: a deactivation, a department) reads no settings at all.
 * `read`: the request's settings reader, when it has one (its checks share one read).
 */
export async function assertAllowedEmailDomains(
  models: Models,
  logger: Logger,
  tenantId: string,
  attrs: Record<string, unknown>,
  requestId: string | undefined,
  previous?: Record<string, unknown>,
  read: SettingsReader = () => readSettings(models, tenantId),
): Promise<void> {
  const before = previous ? domainsOf(previous) : new Set<string>();
  const added = [...domainsOf(attrs)].filter((d) => !before.has(d));
  if (added.length === 0) return;
  const { settings } = await read();
  if (settings.allowedEmailDomains.length === 0) return;
  const outside = added.filter((d) => !settings.allowedEmailDomains.includes(d));
  if (outside.length === 0) return;
  logger.warn('scim user refused: e-mail domain not allowed', { tenantId, domains: outside, userName: attrs.userName, ...(requestId !== undefined ? { requestId } : {}) });
  throw scimError.invalidValue(`The e-mail domain "${outside[0]}" is not allowed for this tenant (allowed: ${settings.allowedEmailDomains.join(', ')})`, 'SCIM_EMAIL_DOMAIN_NOT_ALLOWED');
}

interface CreateKey {
  tenantId: string;
  /** Lower-cased, as `lc` holds them. */
  userName: string;
  emails: readonly string[];
}

const adminCreatedReaders = new WeakMap<Models, Batcher<CreateKey, UserDoc | null>>();

/**
 * The admin-API-created user a SCIM create would collide with: the one with its userName, else one
 * holding one of its addresses (the lowest id, so the answer does not depend on read order).
 * Every SCIM create asks, so concurrent creates share two reads per tenant (Batcher: a flush starts
 * after every question it answers, so no create is judged on a read older than itself).
 */
function adminCreatedMatchOf(models: Models, key: CreateKey): Promise<UserDoc | null> {
  let reader = adminCreatedReaders.get(models);
  if (!reader) {
    const users = repositoriesOf(models).users;
    reader = new Batcher(
      perTenant(async (tenantId, keys: CreateKey[]) => {
        const candidates = await users.findAdminCreatedAmong(tenantId, [...new Set(keys.map((k) => k.userName))], [...new Set(keys.flatMap((k) => k.emails))]);
        return keys.map((k) => {
          const byName = candidates.find((u) => u.lc.userName === k.userName);
          if (byName) return byName;
          const byEmail = candidates.filter((u) => (u.lc.emails ?? []).some((e) => k.emails.includes(e)));
          return byEmail.reduce<UserDoc | null>((lowest, u) => (lowest === null || u._id < lowest._id ? u : lowest), null);
        });
      }),
    );
    adminCreatedReaders.set(models, reader);
  }
  return reader.one(key);
}

/**
 * A SCIM create whose userName or an e-mail matches a user the admin API created: refused with 409
 * uniqueness naming that user, unless an admin linked it; the linked user is returned, for the IdP
 * to adopt it.
 */
export async function refuseUnlinkedAdminUser(models: Models, tenantId: string, lc: Pick<UserDoc['lc'], 'userName' | 'emails'>): Promise<UserDoc | null> {
  const match = await adminCreatedMatchOf(models, { tenantId, userName: lc.userName, emails: lc.emails ?? [] });
  if (!match) return null;
  if (match.createdVia === 'linked') return match;
  const by = match.lc.userName === lc.userName ? `userName "${String(match.attrs.userName)}"` : 'e-mail address';
  throw scimError.uniqueness(
    `The ${by} matches user ${match._id}, which was created through the admin API; an admin links them with POST /admin/v1/users/${match._id}/link (or the console) before the IdP can take it over`,
    'SCIM_USER_NOT_LINKED',
  );
}

/**
 * An admin links an admin-API-created user to the IdP: the IdP's next create of a matching user
 * adopts this one (same id, memberships and grants), after which the IdP owns it. Idempotent.
 */
export async function linkUserToIdp(models: Models, ctx: { tenantId: string; actor: AuditActor; requestId?: string }, userId: string): Promise<UserSummary & { linked: true }> {
  const users = repositoriesOf(models).users;
  const user = await users.find(ctx.tenantId, userId);
  if (!user) throw new AppError('notFound', 'USER_NOT_FOUND', `User ${userId} not found`);
  if (user.createdVia === undefined) throw new AppError('conflict', 'USER_ALREADY_IDP_OWNED', `User ${userId} was provisioned by the IdP: there is nothing to link`);
  if (user.createdVia === 'admin') {
    await users.setCreatedVia(ctx.tenantId, userId, 'linked');
    await writeAuditEvent(
      models,
      auditEvent({
        tenantId: ctx.tenantId,
        actor: ctx.actor,
        action: 'user.linked',
        object: { type: 'User', id: userId },
        after: { linked: true },
        ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
      }),
    );
  }
  return { ...userSummary(user), linked: true };
}
