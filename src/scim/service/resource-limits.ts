import { AppError, scimError } from '../../errors/app-error';
import type { ResourceTypeName } from '../../attributes/types';

/**
 * Size limits of a stored SCIM resource, declared in /Schemas (LIMITS_SCHEMA_URN: a schema whose
 * attribute definitions state the values in force) and checked before anything is written: a 5 MiB `title` is refused, not stored and then
 * failing later (the audit event, a BSON limit) with the change half-done.
 */
export interface ResourceLimits {
  /** Largest string value of any attribute, in UTF-8 bytes. */
  maxAttributeValueBytes: number;
  /** Largest resource (its stored attributes as JSON), in bytes. */
  maxResourceBytes: number;
}

/**
 * Not an extension of /ServiceProviderConfig: strict SCIM clients (scim2-tester's models among them)
 * refuse unknown keys there and then cannot discover the server at all.
 */
export const LIMITS_SCHEMA_URN = 'urn:scim-sync:params:scim:schemas:limits:2.0:Limits';

/** The schema document /Schemas serves for the limits in force (RFC 7643 §7 attribute definitions). */
export function limitsSchema(limits: ResourceLimits): Record<string, unknown> {
  const attribute = (name: string, description: string) => ({
    name,
    type: 'integer',
    multiValued: false,
    description,
    required: true,
    caseExact: false,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'none',
  });
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id: LIMITS_SCHEMA_URN,
    name: 'Limits',
    description: `Size limits this server enforces on Users and Groups before anything is written: string values of at most ${limits.maxAttributeValueBytes} bytes (400 invalidValue), resources of at most ${limits.maxResourceBytes} bytes (413).`,
    attributes: [
      attribute('maxAttributeValueBytes', `Largest string value of any attribute, in UTF-8 bytes: ${limits.maxAttributeValueBytes}. A larger one is refused with 400 invalidValue.`),
      attribute('maxResourceBytes', `Largest resource (its attributes as JSON), in bytes: ${limits.maxResourceBytes}. A larger one is refused with 413.`),
    ],
  };
}

/** 400 invalidValue naming the first oversized value, 413 for an oversized resource. */
export function assertWithinLimits(type: ResourceTypeName, attrs: Record<string, unknown>, limits: ResourceLimits): void {
  const stack: [unknown, string][] = [[attrs, '']];
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
