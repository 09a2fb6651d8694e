import type { DeprovisioningSettingsDoc, Models } from '../../persistence/models';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';
import { invalid, readBody, type Body } from '../groups/input';

/**
 * A tenant's deprovisioning safeguards and user lifecycle (docs/deprovisioning.md), as in force:
 * every field filled in, the defaults where the tenant set nothing.
 */
export interface DeprovisioningSettings {
  breaker: {
    enabled: boolean;
    /** The sliding window, in minutes. */
    windowMinutes: number;
    /** The breaker trips when the deprovisions in the window exceed BOTH this many users… */
    users: number;
    /** …and this percentage of the tenant's active users. */
    percentOfActive: number;
  };
  /** Users and groups (whose members) the breaker never holds. */
  exemptUserIds: string[];
  exemptGroupIds: string[];
  lifecycle: { inactiveUsers: 'keep' | 'purge'; purgeAfterDays: number };
  /** Lower-cased e-mail domains a SCIM user's addresses must be in; empty = any. */
  allowedEmailDomains: string[];
}

/**
 * The defaults and why (docs/deprovisioning.md): Entra's incremental cycle runs every 20–40
 * minutes, so 60 minutes holds one whole cycle of a mistaken unassignment; 25 users keeps a small
 * tenant's ordinary offboarding (a team leaving) from tripping it, and 10% of the active users
 * scales the floor for large tenants, where a few dozen leavers an hour is normal.
 */
export const DEFAULT_DEPROVISIONING: DeprovisioningSettings = {
  breaker: { enabled: true, windowMinutes: 60, users: 25, percentOfActive: 10 },
  exemptUserIds: [],
  exemptGroupIds: [],
  lifecycle: { inactiveUsers: 'keep', purgeAfterDays: 90 },
  allowedEmailDomains: [],
};

export function resolveSettings(doc: DeprovisioningSettingsDoc | undefined): DeprovisioningSettings {
  const d = DEFAULT_DEPROVISIONING;
  return {
    breaker: { ...d.breaker, ...doc?.breaker },
    exemptUserIds: doc?.exemptUserIds ?? [],
    exemptGroupIds: doc?.exemptGroupIds ?? [],
    lifecycle: { ...d.lifecycle, ...doc?.lifecycle },
    allowedEmailDomains: doc?.allowedEmailDomains ?? [],
  };
}

/** The settings as read, with the breaker's state. */
export type SettingsRead = { settings: DeprovisioningSettings; trippedAt: Date | undefined; resetAt?: Date | undefined };

/** A reader of the tenant's settings that reads them once, and only when first asked (one request's several checks share one read). */
export type SettingsReader = () => Promise<SettingsRead>;

export function settingsReaderOf(models: Models, tenantId: string): SettingsReader {
  let read: Promise<SettingsRead> | undefined;
  return () => (read ??= readSettings(models, tenantId));
}

export async function readSettings(models: Models, tenantId: string): Promise<SettingsRead> {
  const doc = await repositoriesOf(models).tenants.deprovisioningOf(tenantId);
  if (!doc) throw new AppError('notFound', 'TENANT_NOT_FOUND', `Tenant ${tenantId} not found`);
  return { settings: resolveSettings(doc.deprovisioning), trippedAt: doc.breakerTrippedAt, resetAt: doc.breakerResetAt };
}

function integer(body: Body, field: string, min: number, max: number): number | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(field, `"${field}" must be an integer from ${min} to ${max}`);
  return v;
}

function strings(body: Body, field: string, max: number, check: (s: string) => string): string[] | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > max || v.some((x) => typeof x !== 'string')) throw invalid(field, `"${field}" must be a list of at most ${max} strings`);
  return [...new Set((v as string[]).map(check))];
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * A PATCH of the settings: the fields given replace the stored ones (lists whole), the others stay.
 * Returns what to store.
 */
export function mergeSettingsInput(stored: DeprovisioningSettingsDoc | undefined, input: unknown): DeprovisioningSettingsDoc {
  const body = readBody(input, ['breaker', 'exemptUserIds', 'exemptGroupIds', 'lifecycle', 'allowedEmailDomains']);
  const next: DeprovisioningSettingsDoc = { ...stored };
  if (body.breaker !== undefined) {
    const b = readBody(body.breaker, ['enabled', 'windowMinutes', 'users', 'percentOfActive']);
    if (b.enabled !== undefined && typeof b.enabled !== 'boolean') throw invalid('breaker.enabled', '"breaker.enabled" must be a boolean');
    const breaker = { ...next.breaker };
    if (b.enabled !== undefined) breaker.enabled = b.enabled;
    const windowMinutes = integer(b, 'windowMinutes', 1, 7 * 24 * 60);
    const users = integer(b, 'users', 0, 10_000_000);
    const percentOfActive = integer(b, 'percentOfActive', 0, 100);
    if (windowMinutes !== undefined) breaker.windowMinutes = windowMinutes;
    if (users !== undefined) breaker.users = users;
    if (percentOfActive !== undefined) breaker.percentOfActive = percentOfActive;
    next.breaker = breaker;
  }
  const id = (s: string) => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(s)) throw invalid('id', `"${s}" is not an id`);
    return s;
  };
  const exemptUserIds = strings(body, 'exemptUserIds', 10_000, id);
  const exemptGroupIds = strings(body, 'exemptGroupIds', 1_000, id);
  if (exemptUserIds) next.exemptUserIds = exemptUserIds;
  if (exemptGroupIds) next.exemptGroupIds = exemptGroupIds;
  if (body.lifecycle !== undefined) {
    const l = readBody(body.lifecycle, ['inactiveUsers', 'purgeAfterDays']);
    const lifecycle = { ...next.lifecycle };
    if (l.inactiveUsers !== undefined) {
      if (l.inactiveUsers !== 'keep' && l.inactiveUsers !== 'purge') throw invalid('lifecycle.inactiveUsers', '"lifecycle.inactiveUsers" must be "keep" or "purge"');
      lifecycle.inactiveUsers = l.inactiveUsers;
    }
    const days = integer(l, 'purgeAfterDays', 1, 3650);
    if (days !== undefined) lifecycle.purgeAfterDays = days;
    next.lifecycle = lifecycle;
  }
  const domains = strings(body, 'allowedEmailDomains', 100, (s) => {
    const d = s.trim().toLowerCase();
    if (!DOMAIN.test(d)) throw invalid('allowedEmailDomains', `"${s}" is not a domain name`);
    return d;
  });
  if (domains) next.allowedEmailDomains = domains;
  return next;
}
