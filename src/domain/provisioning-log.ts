import { decodeTimeCursor, encodeTimeCursor } from './paging/time-cursor';
import { textValue } from '../attributes/text-value';
import type { Models, ProvisioningLogDoc } from '../persistence/models';
import type { ProvisioningLogCriteria } from '../persistence/provisioning-log-repository';
import { newTimeOrderedId } from '../persistence/ids';
import { repositoriesOf } from '../persistence/repositories';
import type { Logger } from '../observability/logger';
import { Batcher } from './batcher';
import type { Access } from './access/policy';

/**
 * The provisioning log (issue 21, like Entra's): every SCIM request an IdP makes with one of the
 * tenant's tokens, 401s included when the header names a token this service issued (`Bearer
 * Bearer <t>`, a bare token, a revoked or rotated one), with time, token, method, resource, the
 * object touched, status and what the request asked to change.
 *
 * Writing costs the request nothing: the entry is handed over after the response is sent, and the
 * writes are grouped (one insertMany for whatever arrives within LINGER_MS, and during the previous
 * one); the composition root flushes what is left when it closes. A
 * tenant's log is bounded: entries older than `retentionDays` go, and all but the newest
 * `maxPerTenant` (trimmed by each process every TRIM_EVERY entries of a tenant, and on its first).
 * An entry lost to a crash between response and write is lost: the log is a diagnostic, the audit
 * log is the record of changes.
 */
export interface ProvisioningLogLimits {
  /** Off only to measure what the log costs (bench/provisioning-log.ts). */
  enabled: boolean;
  retentionDays: number;
  maxPerTenant: number;
}

const TRIM_EVERY = 1000;

/**
 * How long the first entry of a batch waits for others (or until 500 are queued). Nobody waits
 * for these writes, so under an IdP's load one insert carries tens of entries instead of two or
 * three (a round trip is most of an entry's cost); an entry shows in the log up to this much later.
 */
const LINGER_MS = 50;

export type ProvisioningLogEntry = Omit<ProvisioningLogDoc, '_id'>;

export class ProvisioningLogWriter {
  private readonly batcher: Batcher<ProvisioningLogDoc, null>;
  private readonly sinceTrim = new Map<string, number>();

  constructor(
    private readonly models: Models,
    private readonly logger: Logger,
    private readonly limits: ProvisioningLogLimits,
  ) {
    this.batcher = new Batcher(
      async (entries) => {
        await repositoriesOf(models).provisioningLog.insertMany(entries);
        return entries.map(() => null);
      },
      { maxBatch: 500, lingerMs: LINGER_MS },
    );
  }

  /** Writes what is still lingering; resolves once it is written (or failed, logged). */
  flush(): Promise<void> {
    return this.batcher.drained();
  }

