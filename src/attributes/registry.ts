import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isPlainObject } from './coerce';
import { checkResourceTypeDocument, checkSchemaDocument } from './document-checks';
import { projectResource, selectionIncludes, type AttributeSelection } from './projection';
import { ResourceSchemaView, isTrimmedForComparison, lowerShadowPaths, type ExtensionSchema } from './view';
import { validateResource, type StoredAttrs, type ValidateOptions, type ValidatedResource } from './validate';
import { searchTermsOf } from './search-terms';
import type { ResourceTypeDefinition, ResourceTypeName, SchemaDefinition } from './types';

export type { StoredAttrs, ValidatedMember, ValidatedResource, ValidateOptions } from './validate';
export type { AttributeSelection } from './projection';

const SCHEMAS_DIRECTORY = 'scim-schemas';
const RESOURCE_TYPE_NAMES: readonly ResourceTypeName[] = ['User', 'Group'];

/**
 * The one registry of SCIM schemas, resource types and the service provider configuration:
 * discovery serves its documents and validation, filtering, PATCH and projection use them.
 * Documents are deep-frozen; copy before adding meta/location.
 */
export class SchemaRegistry {
  private readonly schemaById: ReadonlyMap<string, SchemaDefinition>;
  private readonly views: ReadonlyMap<ResourceTypeName, ResourceSchemaView>;

  constructor(
    private readonly schemaList: readonly SchemaDefinition[],
    private readonly resourceTypeList: readonly ResourceTypeDefinition[],
    private readonly providerConfig: Record<string, unknown>,
  ) {
    this.schemaById = new Map(schemaList.map((s) => [s.id.toLowerCase(), s]));
    const views = new Map<ResourceTypeName, ResourceSchemaView>();
    const storageKeyOwners = new Map<string, string>();
    for (const name of RESOURCE_TYPE_NAMES) {
      const type = resourceTypeList.find((t) => t.name === name);
      if (!type) throw new Error(`SCIM resource type ${name} is not defined`);
      const core = this.requireSchema(type.schema, type.name);
      const extensions: ExtensionSchema[] = (type.schemaExtensions ?? []).map((e) => {
        const definition = this.requireSchema(e.schema, type.name);
        const storageKey = storageKeyOf(definition.id);
        const owner = storageKeyOwners.get(storageKey);
        if (owner !== undefined && owner !== definition.id) {
          throw new Error(`Extensions ${owner} and ${definition.id} share the storage key '${storageKey}'`);
        }
        storageKeyOwners.set(storageKey, definition.id);
        return { definition, storageKey, required: e.required };
      });
      views.set(name, new ResourceSchemaView(name, core, extensions));
    }
    this.views = views;
  }

  private requireSchema(id: string, resourceType: string): SchemaDefinition {
    const schema = this.schemaById.get(id.toLowerCase());
    if (!schema) throw new Error(`Resource type ${resourceType} refers to unknown schema ${id}`);
    return schema;
  }

  schemas(): SchemaDefinition[] {
    return [...this.schemaList];
  }

  /** A schema by URN (case-insensitive). */
  schema(id: string): SchemaDefinition | undefined {
    return this.schemaById.get(id.toLowerCase());
  }

  resourceTypes(): ResourceTypeDefinition[] {
    return [...this.resourceTypeList];
  }

  /** A resource type by name or id ('User', 'Group'), case-insensitive. */
  resourceType(name: string): ResourceTypeDefinition | undefined {
    const wanted = name.toLowerCase();
    return this.resourceTypeList.find((t) => t.name.toLowerCase() === wanted || t.id.toLowerCase() === wanted);
  }

  /** The raw RFC 7643 §5 document (with the RFC 9865 `pagination` block); the HTTP layer adds meta. */
  serviceProviderConfig(): Record<string, unknown> {
    return this.providerConfig;
  }

  /** The resource type's schema view (a SchemaView with a few extra helpers). */
  view(type: ResourceTypeName): ResourceSchemaView {
    return this.viewOf(type);
  }

  private viewOf(type: ResourceTypeName): ResourceSchemaView {
    const view = this.views.get(type);
    if (!view) throw new Error(`Unknown resource type ${String(type)}`);
    return view;
  }

  /** Key under `attrs` of an extension's attributes: enterprise URN -> 'enterprise'. */
  storageKey(schemaUrn: string): string | undefined {
    for (const view of this.views.values()) {
      const ext = view.extension(schemaUrn);
      if (ext) return ext.storageKey;
    }
    return undefined;
  }

  /**
   * Validate and coerce a full incoming resource (POST / PUT body, or the result of applying a
   * PATCH to the current SCIM representation) into storage-shaped attrs.
   */
  validateResource(type: ResourceTypeName, body: unknown, options: ValidateOptions): ValidatedResource {
    return validateResource(this.viewOf(type), body, options);
  }

