import { COMMON_ATTRIBUTES, commonMongoPath } from './common-attributes';
import type { AttributeDefinition, ResolvedAttribute, ResourceTypeName, SchemaDefinition, SchemaView } from './types';

export interface ExtensionSchema {
  definition: SchemaDefinition;
  /** Key of the extension's object under `attrs` (a query path cannot name a field containing '.'). */
  storageKey: string;
  /** RFC 7643 §6 schemaExtensions[].required */
  required: boolean;
}

/** Top-level attributes that are never kept under `attrs`: a Group's members live in the
 *  memberships collection and a User's groups are computed from it (DESIGN §6). */
const UNSTORED_ATTRIBUTES: Record<ResourceTypeName, readonly string[]> = {
  User: ['groups'],
  Group: ['members'],
};

/** Lower-cased shadows (under `lc`) of the case-insensitive attributes IdPs look up. */
const LOWER_SHADOW_PATHS: Record<ResourceTypeName, Readonly<Record<string, string>>> = {
  User: { userName: 'lc.userName', displayName: 'lc.displayName', 'emails.value': 'lc.emails' },
  Group: { displayName: 'lc.displayName' },
};

/**
 * Attributes compared after trimming surrounding whitespace: an IdP's "bob " is the user bob
 * (uniqueness and lookups), though the value is stored and returned as sent.
 */
const TRIMMED_FOR_COMPARISON: Record<ResourceTypeName, readonly string[]> = { User: ['userName'], Group: [] };

export function isTrimmedForComparison(type: ResourceTypeName, path: string): boolean {
  return TRIMMED_FOR_COMPARISON[type].includes(path);
}

/** Canonical attribute path ('emails.value') -> lower-cased shadow path ('lc.emails'). */
export function lowerShadowPaths(type: ResourceTypeName): Readonly<Record<string, string>> {
  return LOWER_SHADOW_PATHS[type];
}

/** Attribute names are case-insensitive (RFC 7643 §2.1). */
export function findByName(definitions: readonly AttributeDefinition[] | undefined, name: string): AttributeDefinition | undefined {
  if (!definitions) return undefined;
  const wanted = name.toLowerCase();
  return definitions.find((d) => d.name.toLowerCase() === wanted);
}

export interface SchemaPrefix {
  /** Canonical URN when the path starts with a schema URN of this resource type. */
  schema?: string;
  /** The rest of the path after 'URN:' (empty when the path is the URN itself). */
  rest: string;
}

/** A top-level attribute together with the schema it belongs to. */
export interface TopLevelAttribute {
  schema: string;
  definition: AttributeDefinition;
}

/**
 * The schema of one resource type: its core schema, the common attributes (id, externalId,
 * meta) and its extensions, with attribute path resolution for filters, PATCH and projection.
 */
export class ResourceSchemaView implements SchemaView {
  readonly coreSchema: string;
  readonly extensionSchemas: readonly string[];
  /** Known URNs, longest first so that prefix matching picks the most specific one. */
  private readonly urnsLongestFirst: readonly string[];

  constructor(
    readonly resourceType: ResourceTypeName,
    readonly core: SchemaDefinition,
    readonly extensions: readonly ExtensionSchema[],
  ) {
    this.coreSchema = core.id;
    this.extensionSchemas = extensions.map((e) => e.definition.id);
    this.urnsLongestFirst = [this.coreSchema, ...this.extensionSchemas].sort((a, b) => b.length - a.length);
  }

  /** The extension with this URN (case-insensitive), if it belongs to this resource type. */
  extension(urn: string): ExtensionSchema | undefined {
    const wanted = urn.toLowerCase();
    return this.extensions.find((e) => e.definition.id.toLowerCase() === wanted);
  }

  /** The canonical spelling of a core or extension URN of this resource type. */
  canonicalUrn(urn: string): string | undefined {
    const wanted = urn.toLowerCase();
    return this.urnsLongestFirst.find((u) => u.toLowerCase() === wanted);
  }

  /** Split a leading schema URN off an attribute path: 'urn:…:enterprise:2.0:User:manager.value'. */
  splitSchemaPrefix(path: string): SchemaPrefix {
    const lower = path.toLowerCase();
    for (const urn of this.urnsLongestFirst) {
      const u = urn.toLowerCase();
      if (lower === u) return { schema: urn, rest: '' };
      if (lower.startsWith(`${u}:`)) return { schema: urn, rest: path.slice(urn.length + 1) };
    }
    return { rest: path };
  }

