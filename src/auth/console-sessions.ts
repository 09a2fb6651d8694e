import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Models } from '../persistence/models';
import { newId } from '../persistence/ids';
import { repositoriesOf } from '../persistence/repositories';
import { AppError } from '../errors/app-error';
import { recordAudit } from '../domain/audit';

/**
 * Sign-in to the operator console: the CLI (or `npm start`) issues a one-time link for a tenant;
 * following it once opens a session named by an HttpOnly cookie. Links and session ids are 256
 * random bits stored only as SHA-256 hashes (as SCIM tokens are), so a database dump signs no one in.
 */
export const CONSOLE_LINK_TTL_SECONDS = 10 * 60;
/** A working day: long enough not to interrupt an operator, short enough that a forgotten tab expires. */
export const CONSOLE_SESSION_TTL_SECONDS = 8 * 60 * 60;
export const CONSOLE_SIGN_IN_PATH = '/console/sign-in';

const hash = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');
const randomSecret = () => randomBytes(32).toString('base64url');

export interface ConsoleLink {
  url: string;
  expiresAt: Date;
}

/** Pages a link may open (POST /admin/v1/console-links `landing`). */
export const CONSOLE_LANDINGS = ['connect', 'rules', 'sync', 'groups', 'people', 'log', 'audit'] as const;

export async function issueConsoleLink(models: Models, tenantId: string, baseUrl: string, ttlSeconds = CONSOLE_LINK_TTL_SECONDS, landing?: (typeof CONSOLE_LANDINGS)[number]): Promise<ConsoleLink> {
  const repos = repositoriesOf(models);
  if (!(await repos.tenants.exists(tenantId))) throw new AppError('notFound', 'TENANT_NOT_FOUND', `No tenant ${tenantId}`);
  const code = randomSecret();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  await repos.consoleSessions.insertLink({ _id: hash(code), tenantId, createdAt: now, expiresAt, ...(landing ? { landing } : {}) });
  return { url: `${baseUrl}${CONSOLE_SIGN_IN_PATH}?code=${code}`, expiresAt };
}

export interface ConsoleSession {
  /** The stored _id (a hash of the cookie value, not the value). */
  key: string;
  sessionId: string;
  tenantId: string;
  csrfToken: string;
  expiresAt: Date;
}

export interface StartedConsoleSession extends ConsoleSession {
  /** The cookie value; never stored. */
  secret: string;
  /** The page the link asked to open. */
  landing?: string;
}

/** Follows a link: marks it used (atomically, so two clicks make one session) and opens a session. */
export async function redeemConsoleLink(models: Models, code: string, now = new Date()): Promise<StartedConsoleSession> {
  const { consoleSessions } = repositoriesOf(models);
  const link = await consoleSessions.redeemLink(hash(code), now);
  if (!link) throw new AppError('unauthorized', 'CONSOLE_LINK_INVALID', 'This sign-in link is unknown, expired or used already');
  const secret = randomSecret();
  const session: ConsoleSession = {
    key: hash(secret),
    sessionId: newId('csn'),
    tenantId: link.tenantId,
    csrfToken: randomSecret(),
    expiresAt: new Date(now.getTime() + CONSOLE_SESSION_TTL_SECONDS * 1000),
  };
  const { key, ...stored } = session;
  await consoleSessions.insertSession({ _id: key, ...stored, createdAt: now });
  await recordAudit(models, {
    tenantId: link.tenantId,
    actor: { type: 'cli', id: 'console-link' },
    action: 'console.session.started',
    object: { type: 'ConsoleSession', id: session.sessionId },
    after: { expiresAt: session.expiresAt },
  });
  return { ...session, secret, ...(link.landing ? { landing: link.landing } : {}) };
}

/** The live session a cookie names; 401 when it is unknown, ended or expired. */
export async function findConsoleSession(models: Models, secret: string, now = new Date()): Promise<ConsoleSession> {
  const key = hash(secret);
  const doc = await repositoriesOf(models).consoleSessions.findSession(key);
  if (!doc || doc.endedAt || doc.expiresAt.getTime() <= now.getTime()) {
    throw new AppError('unauthorized', 'CONSOLE_SESSION_INVALID', 'The console session has ended or expired; sign in again with a new link');
  }
  return { key, sessionId: doc.sessionId, tenantId: doc.tenantId, csrfToken: doc.csrfToken, expiresAt: doc.expiresAt };
}

export async function endConsoleSession(models: Models, session: ConsoleSession, requestId?: string): Promise<void> {
  await repositoriesOf(models).consoleSessions.endSession(session.key, new Date());
  await recordAudit(models, {
    tenantId: session.tenantId,
    actor: { type: 'admin', id: session.sessionId },
    action: 'console.session.ended',
    object: { type: 'ConsoleSession', id: session.sessionId },
    ...(requestId !== undefined ? { requestId } : {}),
  });
}

/** Constant-time comparison of the X-CSRF-Token header with the session's token. */
export function csrfTokenMatches(session: ConsoleSession, sent: string | undefined): boolean {
  if (!sent) return false;
  const a = Buffer.from(sent, 'utf8');
  const b = Buffer.from(session.csrfToken, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
