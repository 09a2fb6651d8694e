export * from './ast';
export { parseFilter, MAX_FILTER_LENGTH, MAX_FILTER_DEPTH } from './parse-filter';
export { bindFilter, bindValueFilter, type BindOptions } from './bind-filter';
export { compilePredicate, compileValueFilterPredicate, predicateFor, predicateWith, RESOURCE_READER, type PredicateReader, type ResourcePredicate } from './compile-predicate';
export { compileToMongo, mongoFilterFor, escapeRegex, isStoredPath, type MongoFilter, type MongoCompileOptions } from './compile-mongo';
export { compileSort, type MongoSort } from './compile-sort';
