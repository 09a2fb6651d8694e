import type { StoredAttrs } from './validate';

/**
 * The attribute values a rule is written against (`department eq "Engineering"`), as the tenant's
 * "values seen" summary keeps them (src/domain/people/seen-values.ts): each string value of a
 * user's stored attributes, keyed by its stored path (`title`, `enterprise.department`,
 * `addresses.country`, `custom.costCentre`: the attribute's mongoPath without `attrs.`), except
 * the attributes that identify one person (userName, names, e-mails, ids…): those have about one
 * value per user, so a summary of them would be as large as the users collection and a
 * suggestion among them means nothing; rules on them get the "matches no one" warning instead.
 */
const NOT_SUMMARISED = new Set([
  'password',
  'schemas',
  'groups',
  'id',
  'meta',
  'x509Certificates',
  'photos',
  'userName',
  'externalId',
  'displayName',
  'nickName',
  'name',
  'emails',
  'phoneNumbers',
  'ims',
  'profileUrl',
  'employeeNumber',
  'manager',
  'entitlements',
]);

/** Longer values are not kept (no rule compares a paragraph). */
export const MAX_SEEN_VALUE = 128;
/** At most this many values per user. */
const MAX_VALUES = 50;

export interface SeenValue {
  /** The stored path (mongoPath without `attrs.`). */
  attr: string;
  /** As the IdP sent it, trimmed. */
  value: string;
}

export function seenValuesOf(attrs: StoredAttrs): SeenValue[] {
  const out = new Map<string, SeenValue>();
  const walk = (value: unknown, path: string, depth: number): void => {
    if (depth > 4 || out.size >= MAX_VALUES) return;
    if (typeof value === 'string') {
      const text = value.trim();
      if (text !== '' && text.length <= MAX_SEEN_VALUE) out.set(`${path}\u0000${text.toLowerCase()}`, { attr: path, value: text });
    } else if (Array.isArray(value)) value.forEach((v) => walk(v, path, depth + 1));
    else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
      for (const [key, v] of Object.entries(value)) if (!NOT_SUMMARISED.has(key)) walk(v, path === '' ? key : `${path}.${key}`, depth + 1);
    }
  };
  walk(attrs, '', 0);
  return [...out.values()];
}

/** Whether values of this stored path are kept in the summary. */
export function isSummarised(path: string): boolean {
  return path.split('.').every((segment) => !NOT_SUMMARISED.has(segment));
}
