import { scimError } from '../../errors/app-error';
import type { ResolvedAttribute, SchemaView } from '../../attributes/types';
import { memberIdsFromValue } from './member-delta';
import { matchSchemaUrn, parsePatchPath, type ParsedPath } from './patch-path';
import { isPlainObject, type JsonObject } from './scim-json';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type PatchOpName = 'add' | 'remove' | 'replace';

/**
 * One validated operation. Every operation has a path: an add/replace without a path (its value
 * an object of attributes, RFC 7644 §3.5.2.1/§3.5.2.3) is expanded into one operation per key,
 * marked `implicit`. Entra's dotted keys ("name.givenName") and URN-qualified keys are paths too.
 */
export interface PatchOperation {
  op: PatchOpName;
  path: ParsedPath;
  /** The value as the client sent it; absent for remove without a value. */
  value?: unknown;
  /**
   * Group members operations: the member ids named by the value or by `members[value eq "…"]`.
   * Undefined on a remove means "all members" (RFC 7644 §3.5.2.2: remove of `members`, no value).
   */
  memberIds?: string[];
  /**
   * Expanded from a path-less value object. A readOnly attribute there (Okta's group rename sends
   * the group `id`) is ignored when it would not change anything, instead of being a 400.
   */
  implicit: boolean;
  /** Position in `Operations`, for messages. */
  index: number;
}

/**
 * Validates a PatchOp message (RFC 7644 §3.5.2) and resolves its paths against the schema.
 * Errors are 400s with the RFC 7644 §3.12 scimType: invalidSyntax for the message structure,
 * invalidPath for unknown attributes, noTarget for a remove without path, invalidValue for a
 * missing value, mutability for readOnly targets and required removals.
 */
export function parsePatchRequest(body: unknown, view: SchemaView): PatchOperation[] {
  if (!isPlainObject(body)) {
    throw scimError.invalidSyntax('The PATCH body must be a PatchOp JSON object', 'SCIM_PATCH_BODY');
  }
  const schemas = member(body, 'schemas');
  const lowerSchema = PATCH_OP_SCHEMA.toLowerCase();
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.trim().toLowerCase() === lowerSchema)) {
    throw scimError.invalidSyntax(`"schemas" must contain "${PATCH_OP_SCHEMA}"`, 'SCIM_PATCH_SCHEMA');
  }
  const operations = member(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw scimError.invalidSyntax('"Operations" must be a non-empty array', 'SCIM_PATCH_NO_OPERATIONS');
  }
  return operations.flatMap((operation, index) => parseOperation(view, operation, index));
}

function parseOperation(view: SchemaView, raw: unknown, index: number): PatchOperation[] {
  const where = `Operations[${index}]`;
  if (!isPlainObject(raw)) throw scimError.invalidSyntax(`${where} must be an object`, 'SCIM_PATCH_OPERATION');

  const opText = member(raw, 'op');
  // RFC 7644 §3.5.2: op values are case-insensitive; Entra sends "Add", "Replace", "Remove".
  const op = typeof opText === 'string' ? opText.trim().toLowerCase() : undefined;
  if (op !== 'add' && op !== 'remove' && op !== 'replace') {
    throw scimError.invalidSyntax(`${where}: "op" must be "add", "remove" or "replace"`, 'SCIM_PATCH_OP');
  }

  const pathText = member(raw, 'path');
  if (pathText !== undefined && pathText !== null && typeof pathText !== 'string') {
    throw scimError.invalidPath(`${where}: "path" must be a string`, 'SCIM_PATCH_MALFORMED_PATH');
  }
  const hasPath = typeof pathText === 'string' && pathText.trim() !== '';
  const hasValue = hasMember(raw, 'value');
  const value = member(raw, 'value');

  if (op === 'remove') {
    if (!hasPath) {
      throw scimError.noTarget(`${where}: "remove" needs a "path" (RFC 7644 §3.5.2.2)`, 'SCIM_PATCH_REMOVE_NO_PATH');
    }
    return [parseRemove(parsePatchPath(view, pathText), hasValue ? value : undefined, index)];
  }

  if (!hasValue) {
    throw scimError.invalidValue(`${where}: "${op}" needs a "value"`, 'SCIM_PATCH_VALUE_MISSING');
  }
  if (!hasPath) return expandValueObject(view, op, value, index, undefined);

  const path = parsePatchPath(view, pathText);
  switch (path.kind) {
    case 'extension':
      return expandValueObject(view, op, value, index, path.schema);
    case 'members':
      if (path.filterIds !== undefined) {
        throw scimError.invalidPath(`${where}: "${op}" cannot use a members filter; send the members as the value`, 'SCIM_PATCH_MEMBER_FILTER_WRITE');
      }
      return [{ op, path, value, memberIds: memberIdsFromValue(value, where), implicit: false, index }];
    case 'attribute':
      assertWritable(path, where);
      return [{ op, path, value, implicit: false, index }];
  }
}

