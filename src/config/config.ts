/**
 * Typed configuration, read from the environment once at boot and passed in as a value.
 * Every variable is validated here; a bad one fails start-up with a message naming it.
 */
import { parseRedisUrl } from './redis-url';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type JwtAlgorithm = 'HS256' | 'RS256';

export interface Config {
  port: number;
  host: string;
  mongodbUri: string;
  redisUrl: string;
  logLevel: LogLevel;
  /** Base URL the IdP reaches us at; derives absolute `meta.location` and tenant SCIM URLs. */
  publicBaseUrl?: string;
  /** Honour X-Forwarded-Proto/Host (express 'trust proxy'). */
  trustProxy: boolean;
  adminJwt: {
    algorithm: JwtAlgorithm;
    /** HS256 shared secret, or RS256 public key (PEM) for verification. */
    verifyKey: string;
    /** HS256 secret or RS256 private key (PEM); only the CLI signs tokens. */
    signKey?: string;
    issuer: string;
    audience: string;
    /** Longest accepted token lifetime: a leaked token with `exp` years ahead must not stay good for years. */
    maxLifetimeSeconds: number;
  };
  scim: {
    /** Requests per minute per SCIM token. High by default: Entra quarantines apps it is throttled by. */
    rateLimitPerMinute: number;
    /** SCIM requests run at once per API process (0: no limit), one tenant in all but one of them; more wait, the tenant with the fewest running served first. */
    maxInFlight: number;
    /** A tenant's SCIM requests at once while another tenant made one in the last 5 s (0: all but one slot, always). */
    maxInFlightShared: number;
    /** Requests of one tenant waiting for a slot in one API process; one more is answered 429 with Retry-After: 1. */
    maxQueuedPerTenant: number;
    maxBodyBytes: number;
    bulkMaxOperations: number;
    bulkMaxPayloadBytes: number;
    maxPageSize: number;
    /** Largest string value of an attribute, and largest stored resource, in bytes. */
    maxAttributeValueBytes: number;
    maxResourceBytes: number;
  };
  queue: { prefix: string };
  /** maxJobsPerTenant: a tenant's running jobs across all workers while another tenant has work (0: no cap; src/queue/tenant-slots.ts). */
  sync: { sweepAfterSeconds: number; sweepIntervalSeconds: number; maxJobsPerTenant: number };
  /** Change events (docs/events.md): how long they are kept, how often the worker sequences waiting audit events. */
  events: { retentionDays: number; sequenceIntervalMs: number };
  /** The provisioning log (every SCIM request, src/domain/provisioning-log.ts): kept this many days, at most this many entries per tenant. */
  provisioningLog: { enabled: boolean; retentionDays: number; maxPerTenant: number };
  /** Webhook delivery (docs/events.md): private targets (tests, on-premise receivers) only when allowed; how long an event is retried. */
  webhooks: { allowPrivateTargets: boolean; retryHours: number; backoffBaseMs: number; backoffMaxMs: number; deliveryConcurrency: number };
  shutdownTimeoutMs: number;
  /** Time a client has to send a whole request (headers and body); 408 after. */
  requestTimeoutMs: number;
  /** Every request answers within this time of its arrival: 503 with Retry-After when it cannot (IdPs give up at 60 s). */
  requestDeadlineMs: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`invalid configuration: ${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback?: string): string {
  const v = env[name];
  if (v === undefined || v === '') {
    if (fallback === undefined) throw new ConfigError(name, 'is required');
    return fallback;
  }
  return v;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = (allowed as readonly string[]).find((a) => a.toLowerCase() === raw.trim().toLowerCase());
  if (!v) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return v as T;
}

function url(env: Env, name: string, protocols: string[], fallback?: string): string {
  const v = str(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(name, `is not a URL: "${v}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return v;
}

/**
 * The write concern of every write: `majority` by default (a write acknowledged to an IdP survives a
 * primary's failover), `1` or another number of members where an operator chooses speed over that.
 */
function writeConcern(env: Env, name: string): string {
  const v = str(env, name, 'majority').trim();
  if (v !== 'majority' && !/^\d{1,2}$/.test(v)) throw new ConfigError(name, `must be majority or a number of members, got "${v}"`);
  return v;
}

/**
 * A MongoDB connection string: `mongodb://` with one host or a replica set's host list
 * (`h1:27017,h2:27017,h3:27017`, which the WHATWG URL parser refuses), or `mongodb+srv://`. The
 * write concern travels in it (`w=`), so every connection of the process has it; a `w` the string
 * names itself wins.
 */
