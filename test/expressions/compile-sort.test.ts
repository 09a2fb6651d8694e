import { AppError } from '../../src/errors/app-error';
import { compileSort } from '../../src/expressions';
import type { SchemaView } from '../../src/attributes/types';
import { USER_VIEWS } from './views';

describe.each(USER_VIEWS)('compileSort (%s)', (_name, view: SchemaView) => {
  it('sorts ascending by default and appends _id as a tie-breaker', () => {
    expect(compileSort(view, 'title')).toEqual({ 'attrs.title': 1, _id: 1 });
  });

  it('uses the lower-cased shadow of a case-insensitive attribute', () => {
    expect(compileSort(view, 'userName', 'descending')).toEqual({ 'lc.userName': -1, _id: -1 });
    expect(compileSort(view, 'emails.value')).toEqual({ 'lc.emails': 1, _id: 1 });
  });

  it('reads sortOrder in any case and maps meta dates to their stored fields', () => {
    expect(compileSort(view, 'meta.lastModified', 'Descending')).toEqual({ updatedAt: -1, _id: -1 });
  });

  it('sorts by _id alone for id, and when no sortBy is given', () => {
    expect(compileSort(view, 'id', 'descending')).toEqual({ _id: -1 });
    expect(compileSort(view, undefined)).toEqual({ _id: 1 });
  });

  it.each([
    ['an unknown attribute', 'shoeSize', undefined, 'SCIM_INVALID_SORT_BY'],
    ['a complex attribute', 'name', undefined, 'SCIM_INVALID_SORT_BY'],
    ['an attribute not stored on the document', 'groups.value', undefined, 'SCIM_INVALID_SORT_BY'],
    ['an unknown sortOrder', 'userName', 'up', 'SCIM_INVALID_SORT_ORDER'],
  ])('refuses %s with 400 invalidValue', (_what, sortBy, sortOrder, code) => {
    let error: unknown;
    try {
      compileSort(view, sortBy, sortOrder);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue', code });
  });
});
