import { AppError, isAppError, scimError } from '../../errors/app-error';
import type { FilterNode } from '../../expressions/ast';
import { compileValueFilterPredicate } from '../../expressions/compile-predicate';
import { parseFilter } from '../../expressions/parse-filter';
import type { ResolvedAttribute, SchemaView } from '../../attributes/types';
import { equalityAlternatives } from './filter-equalities';
import type { JsonObject } from './scim-json';

/**
 * RFC 7644 §3.5.2 PATCH paths:
 *   PATH = attrPath / valuePath [subAttr]
 * e.g. `userName`, `name.givenName`, `emails[type eq "work"].value`, `members[value eq "id"]`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`.
 * Attribute names are case-insensitive; resolution goes through the SchemaView so that results
 * use canonical names, and bracket filters go through the project's one filter parser/compiler.
 */

/** A `[valFilter]` selecting elements of a multi-valued complex attribute. */
export interface ValueSelector {
  /** The filter text as written between the brackets. */
  text: string;
  node: FilterNode;
  matches: (element: unknown) => boolean;
  /**
   * The element the filter describes when it is only `eq` comparisons joined by `and`
   * (`type eq "work"` → {type: 'work'}), canonical names. An `add` that matches nothing creates
   * it: Entra adds `phoneNumbers[type eq "mobile"].value` to users that have no mobile number.
   */
  seed?: JsonObject;
}

export type ParsedPath =
  /** An attribute or sub-attribute, optionally through a value filter. */
  | {
      kind: 'attribute';
      text: string;
      /** The attribute before any `[...]`: `emails`, `name.givenName`, `urn:…:User:manager`. */
      attribute: ResolvedAttribute;
      filter?: ValueSelector;
      /** The `.subAttr` after a value filter: `value` in `emails[type eq "work"].value`. */
      subAttribute?: ResolvedAttribute;
    }
  /**
   * The Group `members` attribute. Memberships are never loaded with the group, so these
   * operations become a MemberDelta. `filterIds` are the ids of `members[value eq "…"]`.
   */
  | { kind: 'members'; text: string; filterIds?: string[] }
  /** A whole extension object, e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`. */
  | { kind: 'extension'; text: string; schema: string };

const SUB_ATTRIBUTE = /^\.([A-Za-z$][A-Za-z0-9_$-]*)$/;

/** Parses and resolves one PATCH path; unknown attributes and malformed paths are 400 invalidPath. */
export function parsePatchPath(view: SchemaView, text: string): ParsedPath {
  const { attributeText, filterText, subAttributeText } = splitPath(text);

  const extension = matchSchemaUrn(view, attributeText);
  if (extension !== undefined && filterText === undefined) {
    return { kind: 'extension', text, schema: extension };
  }

  const attribute = view.resolve(attributeText);
  if (attribute === undefined) {
    throw scimError.invalidPath(`Unknown attribute "${attributeText}" in path "${text}"`, 'SCIM_PATCH_UNKNOWN_ATTRIBUTE');
  }

  if (isGroupMembers(view, attribute)) return parseMembersPath(view, text, attribute, filterText, subAttributeText);

  if (filterText === undefined) return { kind: 'attribute', text, attribute };

  if (!attribute.definition.multiValued || attribute.definition.type !== 'complex') {
    throw scimError.invalidPath(`A value filter needs a multi-valued complex attribute; "${attributeText}" is not one (path "${text}")`, 'SCIM_PATCH_FILTER_ON_SINGLE_VALUE');
  }
  const filter = parseSelector(view, attribute, filterText, text);
  if (subAttributeText === undefined) return { kind: 'attribute', text, attribute, filter };

  const subAttribute = view.resolve(subAttributeText, attribute);
  if (subAttribute === undefined) {
    throw scimError.invalidPath(`Unknown sub-attribute "${subAttributeText}" of "${attributeText}" in path "${text}"`, 'SCIM_PATCH_UNKNOWN_ATTRIBUTE');
  }
  return { kind: 'attribute', text, attribute, filter, subAttribute };
}

/** True for the core Group `members` attribute or one of its sub-attributes. */
function isGroupMembers(view: SchemaView, attribute: ResolvedAttribute): boolean {
  return view.resourceType === 'Group' && attribute.schema === view.coreSchema && attribute.scimPath[0]?.toLowerCase() === 'members';
}

/** The canonical URN when `text` names this resource type's core or an extension schema. */
export function matchSchemaUrn(view: SchemaView, text: string): string | undefined {
  const lower = text.trim().toLowerCase();
  return [view.coreSchema, ...view.extensionSchemas].find((urn) => urn.toLowerCase() === lower);
}