function mongoUri(env: Env, name: string, w: string): string {
  const v = str(env, name).trim();
  if (!/^mongodb(\+srv)?:\/\//.test(v)) throw new ConfigError(name, `must use mongodb: or mongodb+srv:, got "${v.split(':')[0]}:"`);
  const m = /^(mongodb(?:\+srv)?:\/\/(?:[^@/?#]*@)?[^/?#@]+)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(v);
  if (!m) throw new ConfigError(name, `is not a URL of the form mongodb://[user:password@]host[:port][,host[:port]…]/database: "${v}"`);
  const [, authority, path, query] = m;
  const params = query ? query.split('&').filter(Boolean) : [];
  if (!params.some((p) => p.split('=')[0]?.toLowerCase() === 'w')) params.push(`w=${w}`);
  return `${authority}${path || '/'}?${params.join('&')}`;
}

/** One Redis or a Redis Cluster's seed nodes (src/config/redis-url.ts). */
function redisUrl(env: Env, name: string): string {
  const v = str(env, name);
  try {
    parseRedisUrl(v);
  } catch (err) {
    throw new ConfigError(name, (err as Error).message);
  }
  return v;
}

/** PEM keys often arrive through env files with literal "\n". */
const pem = (v: string) => v.replace(/\\n/g, '\n');

export function loadConfig(env: Env = process.env): Config {
  const algorithm = oneOf(env, 'ADMIN_JWT_ALGORITHM', ['HS256', 'RS256'] as const, 'HS256');
  let verifyKey: string;
  let signKey: string | undefined;
  if (algorithm === 'HS256') {
    verifyKey = str(env, 'ADMIN_JWT_SECRET');
    if (verifyKey.length < 32) throw new ConfigError('ADMIN_JWT_SECRET', 'must be at least 32 characters');
    signKey = verifyKey;
  } else {
    verifyKey = pem(str(env, 'ADMIN_JWT_PUBLIC_KEY'));
    if (!verifyKey.includes('PUBLIC KEY')) throw new ConfigError('ADMIN_JWT_PUBLIC_KEY', 'must be a PEM public key');
    signKey = env.ADMIN_JWT_PRIVATE_KEY ? pem(env.ADMIN_JWT_PRIVATE_KEY) : undefined;
  }
  const publicBaseUrl = env.PUBLIC_BASE_URL ? url(env, 'PUBLIC_BASE_URL', ['http:', 'https:']).replace(/\/+$/, '') : undefined;
  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: str(env, 'HOST', '0.0.0.0'),
    mongodbUri: mongoUri(env, 'MONGODB_URI', writeConcern(env, 'MONGODB_WRITE_CONCERN')),
    redisUrl: redisUrl(env, 'REDIS_URL'),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    publicBaseUrl,
    trustProxy: bool(env, 'TRUST_PROXY', false),
    adminJwt: {
      algorithm,
      verifyKey,
      signKey,
      issuer: str(env, 'ADMIN_JWT_ISSUER', 'scim-sync'),
      audience: str(env, 'ADMIN_JWT_AUDIENCE', 'scim-sync-admin'),
      maxLifetimeSeconds: int(env, 'ADMIN_JWT_MAX_LIFETIME_SECONDS', 24 * 3600, 60, 366 * 24 * 3600),
    },
    scim: {
      rateLimitPerMinute: int(env, 'SCIM_RATE_LIMIT_PER_MINUTE', 12000, 1, 10_000_000),
      maxInFlight: int(env, 'SCIM_MAX_IN_FLIGHT', 8, 0, 10_000),
      maxInFlightShared: int(env, 'SCIM_MAX_IN_FLIGHT_SHARED', 1, 0, 10_000),
      maxQueuedPerTenant: int(env, 'SCIM_MAX_QUEUED_PER_TENANT', 1000, 1, 100_000),
      maxBodyBytes: int(env, 'SCIM_MAX_BODY_BYTES', 8 * 1024 * 1024, 1024, 512 * 1024 * 1024),
      bulkMaxOperations: int(env, 'SCIM_BULK_MAX_OPERATIONS', 1000, 1, 100_000),
      bulkMaxPayloadBytes: int(env, 'SCIM_BULK_MAX_PAYLOAD_BYTES', 1024 * 1024, 1024, 512 * 1024 * 1024),
      maxPageSize: int(env, 'SCIM_MAX_PAGE_SIZE', 1000, 1, 100_000),
      maxAttributeValueBytes: int(env, 'SCIM_MAX_ATTRIBUTE_VALUE_BYTES', 16 * 1024, 256, 4 * 1024 * 1024),
      maxResourceBytes: int(env, 'SCIM_MAX_RESOURCE_BYTES', 256 * 1024, 4 * 1024, 8 * 1024 * 1024),
    },
    queue: { prefix: str(env, 'QUEUE_PREFIX', 'scimsync') },
    sync: {
      sweepAfterSeconds: int(env, 'SYNC_SWEEP_AFTER_SECONDS', 60, 1, 86_400),
      sweepIntervalSeconds: int(env, 'SYNC_SWEEP_INTERVAL_SECONDS', 15, 1, 86_400),
      maxJobsPerTenant: int(env, 'SYNC_MAX_JOBS_PER_TENANT', 1, 0, 100_000),
    },
    events: {
      retentionDays: int(env, 'EVENTS_RETENTION_DAYS', 30, 1, 3650),
      sequenceIntervalMs: int(env, 'EVENTS_SEQUENCE_INTERVAL_MS', 250, 10, 60_000),
    },
    provisioningLog: {
      enabled: bool(env, 'PROVISIONING_LOG_ENABLED', true),
      retentionDays: int(env, 'PROVISIONING_LOG_RETENTION_DAYS', 30, 1, 3650),
      maxPerTenant: int(env, 'PROVISIONING_LOG_MAX_PER_TENANT', 100_000, 100, 100_000_000),
    },
    webhooks: {
      allowPrivateTargets: bool(env, 'WEBHOOKS_ALLOW_PRIVATE_TARGETS', false),
      retryHours: int(env, 'WEBHOOKS_RETRY_HOURS', 72, 0, 24 * 30),
      backoffBaseMs: int(env, 'WEBHOOKS_BACKOFF_BASE_MS', 5000, 1, 3600_000),
      backoffMaxMs: int(env, 'WEBHOOKS_BACKOFF_MAX_MS', 3600_000, 1, 24 * 3600_000),
      deliveryConcurrency: int(env, 'WEBHOOKS_DELIVERY_CONCURRENCY', 8, 1, 64),
    },
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 15000, 0, 600_000),
    requestTimeoutMs: int(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000),
    requestDeadlineMs: int(env, 'HTTP_REQUEST_DEADLINE_MS', 25_000, 100, 600_000),
  };
}
