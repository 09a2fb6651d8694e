import { isPlainObject } from './coerce';
import type { ResourceSchemaView } from './view';
import type { AttributeDefinition, Returned } from './types';

/**
 * RFC 7644 §3.4.2.5 / §3.9 `attributes` and `excludedAttributes`, applied to a SCIM JSON
 * resource and honouring each attribute's `returned` characteristic (RFC 7643 §7).
 */

export interface AttributeSelection {
  /** Attribute paths; entries may also be comma-separated lists as they come off a query string. */
  attributes?: readonly string[];
  excludedAttributes?: readonly string[];
}

/** A selection tree: a key maps to WHOLE (the entire value) or to a tree of its sub-keys. */
const WHOLE = 'whole';
type SelectionTree = Map<string, SelectionNode>;
type SelectionNode = typeof WHOLE | SelectionTree;

function splitPaths(list: readonly string[] | undefined): string[] {
  return (list ?? [])
    .flatMap((entry) => entry.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function selectorKeyPaths(view: ResourceSchemaView, list: readonly string[] | undefined): string[][] {
  return splitPaths(list)
    .map((p) => view.selectorKeys(p))
    .filter((keys): keys is string[] => keys !== undefined);
}

function addToTree(tree: SelectionTree, keys: readonly string[]): void {
  const [first, ...rest] = keys;
  if (first === undefined) return;
  const key = first.toLowerCase();
  if (rest.length === 0) {
    tree.set(key, WHOLE);
    return;
  }
  const node = tree.get(key);
  if (node === WHOLE) return;
  const child = node ?? new Map<string, SelectionNode>();
  tree.set(key, child);
  addToTree(child, rest);
}

function treeOf(paths: readonly (readonly string[])[]): SelectionTree {
  const tree: SelectionTree = new Map();
  for (const keys of paths) addToTree(tree, keys);
  return tree;
}

function isEmptyValue(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isPlainObject(value) && Object.keys(value).length === 0);
}

/** Keep only the selected keys; elements of multi-valued attributes are picked one by one. */
function pick(source: Record<string, unknown>, tree: SelectionTree): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    const node = tree.get(key.toLowerCase());
    if (node === undefined) continue;
    if (node === WHOLE) {
      out[key] = structuredClone(value);
    } else if (Array.isArray(value)) {
      const items = value
        .filter(isPlainObject)
        .map((item) => pick(item, node))
        .filter((i) => !isEmptyValue(i));
      if (items.length > 0) out[key] = items;
    } else if (isPlainObject(value)) {
      const picked = pick(value, node);
      if (!isEmptyValue(picked)) out[key] = picked;
    }
  }
  return out;
}