  /** Core attributes and the common ones, the attribute space of unqualified names. */
  coreAttributes(): readonly AttributeDefinition[] {
    return [...this.core.attributes, ...COMMON_ATTRIBUTES];
  }

  /**
   * Find a top-level attribute. Qualified by a URN it is looked up in that schema only. An
   * unqualified name is looked up in the core schema, then the common attributes, then each
   * extension in resource-type order, so that rules may say `department` or `country`.
   */
  findTopLevel(name: string, schema?: string): TopLevelAttribute | undefined {
    if (schema !== undefined && schema !== this.coreSchema) {
      const ext = this.extension(schema);
      const definition = ext ? findByName(ext.definition.attributes, name) : undefined;
      return definition && ext ? { schema: ext.definition.id, definition } : undefined;
    }
    const core = findByName(this.coreAttributes(), name);
    if (core) return { schema: this.coreSchema, definition: core };
    if (schema !== undefined) return undefined;
    for (const ext of this.extensions) {
      const definition = findByName(ext.definition.attributes, name);
      if (definition) return { schema: ext.definition.id, definition };
    }
    return undefined;
  }

  /** Whether this top-level attribute is kept in `attrs` (not writeOnly, not derived, not common). */
  isStoredInAttrs(top: TopLevelAttribute): boolean {
    if (top.schema !== this.coreSchema) return true;
    if (COMMON_ATTRIBUTES.includes(top.definition)) return top.definition.name === 'externalId';
    if (top.definition.mutability === 'writeOnly') return false;
    return !UNSTORED_ATTRIBUTES[this.resourceType].includes(top.definition.name);
  }

  resolve(path: string, within?: ResolvedAttribute): ResolvedAttribute | undefined {
    const trimmed = path.trim();
    if (within) {
      // Value filters (emails[type eq "work"]) name sub-attributes relative to one complex parent.
      if (within.parent !== undefined || within.definition.type !== 'complex') return undefined;
      const sub = findByName(within.definition.subAttributes, trimmed);
      return sub ? this.build({ schema: within.schema, definition: within.definition }, sub) : undefined;
    }
    const { schema, rest } = this.splitSchemaPrefix(trimmed);
    if (rest === '') return undefined;
    const [attributeName, subName, ...deeper] = rest.split('.');
    if (attributeName === undefined || deeper.length > 0) return undefined;
    const top = this.findTopLevel(attributeName, schema);
    if (!top) return undefined;
    if (subName === undefined) return this.build(top);
    const sub = findByName(top.definition.subAttributes, subName);
    return sub ? this.build(top, sub) : undefined;
  }

  /**
   * Keys to walk in the SCIM JSON for an `attributes`/`excludedAttributes` entry: like
   * resolve().scimPath, plus a bare extension URN meaning the whole extension object.
   */
  selectorKeys(path: string): string[] | undefined {
    const { schema, rest } = this.splitSchemaPrefix(path.trim());
    if (schema !== undefined && schema !== this.coreSchema && rest === '') return [schema];
    return this.resolve(path)?.scimPath;
  }

  private build(top: TopLevelAttribute, sub?: AttributeDefinition): ResolvedAttribute {
    const isCore = top.schema === this.coreSchema;
    const names = sub ? [top.definition.name, sub.name] : [top.definition.name];
    const dotted = names.join('.');
    const lowerShadowPath = isCore ? LOWER_SHADOW_PATHS[this.resourceType][dotted] : undefined;
    const resolved: ResolvedAttribute = {
      scimPath: isCore ? names : [top.schema, ...names],
      mongoPath: this.mongoPath(top, sub),
      definition: sub ?? top.definition,
      schema: top.schema,
    };
    if (sub) resolved.parent = top.definition;
    if (lowerShadowPath !== undefined) resolved.lowerShadowPath = lowerShadowPath;
    if (isCore && isTrimmedForComparison(this.resourceType, dotted)) resolved.trimmed = true;
    return resolved;
  }

  private mongoPath(top: TopLevelAttribute, sub?: AttributeDefinition): string {
    if (COMMON_ATTRIBUTES.includes(top.definition)) return commonMongoPath(top.definition.name, sub?.name);
    const suffix = sub ? `.${sub.name}` : '';
    if (top.schema !== this.coreSchema) {
      const ext = this.extension(top.schema);
      return `attrs.${ext?.storageKey ?? ''}.${top.definition.name}${suffix}`;
    }
    // groups / members / password: not under attrs; the filter layer decides how to serve them.
    const base = this.isStoredInAttrs(top) ? `attrs.${top.definition.name}` : top.definition.name;
    return `${base}${suffix}`;
  }
}
