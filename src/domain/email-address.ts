/**
 * A loose e-mail check, the one the admin API's schemas state (src/admin/contract/schema-kit.ts) and
 * the CSV member import applies to its rows: one @, something on both sides, a dot in the domain, no
 * white space or control characters (C0, DEL, C1), at most 254 characters. Not RFC 5322.
 */
// eslint-disable-next-line no-control-regex -- control characters (C0, DEL, C1) are what it refuses
export const EMAIL = /^[^\s@\u0000-\u001f\u007f-\u009f]+@[^\s@\u0000-\u001f\u007f-\u009f]+\.[^\s@\u0000-\u001f\u007f-\u009f]+$/;
export const EMAIL_MAX = 254;

export function isEmail(text: string): boolean {
  return text.length <= EMAIL_MAX && EMAIL.test(text);
}
