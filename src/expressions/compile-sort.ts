import { scimError } from '../errors/app-error';
import type { SchemaView } from '../attributes/types';
import { isStoredPath } from './compile-mongo';

export type MongoSort = Record<string, 1 | -1>;

/**
 * `sortBy` / `sortOrder` (RFC 7644 §3.4.2.3) to a MongoDB sort. Ascending is the default;
 * `_id` is always appended (same direction) so that the order is total and pages are stable.
 * An unknown or unsortable `sortBy`, or a `sortOrder` other than ascending/descending, is a 400
 * invalidValue (§3.12: "the value specified was not compatible with the operation").
 *
 * Known differences from the RFC, kept because the embedded server has no collation and sorts
 * are never computed ($expr) but index-served:
 *  - a case-insensitive attribute is ordered by its lower-cased shadow when it has one
 *    (userName, displayName, emails.value), otherwise by its raw value (case-sensitive);
 *  - documents without the attribute come first in ascending order (the RFC puts them last);
 *  - a multi-valued attribute sorts by its smallest value (ascending) or largest (descending),
 *    not by its primary value.
 */
export function compileSort(view: SchemaView, sortBy?: string, sortOrder?: string): MongoSort {
  const direction = sortDirection(sortOrder);
  if (sortBy === undefined || sortBy.trim() === '') return { _id: direction };
  const resolved = view.resolve(sortBy.trim());
  if (resolved === undefined) {
    throw scimError.invalidValue(`Cannot sort by "${sortBy}": no such attribute on ${view.resourceType}`, 'SCIM_INVALID_SORT_BY');
  }
  if (resolved.definition.type === 'complex') {
    throw scimError.invalidValue(
      `Cannot sort by the complex attribute "${sortBy}"; name one of its sub-attributes (e.g. "${sortBy}.${resolved.definition.subAttributes?.[0]?.name ?? 'value'}")`,
      'SCIM_INVALID_SORT_BY',
    );
  }
  const path = resolved.mongoPath;
  if (!isStoredPath(path)) {
    throw scimError.invalidValue(`Cannot sort by "${sortBy}": it is not stored on the resource`, 'SCIM_INVALID_SORT_BY');
  }
  const key = !resolved.definition.caseExact && resolved.lowerShadowPath !== undefined ? resolved.lowerShadowPath : path;
  return key === '_id' ? { _id: direction } : { [key]: direction, _id: direction };
}

function sortDirection(sortOrder: string | undefined): 1 | -1 {
  if (sortOrder === undefined || sortOrder === '') return 1;
  switch (sortOrder.toLowerCase()) {
    case 'ascending':
      return 1;
    case 'descending':
      return -1;
    default:
      throw scimError.invalidValue(`sortOrder must be "ascending" or "descending", not "${sortOrder}"`, 'SCIM_INVALID_SORT_ORDER');
  }
}