function parseRemove(path: ParsedPath, value: unknown, index: number): PatchOperation {
  const where = `Operations[${index}]`;
  const operation: PatchOperation = { op: 'remove', path, implicit: false, index };
  if (value !== undefined && value !== null) operation.value = value;
  if (path.kind === 'members') {
    // Entra's remove form carries the members to remove as a value instead of a filter. Without
    // either, every member goes (RFC 7644 §3.5.2.2); with a value, only the listed ones.
    if (path.filterIds !== undefined) operation.memberIds = path.filterIds;
    else if (operation.value !== undefined) operation.memberIds = memberIdsFromValue(operation.value, where);
  } else if (path.kind === 'attribute') {
    assertWritable(path, where);
    const removed = path.subAttribute ?? (path.filter === undefined ? path.attribute : undefined);
    if (removed?.definition.required) {
      throw scimError.mutability(`${where}: "${path.text}" is required and cannot be removed (RFC 7644 §3.5.2.2)`, 'SCIM_PATCH_REMOVE_REQUIRED');
    }
  }
  return operation;
}

/**
 * An add/replace whose value is an object of attributes: without a path (the resource itself) or
 * with an extension URN as path. Each key becomes its own operation. Keys may be attribute names,
 * dotted sub-attribute paths, URN-qualified paths, or an extension URN holding an object.
 */
function expandValueObject(view: SchemaView, op: 'add' | 'replace', value: unknown, index: number, extension: string | undefined): PatchOperation[] {
  const where = `Operations[${index}]`;
  if (extension !== undefined && value === null) {
    return op === 'replace' ? [removeExtension(extension, index)] : [];
  }
  if (!isPlainObject(value)) {
    throw scimError.invalidValue(`${where}: without a path, "value" must be an object of attributes`, 'SCIM_PATCH_VALUE_NOT_OBJECT');
  }
  const entries: [string, unknown][] = extension === undefined ? Object.entries(value) : Object.entries(value).map(([key, v]) => [`${extension}:${key}`, v]);

  const operations: PatchOperation[] = [];
  for (const [key, keyValue] of entries) {
    if (extension === undefined && key.trim().toLowerCase() === 'schemas') continue; // structural, managed by the server
    const urn = extension === undefined ? matchSchemaUrn(view, key) : undefined;
    if (urn !== undefined) {
      operations.push(...expandSchemaKey(view, op, urn, keyValue, index));
      continue;
    }
    operations.push(implicitOperation(view, op, key, keyValue, index));
  }
  return operations;
}

/** `"urn:…:enterprise:2.0:User": {"department": "x"}` inside a path-less value. */
function expandSchemaKey(view: SchemaView, op: 'add' | 'replace', urn: string, value: unknown, index: number): PatchOperation[] {
  const isCore = urn === view.coreSchema;
  if (value === null && !isCore) return op === 'replace' ? [removeExtension(urn, index)] : [];
  if (!isPlainObject(value)) {
    throw scimError.invalidValue(`Operations[${index}]: "${urn}" must hold an object of attributes`, 'SCIM_PATCH_VALUE_NOT_OBJECT');
  }
  return Object.entries(value).map(([key, v]) => implicitOperation(view, op, isCore ? key : `${urn}:${key}`, v, index));
}

function implicitOperation(view: SchemaView, op: 'add' | 'replace', pathText: string, value: unknown, index: number): PatchOperation {
  const path = parsePatchPath(view, pathText);
  if (path.kind === 'members') {
    if (path.filterIds !== undefined) {
      throw scimError.invalidPath(`Operations[${index}]: "${pathText}" cannot select members in a value`, 'SCIM_PATCH_MEMBER_FILTER_WRITE');
    }
    return { op, path, value, memberIds: memberIdsFromValue(value, `Operations[${index}]`), implicit: true, index };
  }
  if (path.kind === 'extension') {
    throw scimError.invalidPath(`Operations[${index}]: "${pathText}" is not an attribute`, 'SCIM_PATCH_UNKNOWN_ATTRIBUTE');
  }
  return { op, path, value, implicit: true, index };
}

function removeExtension(schema: string, index: number): PatchOperation {
  return { op: 'remove', path: { kind: 'extension', text: schema, schema }, implicit: true, index };
}

/** RFC 7644 §3.5.2: a client MUST NOT modify a readOnly attribute (id, meta, groups). */
function assertWritable(path: Extract<ParsedPath, { kind: 'attribute' }>, where: string): void {
  if (isReadOnly(path.attribute) || path.subAttribute?.definition.mutability === 'readOnly') {
    throw scimError.mutability(`${where}: "${path.text}" is readOnly`, 'SCIM_PATCH_READ_ONLY');
  }
}

export function isReadOnly(attribute: ResolvedAttribute): boolean {
  return attribute.definition.mutability === 'readOnly' || attribute.parent?.mutability === 'readOnly';
}

/** Member names of the PatchOp message are case-insensitive like all SCIM attribute names. */
function member(object: JsonObject, name: string): unknown {
  if (name in object) return object[name];
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}

function hasMember(object: JsonObject, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(object).some((k) => k.toLowerCase() === lower);
}
