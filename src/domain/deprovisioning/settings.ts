import type { DeprovisioningSettingsDoc, Models, TenantDoc } from '../../persistence/models';
import { Batcher } from '../batcher';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';

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
    exemptUserIds: [...(doc?.exemptUserIds ?? [])],
    exemptGroupIds: [...(doc?.exemptGroupIds ?? [])],
    lifecycle: { ...d.lifecycle, ...doc?.lifecycle },
    allowedEmailDomains: [...(doc?.allowedEmailDomains ?? [])],
  };
}

/**
 * What a SCIM create must check for the tenant (TenantDoc.uses): users the admin API created, and
 * pending invitations. Both true for a tenant without the record (from before it was kept).
 */
export interface CreateChecks {
  adminCreatedUsers: boolean;
  invitations: boolean;
}

/** The settings as read, with the breaker's state and what a SCIM create must check (read together: one round trip). */
export type SettingsRead = { settings: DeprovisioningSettings; trippedAt: Date | undefined; resetAt?: Date | undefined; createChecks: CreateChecks };

/** A reader of the tenant's settings that reads them once, and only when first asked (one request's several checks share one read). */
export type SettingsReader = () => Promise<SettingsRead>;

export function settingsReaderOf(models: Models, tenantId: string): SettingsReader {
  let read: Promise<SettingsRead> | undefined;
  return () => (read ??= readSettings(models, tenantId));
}

type StoredSettings = Pick<TenantDoc, 'deprovisioning' | 'breakerTrippedAt' | 'breakerResetAt' | 'uses'>;

const settingsReaders = new WeakMap<Models, Batcher<string, StoredSettings | null>>();

/**
 * The tenant's settings as in force. Every SCIM create and address change reads them, so the reads
 * of concurrent requests share one round trip (Batcher): a flush starts after every read it
 * answers was asked, so a caller never sees settings older than its own call (an admin's change
 * committed before it is seen). Each caller gets settings of its own (nothing shared to mutate).
 */
export async function readSettings(models: Models, tenantId: string): Promise<SettingsRead> {
  let reader = settingsReaders.get(models);
  if (!reader) {
    const tenants = repositoriesOf(models).tenants;
    reader = new Batcher(async (tenantIds) => {
      const docs = await tenants.deprovisioningOfMany([...new Set(tenantIds)]);
      return tenantIds.map((id) => docs.get(id) ?? null);
    });
    settingsReaders.set(models, reader);
  }
  const doc = await reader.one(tenantId);
  if (!doc) throw new AppError('notFound', 'TENANT_NOT_FOUND', `Tenant ${tenantId} not found`);
  const uses = doc.uses;
  const createChecks = { adminCreatedUsers: uses === undefined || uses.adminCreatedUsers === true, invitations: uses === undefined || uses.invitations === true };
  return { settings: resolveSettings(doc.deprovisioning), trippedAt: doc.breakerTrippedAt, resetAt: doc.breakerResetAt, createChecks };
}

/** The limits of the settings (the admin API's schema states them: src/admin/routes/deprovisioning.ts). */
export const DEPROVISIONING_LIMITS = { windowMinutes: 7 * 24 * 60, users: 10_000_000, purgeAfterDays: 3650, exemptUserIds: 10_000, exemptGroupIds: 1_000, allowedEmailDomains: 100 } as const;

/** An exempt user or group id. */
export const EXEMPT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * An allowed e-mail domain as sent: a domain name (labels of letters, digits and inner hyphens, a
 * top-level label of 2-63 letters), white space at the ends allowed; stored trimmed, in lower case.
 */
export const EMAIL_DOMAIN_AS_SENT = /^[\t-\r ]*(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}[\t-\r ]*$/;

/** A change of the settings, as the admin API's schema reads it: in range, ids and domains checked, lists without repeats. */
export interface DeprovisioningSettingsPatch {
  breaker?: { enabled?: boolean | undefined; windowMinutes?: number | undefined; users?: number | undefined; percentOfActive?: number | undefined } | undefined;
  exemptUserIds?: string[] | undefined;
  exemptGroupIds?: string[] | undefined;
  lifecycle?: { inactiveUsers?: 'keep' | 'purge' | undefined; purgeAfterDays?: number | undefined } | undefined;
  allowedEmailDomains?: string[] | undefined;
}

/**
 * A PATCH of the settings: the fields given replace the stored ones (lists whole), the others stay.
 * Returns what to store.
 */
export function mergeSettingsInput(stored: DeprovisioningSettingsDoc | undefined, patch: DeprovisioningSettingsPatch): DeprovisioningSettingsDoc {
  const next: DeprovisioningSettingsDoc = { ...stored };
  if (patch.breaker !== undefined) {
    const b = patch.breaker;
    const breaker = { ...next.breaker };
    if (b.enabled !== undefined) breaker.enabled = b.enabled;
    if (b.windowMinutes !== undefined) breaker.windowMinutes = b.windowMinutes;
    if (b.users !== undefined) breaker.users = b.users;
    if (b.percentOfActive !== undefined) breaker.percentOfActive = b.percentOfActive;
    next.breaker = breaker;
  }
  if (patch.exemptUserIds) next.exemptUserIds = [...patch.exemptUserIds];
  if (patch.exemptGroupIds) next.exemptGroupIds = [...patch.exemptGroupIds];
  if (patch.lifecycle !== undefined) {
    const lifecycle = { ...next.lifecycle };
    if (patch.lifecycle.inactiveUsers !== undefined) lifecycle.inactiveUsers = patch.lifecycle.inactiveUsers;
    if (patch.lifecycle.purgeAfterDays !== undefined) lifecycle.purgeAfterDays = patch.lifecycle.purgeAfterDays;
    next.lifecycle = lifecycle;
  }
  if (patch.allowedEmailDomains) next.allowedEmailDomains = [...patch.allowedEmailDomains];
  return next;
}
