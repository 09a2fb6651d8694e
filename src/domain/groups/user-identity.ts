import { textValue } from '../../attributes/text-value';
import type { UserDoc } from '../../persistence/models';
import type { UserAudience } from '../../persistence/users-repository';

/**
 * What the access model reads from a SCIM user: whether they are internal or a customer (the custom
 * extension's `audience`, stored at attrs.custom.audience; missing means internal), their e-mail
 * addresses, and whether they are active (`active=false` removes derived access, DESIGN.md §2).
 */
export type Audience = UserAudience;

export function audienceOf(user: Pick<UserDoc, 'attrs'>): Audience {
  const custom = user.attrs.custom;
  const value = custom && typeof custom === 'object' ? (custom as Record<string, unknown>).audience : undefined;
  return typeof value === 'string' && value.toLowerCase() === 'customer' ? 'customer' : 'user';
}

/** A group's audience as stored (internal groups carry one; missing or IdP groups read as internal users). */
export function groupAudienceOf(group: object): Audience {
  return (group as { audience?: unknown }).audience === 'customer' ? 'customer' : 'user';
}

/**
 * The customer's workspace (custom extension `workspace`, caseExact false), lower-cased; null when
 * none. Customer admins manage the customers of their own workspace only (product doc 000).
 */
export function workspaceOf(user: Pick<UserDoc, 'attrs'>): string | null {
  const custom = user.attrs.custom;
  const value = custom && typeof custom === 'object' ? (custom as Record<string, unknown>).workspace : undefined;
  return typeof value === 'string' && value.trim() !== '' ? value.trim().toLowerCase() : null;
}

export function isActive(user: Pick<UserDoc, 'attrs'>): boolean {
  return user.attrs.active !== false;
}

/** Lower-cased e-mail addresses (the `lc.emails` shadow, or attrs.emails when the shadow is missing). */
export function emailsOf(user: Pick<UserDoc, 'attrs' | 'lc'>): string[] {
  if (Array.isArray(user.lc?.emails)) return user.lc.emails.filter((e): e is string => typeof e === 'string');
  const emails = user.attrs.emails;
  if (!Array.isArray(emails)) return [];
  return emails
    .map((e) => (e && typeof e === 'object' ? (e as Record<string, unknown>).value : undefined))
    .filter((v): v is string => typeof v === 'string')
    .map((v) => v.toLowerCase());
}

/** Summary of a user for admin listings. */
export interface UserSummary {
  id: string;
  userName: string;
  displayName?: string;
  emails: string[];
  audience: Audience;
  active: boolean;
}

export function userSummary(user: Pick<UserDoc, '_id' | 'attrs' | 'lc'>): UserSummary {
  const displayName = typeof user.attrs.displayName === 'string' ? user.attrs.displayName : undefined;
  return {
    id: user._id,
    userName: textValue(user.attrs.userName),
    ...(displayName !== undefined ? { displayName } : {}),
    emails: emailsOf(user),
    audience: audienceOf(user),
    active: isActive(user),
  };
}
