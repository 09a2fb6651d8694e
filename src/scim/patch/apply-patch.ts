import { scimError } from '../../errors/app-error';
import type { ResolvedAttribute, SchemaView } from '../../attributes/types';
import { canonicalList, canonicalSingle } from './canonical-value';
import { isEmptyMemberDelta, MemberDeltaBuilder, type MemberDelta } from './member-delta';
import type { ParsedPath, ValueSelector } from './patch-path';
import { isReadOnly, type PatchOperation } from './patch-request';
import { asList, cloneJson, deleteAt, getAt, isPlainObject, isTrueLike, isUnassigned, scimEqual, setAt, withoutUnassigned, type JsonObject } from './scim-json';

export interface PatchResult {
  /** The patched SCIM JSON (a copy; the input is not modified). Validate it before storing. */
  resource: JsonObject;
  /** Group member changes, to apply to the membership collection. Empty for users. */
  members: MemberDelta;
  /** True when `resource` differs from the input (RFC 7643 §2.5 equivalences: null = [] = absent). */
  resourceChanged: boolean;
  /** resourceChanged, or member changes were requested. False lets the caller skip the write and keep the ETag. */
  changed: boolean;
}

type AttributePath = Extract<ParsedPath, { kind: 'attribute' }>;

/**
 * Applies parsed operations in order (RFC 7644 §3.5.2: all or nothing — any error aborts the
 * whole request, and since the input is not modified the caller simply does not write).
 * `resource` is the current SCIM JSON; for a Group it does not contain `members`: member
 * operations become the returned MemberDelta. Types are not checked here: the caller validates
 * the result as a full resource (which coerces Entra's "False" and the like) and checks
 * immutable attributes against the stored version.
 */
export function applyPatch(view: SchemaView, resource: JsonObject, operations: readonly PatchOperation[]): PatchResult {
  const working = cloneJson(resource);
  const members = new MemberDeltaBuilder();
  for (const operation of operations) {
    const { path } = operation;
    switch (path.kind) {
      case 'members':
        applyMemberOperation(members, operation);
        break;
      case 'extension':
        removeExtensionObject(working, path.schema);
        break;
      case 'attribute':
        if (operation.implicit && targetsReadOnly(path)) applyIfNoChange(view, working, operation, path);
        else applyAttributeOperation(view, working, operation, path);
        break;
    }
  }
  syncExtensionSchemas(view, resource, working);
  const delta = members.build();
  const resourceChanged = !scimEqual(resource, working);
  return { resource: working, members: delta, resourceChanged, changed: resourceChanged || !isEmptyMemberDelta(delta) };
}

function applyMemberOperation(members: MemberDeltaBuilder, operation: PatchOperation): void {
  const ids = operation.memberIds;
  switch (operation.op) {
    case 'add':
      members.add(ids ?? []);
      return;
    case 'replace':
      members.replace(ids ?? []);
      return;
    case 'remove':
      if (ids === undefined) members.removeAll();
      else members.remove(ids);
  }
}

function targetsReadOnly(path: AttributePath): boolean {
  return isReadOnly(path.attribute) || path.subAttribute?.definition.mutability === 'readOnly';
}

/**
 * A readOnly attribute inside a path-less value (Okta's rename sends `"id": "<the group id>"`):
 * accepted when applying it changes nothing, 400 mutability otherwise (RFC 7644 §3.5.2).
 */
function applyIfNoChange(view: SchemaView, working: JsonObject, operation: PatchOperation, path: AttributePath): void {
  const probe = cloneJson(working);
  applyAttributeOperation(view, probe, operation, path);
  if (!scimEqual(probe, working)) {
    throw scimError.mutability(`Operations[${operation.index}]: "${path.text}" is readOnly and cannot be changed`, 'SCIM_PATCH_READ_ONLY');
  }
}

function applyAttributeOperation(view: SchemaView, working: JsonObject, given: PatchOperation, path: AttributePath): void {
  // The value is copied so that the resource never shares objects with the request.
  const operation: PatchOperation = { ...given, value: cloneJson(given.value) };
  if (path.filter !== undefined) {
    applyToSelectedElements(view, working, operation, path, path.filter);
  } else if (path.attribute.parent?.multiValued === true) {
    applyToEveryElement(view, working, operation, path.attribute);
  } else if (operation.op === 'add') {
    addValue(view, working, path.attribute, operation.value);
  } else if (operation.op === 'replace') {
    replaceValue(view, working, path.attribute, operation.value);
  } else {
    removeValue(view, working, path.attribute, operation.value);
  }
}

/**
 * RFC 7644 §3.5.2.1 add: appends to a multi-valued attribute (values already present are not
 * added twice), merges sub-attributes into a complex one, sets a simple one.
 */
