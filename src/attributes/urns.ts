/** Schema and message URNs used across the SCIM layer (RFC 7643 §8.7, RFC 7644 §3). */

export const CORE_USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** Our vendor extension: attributes that access rules and dynamic groups match on. */
export const CUSTOM_USER_URN = 'urn:scim-sync:params:scim:schemas:extension:custom:2.0:User';

export const SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
export const RESOURCE_TYPE_URN = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SERVICE_PROVIDER_CONFIG_URN = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';

/**
 * Schema URIs that IdPs put in `schemas` although no attribute of theirs belongs to them.
 * Entra's Create Group request lists Microsoft's ADSCIM schema next to the core Group URN
 * (entra-docs use-scim-to-provision-users-and-groups.md, "Create Group"); rejecting it would
 * break group provisioning, so these are accepted and ignored. Compared case-insensitively.
 */
export const IGNORED_FOREIGN_SCHEMA_URIS: readonly string[] = [
  'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group',
  'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User',
];