  record(entry: ProvisioningLogEntry): void {
    if (!this.limits.enabled) return;
    this.batcher.one({ _id: newTimeOrderedId('plg'), ...entry }).catch((err: unknown) => this.logger.warn('could not write a provisioning log entry', { err, tenantId: entry.tenantId }));
    const count = this.sinceTrim.get(entry.tenantId);
    if (count !== undefined && count < TRIM_EVERY) {
      this.sinceTrim.set(entry.tenantId, count + 1);
      return;
    }
    if (this.sinceTrim.size > 10_000) this.sinceTrim.clear();
    this.sinceTrim.set(entry.tenantId, 0);
    const olderThan = new Date(Date.now() - this.limits.retentionDays * 86_400_000);
    repositoriesOf(this.models)
      .provisioningLog.trim(entry.tenantId, this.limits.maxPerTenant, olderThan)
      .catch((err: unknown) => this.logger.warn('could not trim the provisioning log', { err, tenantId: entry.tenantId }));
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a SCIM request asked to change, in short: "create", "replace active; add members ×3", "delete". */
export function describeChange(method: string, resource: string, body: unknown): string | undefined {
  if (method === 'GET') return undefined;
  if (method === 'DELETE') return 'delete';
  if (resource === 'Bulk') return `bulk: ${Array.isArray((body as { Operations?: unknown })?.Operations) ? (body as { Operations: unknown[] }).Operations.length : 0} operations`;
  if (method === 'POST') return resource.endsWith('.search') ? undefined : 'create';
  if (method === 'PUT') return 'replace the whole resource';
  if (method !== 'PATCH' || !isObject(body) || !Array.isArray(body.Operations)) return undefined;
  const parts = body.Operations.filter(isObject).map((op) => {
    const verb = (typeof op.op === 'string' ? op.op : '?').toLowerCase();
    const value = op.value;
    const count = Array.isArray(value) ? ` ×${value.length}` : '';
    if (typeof op.path === 'string') return `${verb} ${op.path.replace(/^urn:[^ ]*:([A-Za-z]+):/, '')}${count}`;
    return `${verb} ${
      isObject(value)
        ? Object.keys(value)
            .map((k) => k.replace(/^urn:.*:/, ''))
            .join(', ')
        : '(no path)'
    }`;
  });
  const text = parts.join('; ');
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

const REASONS: Record<string, string> = {
  double_bearer: 'The header said "Bearer Bearer <token>": paste the token only (Okta adds "Bearer " itself)',
  no_bearer_prefix: 'The header carried the token without "Bearer ": the IdP must send "Authorization: Bearer <token>"',
  revoked: 'The token was revoked',
  rotated: 'The token was replaced by a rotation: give the IdP the new token',
  unknown_token: 'The token is not one this service issued',
  missing_header: 'No Authorization header',
  malformed: 'The Authorization header is not "Bearer <token>"',
};

export const PROVISIONING_LOG_OUTCOMES = ['succeeded', 'failed', 'unauthorized'] as const;
export const PROVISIONING_LOG_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const PROVISIONING_LOG_PAGE_MAX = 500;
/** The longest filter values that can match (resources, token ids and object ids are no longer). */
export const PROVISIONING_LOG_FILTER_MAX = { resource: 40, tokenId: 60, objectId: 100 } as const;

/** As the admin API's schema reads it: limits checked, `method` in upper case. */
export interface ProvisioningLogQuery {
  outcome?: (typeof PROVISIONING_LOG_OUTCOMES)[number];
  method?: (typeof PROVISIONING_LOG_METHODS)[number];
  resource?: string;
  tokenId?: string;
  objectId?: string;
  cursor?: string;
  limit: number;
}

/** GET /admin/v1/provisioning-log (admins): newest first, filtered, with names for tokens and objects. */
export async function queryProvisioningLog(models: Models, access: Access, query: ProvisioningLogQuery) {
  access.assertAdmin('read the provisioning log');
  const { limit } = query;
  const criteria: ProvisioningLogCriteria = {};
  if (query.outcome) criteria.outcome = query.outcome;
  if (query.method) criteria.method = query.method;
  if (query.resource) criteria.resource = query.resource;
  if (query.tokenId) criteria.tokenId = query.tokenId;
  if (query.objectId) criteria.objectId = query.objectId;
  if (query.cursor) criteria.after = decodeTimeCursor(query.cursor);
  const repos = repositoriesOf(models);
  const docs = await repos.provisioningLog.newestFirst(access.tenantId, criteria, limit + 1);
  const page = docs.slice(0, limit);
  const objectIds = [...new Set(page.map((d) => d.objectId).filter((id): id is string => id !== undefined))];
  const [users, groups, tokens] = await Promise.all([
    repos.users.attributesOf(access.tenantId, objectIds, ['userName', 'displayName']),
    repos.groups.attributesOf(access.tenantId, objectIds, ['displayName']),
    page.some((d) => d.tokenId) ? repos.scimTokens.listOfTenant(access.tenantId) : [],
  ]);
  const names = new Map<string, string>();
  for (const u of users) names.set(u._id, textValue(u.attrs.displayName) || textValue(u.attrs.userName) || u._id);
  for (const g of groups) names.set(g._id, textValue(g.attrs.displayName, g._id));
  const labels = new Map(tokens.map((t) => [t.tokenId, t.label ?? `token ${t.hint}…`]));
  return {
    items: page.map((d) => ({
      id: d._id,
      at: d.at.toISOString(),
      tokenId: d.tokenId ?? null,
      tokenLabel: d.tokenId ? (labels.get(d.tokenId) ?? null) : null,
      method: d.method,
      path: d.path,
      resource: d.resource,
      objectId: d.objectId ?? null,
      objectName: d.objectId ? (names.get(d.objectId) ?? null) : null,
      status: d.status,
      reason: d.reason ?? null,
      reasonText: d.reason ? (REASONS[d.reason] ?? d.reason) : null,
      change: d.change ?? null,
      userAgent: d.userAgent ?? null,
      durationMs: d.durationMs ?? null,
    })),
    nextCursor: docs.length > limit ? encodeTimeCursor(page[page.length - 1]!) : null,
  };
}