function addValue(view: SchemaView, working: JsonObject, attribute: ResolvedAttribute, value: unknown): void {
  const keys = attribute.scimPath;
  if (attribute.definition.multiValued) {
    const list = asList(getAt(working, keys));
    const added: unknown[] = [];
    for (const element of assignedElements(view, attribute, value)) {
      if (!list.some((existing) => scimEqual(existing, element))) {
        list.push(element);
        added.push(element);
      }
    }
    if (added.length === 0) return;
    keepOnePrimary(view, attribute, list, added);
    setAt(working, keys, list);
    return;
  }
  const single = canonicalSingle(view, attribute, value);
  if (attribute.definition.type === 'complex' && isPlainObject(single)) mergeInto(working, keys, single);
  else if (!isUnassigned(single)) setAt(working, keys, single);
}

/**
 * RFC 7644 §3.5.2.3 replace: a multi-valued attribute gets exactly the given values, a complex
 * one has the given sub-attributes replaced (others are left unchanged), a simple one is set.
 * null or [] unassigns (RFC 7643 §2.5).
 */
function replaceValue(view: SchemaView, working: JsonObject, attribute: ResolvedAttribute, value: unknown): void {
  const keys = attribute.scimPath;
  if (attribute.definition.multiValued) {
    const list: unknown[] = [];
    for (const element of assignedElements(view, attribute, value)) {
      if (!list.some((existing) => scimEqual(existing, element))) list.push(element);
    }
    keepOnePrimary(view, attribute, list, list);
    setAt(working, keys, list);
    return;
  }
  const single = canonicalSingle(view, attribute, value);
  if (attribute.definition.type === 'complex' && isPlainObject(single)) mergeInto(working, keys, single);
  else setAt(working, keys, single);
}

/**
 * RFC 7644 §3.5.2.2 remove. With a value on a multi-valued attribute, only the listed values go:
 * Entra removes group members and other values this way, and treating it as "remove all" is the
 * bug that wiped groups in other servers (SCIMple#436).
 */
function removeValue(view: SchemaView, working: JsonObject, attribute: ResolvedAttribute, value: unknown): void {
  const keys = attribute.scimPath;
  if (attribute.definition.multiValued && value !== undefined) {
    const targets = canonicalList(view, attribute, value).map(withoutUnassigned);
    const list = asList(getAt(working, keys)).filter((element) => !targets.some((target) => contains(element, target)));
    setAt(working, keys, list);
    return;
  }
  deleteAt(working, keys);
}

/** `emails.value` without a filter: the sub-attribute of every element. */
function applyToEveryElement(view: SchemaView, working: JsonObject, operation: PatchOperation, attribute: ResolvedAttribute): void {
  const containerKeys = attribute.scimPath.slice(0, -1);
  const name = leafName(attribute);
  const list = copiedElements(getAt(working, containerKeys));
  const value = operation.op === 'remove' ? undefined : canonicalSingle(view, attribute, operation.value);
  if (operation.op === 'add' && isUnassigned(value)) return;

  if (isUnassigned(value)) {
    for (const element of list) if (isPlainObject(element)) delete element[name];
  } else if (list.length === 0) {
    list.push({ [name]: value });
  } else {
    for (const element of list) if (isPlainObject(element)) element[name] = value;
  }
  setAt(
    working,
    containerKeys,
    list.filter((element) => !isUnassigned(element)),
  );
}

