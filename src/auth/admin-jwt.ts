import jwt from 'jsonwebtoken';
import type { Config } from '../config/config';
import { AppError } from '../errors/app-error';

export type OrgRole = 'admin' | 'member' | 'customer-admin' | 'customer';
export const ORG_ROLES: readonly OrgRole[] = ['admin', 'member', 'customer-admin', 'customer'];

/**
 * Who a token speaks for: a user of the tenant (`sub` is their user id), or an operator (the CLI,
 * a provisioning script): no user, always role admin, marked by the claim `kind: "operator"`.
 */
export type PrincipalKind = 'user' | 'operator';

export interface AdminPrincipal {
  /** The calling user's id (`sub`); for an operator, its label. */
  userId: string;
  tenantId: string;
  role: OrgRole;
  kind: PrincipalKind;
}

const OPERATOR_CLAIM = 'operator';

/** Signs an admin API token; used by the CLI and tests. Needs the signing key in configuration. */
export function signAdminToken(cfg: Config['adminJwt'], claims: { sub: string; tenant: string; role: OrgRole; kind?: PrincipalKind }, expiresInSeconds = 3600): string {
  if (expiresInSeconds > cfg.maxLifetimeSeconds) throw new Error(`a token may live at most ${cfg.maxLifetimeSeconds} s (ADMIN_JWT_MAX_LIFETIME_SECONDS)`);
  if (!cfg.signKey) throw new Error('no admin JWT signing key configured (ADMIN_JWT_SECRET or ADMIN_JWT_PRIVATE_KEY)');
  if (claims.kind === 'operator' && claims.role !== 'admin') throw new Error('operator tokens carry the role admin');
  return jwt.sign({ tenant: claims.tenant, role: claims.role, ...(claims.kind === 'operator' ? { kind: OPERATOR_CLAIM } : {}) }, cfg.signKey, {
    algorithm: cfg.algorithm,
    subject: claims.sub,
    issuer: cfg.issuer,
    audience: cfg.audience,
    expiresIn: expiresInSeconds,
  });
}

/**
 * RFC 7515 §4.1.11: a recipient must reject a token whose `crit` header names an extension it does
 * not understand. This service understands none, so any `crit` is refused.
 */
function assertNoCriticalExtensions(header: jwt.JwtHeader): void {
  if ((header as unknown as Record<string, unknown>).crit !== undefined) {
    throw new AppError('unauthorized', 'ADMIN_AUTH_INVALID', 'The token is not valid: it names critical header extensions (crit) this service does not understand');
  }
}

/** Verifies with the algorithm pinned by configuration (never the token's own `alg`), issuer, audience and a required expiry. */
export function verifyAdminToken(cfg: Config['adminJwt'], header: string | undefined): AdminPrincipal {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) throw new AppError('unauthorized', 'ADMIN_AUTH_MISSING', 'A bearer token is required');
  let verified: jwt.Jwt;
  try {
    // complete: the header comes back with the payload, parsed once.
    verified = jwt.verify(match[1], cfg.verifyKey, {
      algorithms: [cfg.algorithm],
      issuer: cfg.issuer,
      audience: cfg.audience,
      complete: true,
    });
  } catch (err) {
    throw new AppError('unauthorized', 'ADMIN_AUTH_INVALID', `The token is not valid: ${(err as Error).message}`);
  }
  assertNoCriticalExtensions(verified.header);
  const payload = verified.payload;
  if (typeof payload === 'string' || typeof payload.exp !== 'number') {
    throw new AppError('unauthorized', 'ADMIN_AUTH_NO_EXPIRY', 'The token must carry an expiry (exp)');
  }
  // Lifetime from issue (or from now, for tokens without iat): exp years ahead is refused.
  const now = Math.floor(Date.now() / 1000);
  const lifetime = payload.exp - Math.min(now, typeof payload.iat === 'number' ? payload.iat : now);
  if (lifetime > cfg.maxLifetimeSeconds) {
    throw new AppError('unauthorized', 'ADMIN_AUTH_LIFETIME', `The token's lifetime (exp - iat) may be at most ${cfg.maxLifetimeSeconds} s`);
  }
  const { sub, tenant, role, kind } = payload as jwt.JwtPayload & { tenant?: unknown; role?: unknown; kind?: unknown };
  if (typeof sub !== 'string' || typeof tenant !== 'string' || !ORG_ROLES.includes(role as OrgRole)) {
    throw new AppError('unauthorized', 'ADMIN_AUTH_CLAIMS', `The token needs the claims sub, tenant and role (${ORG_ROLES.join(', ')})`);
  }
  if (kind !== undefined && (kind !== OPERATOR_CLAIM || role !== 'admin')) {
    throw new AppError('unauthorized', 'ADMIN_AUTH_CLAIMS', 'The claim kind, when present, is "operator", and operator tokens carry the role admin');
  }
  return { userId: sub, tenantId: tenant, role: role as OrgRole, kind: kind === OPERATOR_CLAIM ? 'operator' : 'user' };
}
