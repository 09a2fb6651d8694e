import { AppError, scimError } from '../../errors/app-error';
import type { ResourceTypeName } from '../schema/types';

/**
 * Size limits of a stored SCIM resource, declared in /ServiceProviderConfig (LIMITS_EXTENSION_URN)
 * and checked before anything is written: a 5 MiB `title` is refused, not stored and then
 * failing later (the audit event, a BSON limit) with the change half-done.
 */
export interface ResourceLimits {
  /** Largest string value of any attribute, in UTF-8 bytes. */
  maxAttributeValueBytes: number;
  /** Largest resource (its stored attributes as JSON), in bytes. */
  maxResourceBytes: number;
}

export const LIMITS_EXTENSION_URN = 'urn:scim-sync:params:scim:schemas:extension:limits:2.0:ServiceProviderConfig';

/** 400 invalidValue naming the first oversized value, 413 for an oversized resource. */
export function assertWithinLimits(type: ResourceTypeName, attrs: Record<string, unknown>, limits: ResourceLimits, password?: string): void {
  const stack: [unknown, string][] = [[attrs, '']];
  if (password !== undefined) stack.push([password, 'password']);
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      const bytes = Buffer.byteLength(value, 'utf8');
      if (bytes > limits.maxAttributeValueBytes) {
        throw scimError.invalidValue(`${type} attribute ${path} is ${bytes} bytes; a value may be at most ${limits.maxAttributeValueBytes} bytes`, 'SCIM_VALUE_TOO_LARGE');
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push([v, `${path}[${i}]`]));
    } else if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
      for (const [k, v] of Object.entries(value)) stack.push([v, path ? `${path}.${k}` : k]);
    }
  }
  const size = Buffer.byteLength(JSON.stringify(attrs), 'utf8');
  if (size > limits.maxResourceBytes) {
    throw new AppError('payloadTooLarge', 'SCIM_RESOURCE_TOO_LARGE', `The ${type} would be ${size} bytes; a resource may be at most ${limits.maxResourceBytes} bytes`, { scimType: 'tooMany' });
  }
}
