export * from './ast';
export { parseFilter, MAX_FILTER_LENGTH, MAX_FILTER_DEPTH } from './parse-filter';
export { bindFilter, bindValueFilter } from './bind-filter';
export {
  compilePredicate,
  compileValueFilterPredicate,
  predicateFor,
  type ResourcePredicate,
} from './compile-predicate';
export { compileToMongo, mongoFilterFor, escapeRegex, type MongoFilter } from './compile-mongo';
export { compileSort, type MongoSort } from './compile-sort';
