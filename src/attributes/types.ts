/**
 * Shapes shared by the schema registry, the filter compiler, the PATCH engine and persistence.
 *
 * Storage convention (see src/persistence): a stored resource keeps its SCIM attributes under
 * `attrs`, in SCIM shape, except that each extension's attributes live under
 * `attrs.<storageKey>` (e.g. `attrs.enterprise`) instead of under the extension URN, because a
 * query path cannot name a field whose name contains '.'. Case-insensitive attributes that IdPs look up
 * (userName, displayName, emails.value) also have lower-cased shadows under `lc` so that `eq`
 * is index-served and uniqueness is case-insensitive. `id` is `_id`, `meta.created` is
 * `createdAt`, `meta.lastModified` is `updatedAt`.
 */

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex';

export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

/** RFC 7643 §7 attribute definition, as stored in scim-schemas/schemas/*.json. */
export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description?: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: Uniqueness;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDefinition[];
}

export interface SchemaDefinition {
  id: string;
  name: string;
  description?: string;
  attributes: AttributeDefinition[];
  meta?: { resourceType: 'Schema'; location: string };
}

export interface ResourceTypeDefinition {
  schemas: string[];
  id: string;
  name: string;
  endpoint: string;
  description?: string;
  schema: string;
  schemaExtensions?: { schema: string; required: boolean }[];
}

export type ResourceTypeName = 'User' | 'Group';

/**
 * What a SCIM attribute path (as written in a filter, a PATCH path or `attributes=`) resolves to
 * for one resource type. Paths are case-insensitive in SCIM; `scimPath` carries the canonical
 * spelling.
 */
export interface ResolvedAttribute {
  /** Keys to walk in the SCIM JSON representation, canonical case. Extension attributes start
   *  with the extension URN: ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'manager', 'value']. */
  scimPath: string[];
  /** Dotted path of the same value in the stored document, e.g. 'attrs.enterprise.manager.value',
   *  'attrs.emails.value', '_id', 'createdAt'. */
  mongoPath: string;
  /** Dotted path of a lower-cased shadow holding the same value(s), when one exists ('lc.userName'). */
  lowerShadowPath?: string;
  /** Compared after trimming surrounding whitespace (userName: "bob " is bob), as its shadow is stored. */
  trimmed?: boolean;
  /** The leaf attribute's definition (the sub-attribute for 'emails.value'). */
  definition: AttributeDefinition;
  /** The parent multi-valued/complex attribute for a sub-attribute path ('emails' for 'emails.value'). */
  parent?: AttributeDefinition;
  /** The schema URN the attribute belongs to. */
  schema: string;
}

/** Read-only view of the registry that the filter compiler and PATCH engine depend on. */
export interface SchemaView {
  readonly resourceType: ResourceTypeName;
  /** The core schema URN and extension URNs of this resource type. */
  readonly coreSchema: string;
  readonly extensionSchemas: readonly string[];
  /**
   * Resolve an attribute path such as 'userName', 'name.givenName', 'emails.value',
   * 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value', 'meta.lastModified'.
   * `within` resolves a sub-attribute relative to a complex parent (value filters: the 'type' in
   * emails[type eq "work"]). Returns undefined for unknown paths.
   */
  resolve(path: string, within?: ResolvedAttribute): ResolvedAttribute | undefined;
}
