import { loadSchemaRegistry } from '../../src/attributes/registry';
import type { SchemaView } from '../../src/attributes/types';
import { fakeGroupView, fakeUserView } from './fake-view';

/** The compilers depend only on SchemaView: the semantic tests run on the real registry's views
 *  and on the hand-written fake (fake-view.ts), which follows the same storage convention. */
export const USER_VIEWS: [string, SchemaView][] = [
  ['registry', loadSchemaRegistry().view('User')],
  ['fake view', fakeUserView],
];

export const GROUP_VIEWS: [string, SchemaView][] = [
  ['registry', loadSchemaRegistry().view('Group')],
  ['fake view', fakeGroupView],
];

export const registryUserView = loadSchemaRegistry().view('User');
export const registryGroupView = loadSchemaRegistry().view('Group');