  /** Stored attrs -> SCIM JSON: `schemas` lists the core schema and the extensions present.
   *  No id, meta, members or groups: the caller adds them. */
  toScim(type: ResourceTypeName, attrs: StoredAttrs): Record<string, unknown> {
    const view = this.viewOf(type);
    const schemas = [view.coreSchema];
    const out: Record<string, unknown> = { schemas };
    if (attrs.externalId !== undefined && attrs.externalId !== null) out.externalId = attrs.externalId;
    for (const definition of view.core.attributes) {
      if (definition.returned === 'never' || !view.isStoredInAttrs({ schema: view.coreSchema, definition })) continue;
      const value = attrs[definition.name];
      if (value !== undefined && value !== null) out[definition.name] = structuredClone(value);
    }
    for (const ext of view.extensions) {
      const stored = attrs[ext.storageKey];
      if (!isPlainObject(stored)) continue;
      const values: Record<string, unknown> = {};
      for (const definition of ext.definition.attributes) {
        const value = stored[definition.name];
        if (definition.returned !== 'never' && value !== undefined && value !== null) {
          values[definition.name] = structuredClone(value);
        }
      }
      if (Object.keys(values).length === 0) continue;
      out[ext.definition.id] = values;
      schemas.push(ext.definition.id);
    }
    return out;
  }

  /** Lower-cased shadows for the stored document's `lc`: User {userName, displayName?, emails[],
   *  terms[]}, Group {displayName}. Lookups and uniqueness on these are case-insensitive (caseExact
   *  false); `terms` are the words the console's people search finds a user by (search-terms.ts). */
  shadows(type: ResourceTypeName, attrs: StoredAttrs): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [path, shadowPath] of Object.entries(lowerShadowPaths(type))) {
      const key = shadowPath.slice('lc.'.length);
      const [attribute, sub] = path.split('.');
      const value = attribute === undefined ? undefined : attrs[attribute];
      if (sub === undefined) {
        if (typeof value === 'string') out[key] = (isTrimmedForComparison(type, path) ? value.trim() : value).toLowerCase();
        continue;
      }
      const items = Array.isArray(value) ? value : [];
      const lowered = items
        .map((item) => (isPlainObject(item) ? item[sub] : undefined))
        .filter((v): v is string => typeof v === 'string')
        .map((v) => v.toLowerCase());
      out[key] = [...new Set(lowered)];
    }
    if (type === 'User') out.terms = searchTermsOf(attrs);
    return out;
  }

  /** RFC 7644 §3.4.2.5 attributes / excludedAttributes on a SCIM JSON resource (id included); the result may share values with `resource` (projectResource). */
  project(type: ResourceTypeName, resource: Record<string, unknown>, selection: AttributeSelection): Record<string, unknown> {
    return projectResource(this.viewOf(type), resource, selection);
  }

  /** Whether the projection would include this attribute (e.g. skip loading group members). */
  includes(type: ResourceTypeName, attributeName: string, selection: AttributeSelection): boolean {
    return selectionIncludes(this.viewOf(type), attributeName, selection);
  }
}

/**
 * Storage key of an extension: the segment after 'extension:' in its URN, so
 * 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' -> 'enterprise' and
 * 'urn:scim-sync:params:scim:schemas:extension:custom:2.0:User' -> 'custom'.
 */
export function storageKeyOf(urn: string): string {
  const match = /:extension:([A-Za-z][A-Za-z0-9_-]*):/.exec(urn);
  if (!match?.[1]) throw new Error(`Cannot derive a storage key from extension URN ${urn}`);
  return match[1];
}

/** Walk up from `start` to the first folder holding scim-schemas/ (works from src/ and dist/src/). */
export function findSchemasDirectory(start: string = __dirname): string {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, SCHEMAS_DIRECTORY);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No ${SCHEMAS_DIRECTORY}/ folder found above ${start}`);
    dir = parent;
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`Cannot read SCIM document ${file}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const loaded = new Map<string, SchemaRegistry>();

/**
 * Load (once per folder) the registry from `dir` (default: the repository's scim-schemas/):
 * schemas/*.json, resource-types/*.json and service-provider-config.json.
 */
export function loadSchemaRegistry(dir?: string): SchemaRegistry {
  const root = resolve(dir ?? findSchemasDirectory());
  const cached = loaded.get(root);
  if (cached) return cached;
  const schemas = jsonFiles(join(root, 'schemas')).map((f) => checkSchemaDocument(readJson(f), f));
  const resourceTypes = jsonFiles(join(root, 'resource-types')).map((f) => checkResourceTypeDocument(readJson(f), f));
  const configFile = join(root, 'service-provider-config.json');
  const config = readJson(configFile);
  if (!isPlainObject(config)) throw new Error(`Invalid SCIM document ${configFile}: not a JSON object`);
  const registry = new SchemaRegistry(deepFreeze(schemas), deepFreeze(resourceTypes), deepFreeze(config));
  loaded.set(root, registry);
  return registry;
}
