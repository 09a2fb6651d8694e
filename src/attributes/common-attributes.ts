import type { AttributeDefinition } from './types';

/**
 * RFC 7643 §3.1 common attributes. They belong to every resource but to no schema document,
 * so the registry defines them here for resolution (filters, sorting, PATCH, projection).
 */

/** mongoPath given to attributes that are derived when rendering, not stored (meta.location,
 *  meta.resourceType, meta.version, meta itself): a filter on them cannot be served. */
export const DERIVED_MONGO_PATH = '';

const commonDefaults = {
  multiValued: false,
  required: false,
  caseExact: false,
  uniqueness: 'none',
} as const;

export const ID_ATTRIBUTE: AttributeDefinition = {
  ...commonDefaults,
  name: 'id',
  type: 'string',
  description: 'A unique identifier for a SCIM resource as defined by the service provider.',
  required: true,
  caseExact: true,
  mutability: 'readOnly',
  returned: 'always',
  uniqueness: 'server',
};

export const EXTERNAL_ID_ATTRIBUTE: AttributeDefinition = {
  ...commonDefaults,
  name: 'externalId',
  type: 'string',
  description: 'A String that is an identifier for the resource as defined by the provisioning client.',
  caseExact: true,
  mutability: 'readWrite',
  returned: 'default',
};

const metaSub = (name: string, type: AttributeDefinition['type'], description: string, extra: Partial<AttributeDefinition> = {}): AttributeDefinition => ({
  ...commonDefaults,
  name,
  type,
  description,
  caseExact: type !== 'dateTime',
  mutability: 'readOnly',
  returned: 'default',
  ...extra,
});

export const META_ATTRIBUTE: AttributeDefinition = {
  ...commonDefaults,
  name: 'meta',
  type: 'complex',
  description: 'A complex attribute containing resource metadata.',
  mutability: 'readOnly',
  returned: 'default',
  subAttributes: [
    metaSub('resourceType', 'string', 'The name of the resource type of the resource.'),
    metaSub('created', 'dateTime', 'The "DateTime" that the resource was added to the service provider.'),
    metaSub('lastModified', 'dateTime', 'The most recent DateTime that the details of this resource were updated.'),
    metaSub('location', 'reference', 'The URI of the resource being returned.', { referenceTypes: ['uri'] }),
    metaSub('version', 'string', 'The version of the resource being returned (its ETag).'),
  ],
};

export const COMMON_ATTRIBUTES: readonly AttributeDefinition[] = [ID_ATTRIBUTE, EXTERNAL_ID_ATTRIBUTE, META_ATTRIBUTE];

/** Where the common attributes live in a stored document (see types.ts storage convention). */
export function commonMongoPath(attribute: string, subAttribute?: string): string {
  if (attribute === 'id') return '_id';
  if (attribute === 'externalId') return 'attrs.externalId';
  if (attribute === 'meta' && subAttribute === 'created') return 'createdAt';
  if (attribute === 'meta' && subAttribute === 'lastModified') return 'updatedAt';
  return DERIVED_MONGO_PATH;
}
