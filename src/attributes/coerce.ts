import { scimError } from '../errors/app-error';
import { findByName } from './view';
import type { AttributeDefinition } from './types';

/**
 * Type checking and coercion of incoming attribute values against their RFC 7643 §2.3 data type,
 * with the leniencies real IdP clients need (Entra sends booleans as "True"/"False", some clients
 * send numbers as strings). The result is what we store; `undefined` means "unassigned".
 */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalidType(label: string, expected: string, value: unknown): never {
  const shown = JSON.stringify(value);
  const preview = shown !== undefined && shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
  throw scimError.invalidValue(`Attribute '${label}' must be ${expected}, got ${preview}`, 'SCIM_INVALID_TYPE');
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** xsd:dateTime (RFC 7643 §2.3.5): date, time, optional fraction and optional offset. */
const XSD_DATE_TIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** Coerce one value of a non-complex type. */
export function coerceSimple(definition: AttributeDefinition, raw: unknown, label: string): unknown {
  switch (definition.type) {
    case 'string':
      if (typeof raw === 'string') return raw;
      // An IdP attribute typed as a number on its side (employee numbers) is still a string here.
      if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
      return invalidType(label, 'a string', raw);
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string') {
        const text = raw.trim().toLowerCase();
        if (text === 'true') return true;
        if (text === 'false') return false;
      }
      return invalidType(label, 'a boolean', raw);
    case 'integer': {
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
      if (typeof raw === 'string' && INTEGER_TEXT.test(raw.trim())) {
        const n = Number(raw.trim());
        if (Number.isSafeInteger(n)) return n;
      }
      return invalidType(label, 'an integer', raw);
    }
    case 'decimal':
      if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
      if (typeof raw === 'string' && DECIMAL_TEXT.test(raw.trim())) return Number(raw.trim());
      return invalidType(label, 'a decimal number', raw);
    case 'dateTime':
      // Kept as sent (Entra compares what it reads back with what it sent), once it parses.
      if (typeof raw === 'string' && XSD_DATE_TIME.test(raw) && !Number.isNaN(Date.parse(raw))) return raw;
      return invalidType(label, 'an xsd:dateTime such as 2024-05-01T09:30:00Z', raw);
    case 'reference':
      if (typeof raw === 'string') return raw;
      return invalidType(label, 'a URI string', raw);
    case 'binary':
      if (typeof raw === 'string' && BASE64.test(raw)) return raw;
      return invalidType(label, 'a base64-encoded string', raw);
    case 'complex':
      return coerceComplex(definition, raw, label);
  }
}

/** A complex value: canonical sub-attribute names, unknown and readOnly sub-attributes dropped. */
function coerceComplex(definition: AttributeDefinition, raw: unknown, label: string): unknown {
  let value = raw;
  // A singular complex attribute with a `value` sub-attribute given as its bare value: Entra
  // sends the enterprise manager as "manager": "<id>".
  const acceptsBareValue = !definition.multiValued && findByName(definition.subAttributes, 'value') !== undefined;
  if (!isPlainObject(value) && acceptsBareValue && (typeof value === 'string' || typeof value === 'number')) {
    value = { value };
  }
  if (!isPlainObject(value)) return invalidType(label, 'an object', raw);
  const out: Record<string, unknown> = {};
  for (const [key, subRaw] of Object.entries(value)) {
    const sub = findByName(definition.subAttributes, key);
    if (!sub || sub.mutability === 'readOnly') continue;
    const coerced = coerceAttributeValue(sub, subRaw, `${label}.${sub.name}`);
    if (coerced === undefined) delete out[sub.name];
    else out[sub.name] = coerced;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Coerce a whole attribute value, single- or multi-valued. null, [] and {} mean unassigned
 * (RFC 7643 §2.5) and give undefined.
 */
export function coerceAttributeValue(definition: AttributeDefinition, raw: unknown, label: string): unknown {
  if (raw === null || raw === undefined) return undefined;
  if (definition.multiValued) {
    // A lone value where a list is expected is taken as a one-element list.
    const items = Array.isArray(raw) ? raw : [raw];
    const out: unknown[] = [];
    for (const item of items) {
      if (item === null || item === undefined) continue;
      if (Array.isArray(item)) invalidType(label, 'a list of single values', raw);
      const coerced = coerceSimple(definition, item, label);
      if (coerced !== undefined) out.push(coerced);
    }
    return out.length > 0 ? out : undefined;
  }
  if (Array.isArray(raw)) {
    // Entra PATCHes the singular manager with a one-element array; unwrap that, refuse more.
    if (raw.length === 0) return undefined;
    if (raw.length > 1) return invalidType(label, 'a single value', raw);
    return coerceAttributeValue(definition, raw[0], label);
  }
  return coerceSimple(definition, raw, label);
}
