import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importGraph, importsOf, isUnder, sourceFiles, type ImportEdge } from './import-graph';
import { modelNamesIn, modelsTouchedBy } from './model-access';

/**
 * The directions imports may run in (README, "Layout"). Protocol edges (src/scim, src/admin, the
 * console) stand on the domain and the core; the domain stands on the core and on persistence; the
 * core (the attribute model and the expression language) stands on nothing of ours but errors; only
 * persistence talks to mongoose. Tests and benchmarks are not checked: they may reach anywhere.
 */
const ROOT = join(__dirname, '..', '..');
const SOURCE_DIRS = ['src', 'workers', 'console/src'];

const CORE = ['src/attributes', 'src/expressions'];
const EDGES = ['src/scim', 'src/admin', 'src/console', 'src/http', 'console'];
const MONGO_PACKAGES = ['pkg:mongoose', 'pkg:mongodb'];

interface Rule {
  name: string;
  /** Files the rule speaks about. */
  appliesTo: (file: string) => boolean;
  /** True when an import of `target` from such a file runs against the direction. */
  refuses: (target: string) => boolean;
}

const under = (folders: readonly string[]) => (path: string) => folders.some((f) => isUnder(path, f));

const RULES: Rule[] = [
  {
    name: 'the core (src/attributes, src/expressions) imports only the core, src/errors, node and the SCIM filter parser',
    appliesTo: under(CORE),
    refuses: (target) => !under([...CORE, 'src/errors'])(target) && !target.startsWith('pkg:node:') && target !== 'pkg:scim2-parse-filter',
  },
  {
    name: 'src/domain imports neither mongoose nor a protocol edge (src/scim, src/admin, the console, HTTP) nor the queue client (bullmq, ioredis: src/queue holds it)',
    appliesTo: under(['src/domain']),
    refuses: (target) => MONGO_PACKAGES.includes(target) || under(EDGES)(target) || ['pkg:express', 'pkg:bullmq', 'pkg:ioredis'].includes(target),
  },
  {
    name: 'src/persistence imports nothing above it (domain, protocol edges)',
    appliesTo: under(['src/persistence']),
    refuses: (target) => under(['src/domain', ...EDGES])(target),
  },
  {
    name: 'only src/persistence imports mongoose',
    appliesTo: (file) => !isUnder(file, 'src/persistence'),
    refuses: (target) => MONGO_PACKAGES.includes(target),
  },
];

// No exceptions: the last two (mongoose's Model type in the SCIM list, express's Application type
// beside the queue inspector) went with the repositories and the inspector's move to src/queue.
function violations(edges: readonly ImportEdge[], rule: Rule): string[] {
  return edges.filter((e) => rule.appliesTo(e.from) && rule.refuses(e.target)).map((e) => `${e.from}:${e.line} imports ${e.target.replace(/^pkg:/, '')}${e.typeOnly ? ' (type only)' : ''}`);
}

describe('import directions', () => {
  const edges = importGraph(ROOT, SOURCE_DIRS);

  it('reads the source tree (sanity: the rule engine imports the expression core)', () => {
    expect(edges.some((e) => e.from === 'src/domain/rules/compile-rule.ts' && isUnder(e.target, 'src/expressions'))).toBe(true);
  });

  it.each(RULES.map((rule) => [rule.name, rule] as const))('%s', (_name, rule) => {
    expect(violations(edges, rule)).toEqual([]);
  });

  describe('when a file imports against the directions', () => {
    const check = (from: string, text: string) => RULES.flatMap((rule) => violations(importsOf(from, text), rule));

    it('then a domain file importing mongoose or the SCIM edge is reported', () => {
      expect(check('src/domain/groups/x.ts', "import mongoose from 'mongoose';\nimport { a } from '../../scim/http/router';")).toEqual([
        'src/domain/groups/x.ts:1 imports mongoose',
        'src/domain/groups/x.ts:2 imports src/scim/http/router',
        'src/domain/groups/x.ts:1 imports mongoose',
      ]);
    });

    it('then a core file importing the domain, persistence or SCIM (even type-only, or by require) is reported', () => {
      const text = "import type { Models } from '../persistence/models';\nconst r = require('../domain/rules');\nexport { x } from '../scim/patch';";
      expect(check('src/expressions/x.ts', text)).toEqual([
        'src/expressions/x.ts:1 imports src/persistence/models (type only)',
        'src/expressions/x.ts:2 imports src/domain/rules',
        'src/expressions/x.ts:3 imports src/scim/patch',
      ]);
    });

    it('then a domain file importing the queue client is reported', () => {
      expect(check('src/domain/sync/x.ts', "import { Queue } from 'bullmq';\nimport type IORedis from 'ioredis';")).toEqual([
        'src/domain/sync/x.ts:1 imports bullmq',
        'src/domain/sync/x.ts:2 imports ioredis (type only)',
      ]);
    });

    it('then imports in comments and strings are not counted', () => {
      expect(check('src/domain/x.ts', "// import mongoose from 'mongoose'\nconst s = \"from '../scim/http'\";")).toEqual([]);
    });
  });
});

/**
 * Only src/persistence touches mongoose models: the domain, the protocol edges, the auth and
 * observability code and the sync worker call the repository of each collection (repositoriesOf),
 * so a query's shape, and the index that must serve it, is decided in one place.
 */
describe('collections are reached only through their repositories', () => {
  const modelNames = modelNamesIn(readFileSync(join(ROOT, 'src/persistence/models.ts'), 'utf8'));
  const outsidePersistence = sourceFiles(ROOT, SOURCE_DIRS).filter((file) => !isUnder(file, 'src/persistence'));

  it('reads the source tree and the model names (sanity: the sweeper and the domain are among the files)', () => {
    expect(outsidePersistence).toEqual(expect.arrayContaining(['workers/sweeper.ts', 'src/domain/groups/groups.ts', 'src/scim/service/queries.ts']));
    expect(modelNames.has('User') && modelNames.has('PendingChange')).toBe(true);
  });

  it('no file outside src/persistence touches a model', () => {
    const touching = outsidePersistence.flatMap((file) => modelsTouchedBy(file, readFileSync(join(ROOT, file), 'utf8'), modelNames).map((m) => `${file}: ${m}`));
    expect(touching).toEqual([]);
  });

  it('when a file queries a model, then it is reported', () => {
    const text = 'export const f = (deps: D) => deps.models.User.find({}); const { Role } = models; models.Group.collection; m.Rule.collection.find();';
    expect(modelsTouchedBy('src/domain/x.ts', text, modelNames)).toEqual(['Group', 'Role', 'Rule', 'User']);
    expect(modelsTouchedBy('src/domain/x.ts', 'repositoriesOf(models).scimTokens.listOfTenant(t);')).toEqual([]);
  });
});