/** `emails[type eq "work"]` and `emails[type eq "work"].value`. */
function applyToSelectedElements(view: SchemaView, working: JsonObject, operation: PatchOperation, path: AttributePath, filter: ValueSelector): void {
  const { attribute, subAttribute } = path;
  const keys = attribute.scimPath;
  const list = copiedElements(getAt(working, keys));
  const selected = list.filter((element) => filter.matches(element));
  const where = `Operations[${operation.index}]`;

  if (operation.op === 'remove') {
    // Removing what is not there is a no-op, so that a retried request still succeeds.
    if (subAttribute === undefined) {
      setAt(
        working,
        keys,
        list.filter((element) => !selected.includes(element)),
      );
      return;
    }
    const name = leafName(subAttribute);
    for (const element of selected) if (isPlainObject(element)) delete element[name];
    setAt(
      working,
      keys,
      list.filter((element) => !isUnassigned(element)),
    );
    return;
  }

  const subValue = subAttribute === undefined ? undefined : canonicalSingle(view, subAttribute, operation.value);
  const elementValue = subAttribute === undefined ? canonicalSingle(view, attribute, operation.value) : undefined;
  if (subAttribute === undefined && !isPlainObject(elementValue)) {
    throw scimError.invalidValue(`${where}: "${path.text}" selects whole elements; "value" must be an object`, 'SCIM_PATCH_VALUE_NOT_OBJECT');
  }

  if (selected.length === 0) {
    // RFC 7644 §3.5.2.3: replace through a filter that matches nothing is noTarget. An add creates
    // the element the filter describes (Entra adds `phoneNumbers[type eq "mobile"].value`).
    if (operation.op === 'replace' || filter.seed === undefined) {
      throw scimError.noTarget(`${where}: no value of "${attribute.scimPath.join('.')}" matches [${filter.text}]`, 'SCIM_PATCH_NO_MATCH');
    }
    if (subAttribute !== undefined && isUnassigned(subValue)) return;
    const created: JsonObject = subAttribute === undefined ? { ...filter.seed, ...(withoutUnassigned(elementValue) as JsonObject) } : { ...filter.seed, [leafName(subAttribute)]: subValue };
    list.push(created);
    keepOnePrimary(view, attribute, list, [created]);
    setAt(working, keys, list);
    return;
  }

  const touched: unknown[] = [];
  for (const element of selected) {
    if (!isPlainObject(element)) continue;
    if (subAttribute !== undefined) {
      const name = leafName(subAttribute);
      if (!isUnassigned(subValue)) element[name] = subValue;
      else if (operation.op === 'replace') delete element[name];
    } else if (operation.op === 'add') {
      mergeObject(element, elementValue as JsonObject);
    } else {
      // RFC 7644 §3.5.2.3: "all matching record values SHALL be replaced".
      for (const key of Object.keys(element)) delete element[key];
      Object.assign(element, withoutUnassigned(elementValue));
    }
    touched.push(element);
  }
  keepOnePrimary(view, attribute, list, touched);
  setAt(
    working,
    keys,
    list.filter((element) => !isUnassigned(element)),
  );
}

/**
 * RFC 7643 §2.4: at most one value of a multi-valued attribute is primary. When the request marks
 * one primary, the others lose it (the last one the request marked wins).
 */
function keepOnePrimary(view: SchemaView, attribute: ResolvedAttribute, list: unknown[], touched: readonly unknown[]): void {
  const primary = view.resolve('primary', attribute);
  if (primary === undefined) return;
  const name = leafName(primary);
  const winner = [...touched].reverse().find((element) => isPlainObject(element) && isTrueLike(element[name]));
  if (winner === undefined) return;
  for (const element of list) {
    if (element !== winner && isPlainObject(element) && isTrueLike(element[name])) element[name] = false;
  }
}

function removeExtensionObject(working: JsonObject, schema: string): void {
  const lower = schema.toLowerCase();
  for (const key of Object.keys(working)) if (key.toLowerCase() === lower) delete working[key];
}

/** RFC 7643 §3: `schemas` lists the extensions the resource has values for. */
function syncExtensionSchemas(view: SchemaView, before: JsonObject, after: JsonObject): void {
  const schemas = after['schemas'];
  if (!Array.isArray(schemas)) return;
  for (const urn of view.extensionSchemas) {
    const listed = schemas.some((s) => typeof s === 'string' && s.toLowerCase() === urn.toLowerCase());
    const had = !isUnassigned(before[urn]);
    const has = !isUnassigned(after[urn]);
    if (has && !listed) schemas.push(urn);
    if (had && !has && listed) {
      after['schemas'] = schemas.filter((s) => !(typeof s === 'string' && s.toLowerCase() === urn.toLowerCase()));
    }
  }
}

function assignedElements(view: SchemaView, attribute: ResolvedAttribute, value: unknown): unknown[] {
  return canonicalList(view, attribute, value)
    .map(withoutUnassigned)
    .filter((element) => !isUnassigned(element));
}

/** Merges sub-attributes into the complex value at `keys`; a null sub-attribute unassigns it. */
function mergeInto(working: JsonObject, keys: readonly string[], value: JsonObject): void {
  const current = getAt(working, keys);
  const merged: JsonObject = isPlainObject(current) ? { ...current } : {};
  mergeObject(merged, value);
  setAt(working, keys, merged);
}

function mergeObject(target: JsonObject, value: JsonObject): void {
  for (const [key, member] of Object.entries(value)) {
    if (isUnassigned(member)) delete target[key];
    else target[key] = member;
  }
}

/** For Entra's remove-with-value: an element matches when it has every sub-attribute the target names. */
function contains(element: unknown, target: unknown): boolean {
  if (isPlainObject(element) && isPlainObject(target)) {
    const entries = Object.entries(target);
    return entries.length > 0 && entries.every(([key, member]) => scimEqual(element[key], member));
  }
  return scimEqual(element, target);
}

/** The elements of a multi-valued attribute as fresh objects, so they can be edited in place. */
function copiedElements(value: unknown): unknown[] {
  return asList(value).map((element) => (isPlainObject(element) ? { ...element } : element));
}

function leafName(attribute: ResolvedAttribute): string {
  const name = attribute.scimPath.at(-1);
  if (name === undefined) throw new Error('A resolved attribute has an empty scimPath');
  return name;
}