/** Drop the selected keys; containers emptied by the removal are dropped too. What is kept is shared with `source`, not copied (see projectResource). */
function omit(source: Record<string, unknown>, tree: SelectionTree): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    const node = tree.get(key.toLowerCase());
    if (node === undefined) {
      out[key] = value;
    } else if (node === WHOLE) {
      continue;
    } else if (Array.isArray(value)) {
      const items = (value as unknown[]).map((item) => (isPlainObject(item) ? omit(item, node) : item)).filter((i) => !isEmptyValue(i));
      if (items.length > 0) out[key] = items;
    } else if (isPlainObject(value)) {
      const rest = omit(value, node);
      if (!isEmptyValue(rest)) out[key] = rest;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** The top-level definition a selector's keys point into (undefined for a whole extension). */
function topDefinition(view: ResourceSchemaView, keys: readonly string[]): AttributeDefinition | undefined {
  const [first, second] = keys;
  if (first === undefined) return undefined;
  if (view.extension(first)) return second === undefined ? undefined : view.findTopLevel(second, first)?.definition;
  return view.findTopLevel(first, view.coreSchema)?.definition;
}

function returnedOf(view: ResourceSchemaView, keys: readonly string[]): Returned {
  return topDefinition(view, keys)?.returned ?? 'default';
}

const returnedPaths = new WeakMap<ResourceSchemaView, Map<string, string[][]>>();

/** Paths of every attribute and sub-attribute whose `returned` is in `kinds` (a view's schema does not change: computed once per view and kinds, not per resource of a page). */
function pathsReturned(view: ResourceSchemaView, kinds: readonly Returned[]): string[][] {
  let byKinds = returnedPaths.get(view);
  if (!byKinds) returnedPaths.set(view, (byKinds = new Map<string, string[][]>()));
  const key = kinds.join(',');
  let paths = byKinds.get(key);
  if (!paths) byKinds.set(key, (paths = computePathsReturned(view, kinds)));
  return paths;
}

function computePathsReturned(view: ResourceSchemaView, kinds: readonly Returned[]): string[][] {
  const paths: string[][] = [];
  const visit = (prefix: string[], definitions: readonly AttributeDefinition[]): void => {
    for (const d of definitions) {
      if (kinds.includes(d.returned)) paths.push([...prefix, d.name]);
      else if (d.subAttributes) visit([...prefix, d.name], d.subAttributes);
    }
  };
  visit([], view.coreAttributes());
  for (const ext of view.extensions) visit([ext.definition.id], ext.definition.attributes);
  return paths;
}

function isPrefix(prefix: readonly string[], keys: readonly string[]): boolean {
  return prefix.length <= keys.length && prefix.every((k, i) => k.toLowerCase() === keys[i]?.toLowerCase());
}

/**
 * RFC 7644 §3.4.2.5 on a representation. The result is a new object, but in the default mode it
 * shares the values it keeps with `resource` (a list page's hundred users are not copied a second
 * time): pass a representation built for this answer, and do not change it afterwards.
 */
export function projectResource(view: ResourceSchemaView, resource: Record<string, unknown>, selection: AttributeSelection): Record<string, unknown> {
  const includeMode = splitPaths(selection.attributes).length > 0;
  let out: Record<string, unknown>;
  if (includeMode) {
    // 'schemas' and attributes returned "always" (id) are part of every answer.
    const always = [['schemas'], ...pathsReturned(view, ['always'])];
    out = pick(resource, treeOf([...always, ...selectorKeyPaths(view, selection.attributes)]));
  } else {
    // omit below builds a new object of what it keeps: nothing to copy first.
    out = resource;
  }
  const excluded = selectorKeyPaths(view, selection.excludedAttributes).filter((keys) => returnedOf(view, keys) !== 'always' && keys[0]?.toLowerCase() !== 'schemas');
  // "never" attributes are never returned; "request" ones only when asked for by name.
  const hidden = pathsReturned(view, includeMode ? ['never'] : ['never', 'request']);
  out = omit(out, treeOf([...excluded, ...hidden]));
  return withSchemasOfPresentExtensions(view, out);
}

/** Keep the `schemas` list in step with the extension objects that survived projection. */
function withSchemasOfPresentExtensions(view: ResourceSchemaView, resource: Record<string, unknown>): Record<string, unknown> {
  const schemas = resource.schemas;
  if (!Array.isArray(schemas)) return resource;
  const present = new Set(Object.keys(resource).map((k) => k.toLowerCase()));
  resource.schemas = schemas.filter((urn) => typeof urn !== 'string' || view.extension(urn) === undefined || present.has(urn.toLowerCase()));
  return resource;
}

/** Whether projecting with this selection would return (some of) the given attribute. */
export function selectionIncludes(view: ResourceSchemaView, attributeName: string, selection: AttributeSelection): boolean {
  const keys = view.selectorKeys(attributeName);
  if (keys === undefined) return false;
  const returned = returnedOf(view, keys);
  if (returned === 'never') return false;
  if (returned === 'always') return true;
  const attributes = selectorKeyPaths(view, selection.attributes);
  if (splitPaths(selection.attributes).length > 0) {
    return attributes.some((sel) => isPrefix(sel, keys) || isPrefix(keys, sel));
  }
  if (returned === 'request') return false;
  return !selectorKeyPaths(view, selection.excludedAttributes).some((ex) => isPrefix(ex, keys));
}