function parseMembersPath(view: SchemaView, text: string, attribute: ResolvedAttribute, filterText: string | undefined, subAttributeText: string | undefined): ParsedPath {
  if (attribute.scimPath.length > 1 || subAttributeText !== undefined) {
    throw scimError.invalidPath(`Group members are changed as whole elements ("members" or "members[value eq "…"]"), not through "${text}"`, 'SCIM_PATCH_MEMBER_SUB_ATTRIBUTE');
  }
  if (filterText === undefined) return { kind: 'members', text };

  const node = parseFilterInPath(filterText, text);
  const alternatives = equalityAlternatives(node);
  const filterIds: string[] = [];
  for (const alternative of alternatives ?? []) {
    const entries = Object.entries(alternative);
    const [only] = entries;
    if (entries.length !== 1 || only === undefined || view.resolve(only[0], attribute)?.scimPath.at(-1) !== 'value') {
      return unsupportedMemberFilter(text);
    }
    const id = only[1];
    if (typeof id !== 'string' || id.trim() === '') {
      throw scimError.invalidValue(`Member ids must be non-empty strings (path "${text}")`, 'SCIM_PATCH_MEMBER_VALUE');
    }
    filterIds.push(id);
  }
  if (alternatives === undefined || filterIds.length === 0) return unsupportedMemberFilter(text);
  return { kind: 'members', text, filterIds };
}

function unsupportedMemberFilter(text: string): never {
  // Memberships are not loaded with the group, so only filters that name member ids can work.
  throw scimError.invalidFilter(`Only members[value eq "…"] (optionally joined with "or") can select members (path "${text}")`, 'SCIM_PATCH_UNSUPPORTED_MEMBER_FILTER');
}

function parseSelector(view: SchemaView, attribute: ResolvedAttribute, filterText: string, text: string): ValueSelector {
  const node = parseFilterInPath(filterText, text);
  let matches: (element: unknown) => boolean;
  try {
    matches = compileValueFilterPredicate(view, attribute, node);
  } catch (err) {
    throw asInvalidPath(err, text);
  }
  return { text: filterText, node, matches, seed: seedFromFilter(view, attribute, node) };
}

function seedFromFilter(view: SchemaView, attribute: ResolvedAttribute, node: FilterNode): JsonObject | undefined {
  const alternatives = equalityAlternatives(node);
  const only = alternatives?.length === 1 ? alternatives[0] : undefined;
  if (only === undefined) return undefined;
  const seed: JsonObject = {};
  for (const [path, value] of Object.entries(only)) {
    const name = view.resolve(path, attribute)?.scimPath.at(-1);
    if (name === undefined) return undefined;
    seed[name] = value;
  }
  return seed;
}

function parseFilterInPath(filterText: string, text: string): FilterNode {
  try {
    return parseFilter(filterText);
  } catch (err) {
    throw asInvalidPath(err, text);
  }
}

/** A filter error inside a PATCH path is a malformed path (RFC 7644 §3.12 invalidPath). */
function asInvalidPath(err: unknown, text: string): unknown {
  if (isAppError(err) && err.kind === 'badRequest') {
    return scimError.invalidPath(`Invalid filter in path "${text}": ${err.message}`, 'SCIM_PATCH_PATH_FILTER');
  }
  return err; // anything unexpected stays what it is
}

/** Splits `attr[filter].sub` into its parts, honouring quotes inside the filter. */
function splitPath(text: string): { attributeText: string; filterText?: string; subAttributeText?: string } {
  const trimmed = text.trim();
  const open = trimmed.indexOf('[');
  if (open === -1) {
    if (trimmed === '' || trimmed.includes(']')) throw malformed(text);
    return { attributeText: trimmed };
  }
  const attributeText = trimmed.slice(0, open).trim();
  const close = findClosingBracket(trimmed, open + 1);
  if (attributeText === '' || close === -1) throw malformed(text);
  const filterText = trimmed.slice(open + 1, close).trim();
  const rest = trimmed.slice(close + 1);
  if (filterText === '') throw malformed(text);
  if (rest === '') return { attributeText, filterText };
  const sub = SUB_ATTRIBUTE.exec(rest);
  if (sub?.[1] === undefined) throw malformed(text);
  return { attributeText, filterText, subAttributeText: sub[1] };
}

function findClosingBracket(text: string, from: number): number {
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === '[') {
      return -1; // RFC 7644: value filters do not nest
    } else if (char === ']') {
      return i;
    }
  }
  return -1;
}

function malformed(text: string): AppError {
  return scimError.invalidPath(`Malformed PATCH path "${text}"`, 'SCIM_PATCH_MALFORMED_PATH');
}
