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
    refuses: (target) =>
      !under([...CORE, 'src/errors'])(target) && !target.startsWith('pkg:node:') && target !== 'pkg:scim2-parse-filter',
  },
  {
    name: 'src/domain imports neither mongoose nor a protocol edge (src/scim, src/admin, the console, HTTP)',
    appliesTo: under(['src/domain']),
    refuses: (target) => MONGO_PACKAGES.includes(target) || under(EDGES)(target) || target === 'pkg:express',
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

/**
 * Known exceptions, each type-only (erased at compile time) and each with its reason. An entry
 * that no longer matches an import fails the test too, so the list only shrinks.
 */
const ALLOWED: { from: string; target: string; why: string }[] = [
  // runListQuery takes the collection's model (Model<D>) and runs the list on it; the query itself is
  // built by the expression core. Owning it in a repository is the repositories' step.
  { from: 'src/scim/service/list-query.ts', target: 'pkg:mongoose', why: 'type Model of the listed collection' },
  // The queue inspector is found on the express app (app.locals) by the admin routes and the worker.
  { from: 'src/domain/sync/inspector-locator.ts', target: 'pkg:express', why: 'type Application holding the inspector' },
];

const isAllowed = (edge: ImportEdge) => edge.typeOnly && ALLOWED.some((a) => a.from === edge.from && a.target === edge.target);

function violations(edges: readonly ImportEdge[], rule: Rule): string[] {
  return edges
    .filter((e) => rule.appliesTo(e.from) && rule.refuses(e.target) && !isAllowed(e))
    .map((e) => `${e.from}:${e.line} imports ${e.target.replace(/^pkg:/, '')}${e.typeOnly ? ' (type only)' : ''}`);
}

describe('import directions', () => {
  const edges = importGraph(ROOT, SOURCE_DIRS);

  it('reads the source tree (sanity: the rule engine imports the expression core)', () => {
    expect(edges.some((e) => e.from === 'src/domain/rules/compile-rule.ts' && isUnder(e.target, 'src/expressions'))).toBe(true);
  });

  it.each(RULES.map((rule) => [rule.name, rule] as const))('%s', (_name, rule) => {
    expect(violations(edges, rule)).toEqual([]);
  });

  it('every allow-list entry is still needed', () => {
    const stale = ALLOWED.filter((a) => !edges.some((e) => e.from === a.from && e.target === a.target && isAllowed(e)));
    expect(stale).toEqual([]);
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

    it('then an allow-listed file importing mongoose for more than types is reported', () => {
      expect(check('src/scim/service/list-query.ts', "import mongoose from 'mongoose';")).toEqual([
        'src/scim/service/list-query.ts:1 imports mongoose',
      ]);
    });

    it('then imports in comments and strings are not counted', () => {
      expect(check('src/domain/x.ts', "// import mongoose from 'mongoose'\nconst s = \"from '../scim/http'\";")).toEqual([]);
    });
  });
});

/**
 * Domain files that still reach into mongoose models instead of calling a repository of
 * src/persistence (repositoriesOf), with the models each still touches. Users and groups are not
 * moved yet; membership-changes.ts keeps one insert on the model because
 * test/workers/rule-changed.test.ts intercepts it there. Every other collection is reached only
 * through its repository. The list is exact: a new file or a new model in a listed file fails, and
 * so does an entry that is no longer true (it must shrink with the code).
 */
const DOMAIN_FILES_STILL_ON_MODELS: Record<string, string[]> = {
  'src/domain/permissions/engine.ts': ['Group', 'User'],
  'src/domain/permissions/resources.ts': ['Group'],
  'src/domain/permissions/roles.ts': ['Group', 'User'],
  'src/domain/recovery/pending-changes.ts': ['Group', 'User'],
  'src/domain/recovery/pending-group-changes.ts': ['Group', 'User'],
  'src/domain/rules/rule-groups.ts': ['Group'],
  'src/domain/sync/audience-cleanup.ts': ['Group'],
  'src/domain/sync/evaluate-user.ts': ['User'],
  'src/domain/sync/membership-changes.ts': ['Membership'],
  'src/domain/sync/reevaluation.ts': ['User'],
  'src/domain/sync/rule-matches.ts': ['User'],
  'src/domain/sync/rule-preview.ts': ['Group'],
  'src/domain/sync/rule-run.ts': ['Group'],
  'src/domain/sync/rule-set.ts': ['Group'],
  'src/domain/sync/rule-validation.ts': ['Group'],
  'src/domain/sync/rules-service.ts': ['Group'],
  'src/domain/sync/sync-status.ts': ['Group', 'User'],
  'src/domain/tenants.ts': ['Group'],
};

describe('the domain reaches collections only through repositories', () => {
  const modelNames = modelNamesIn(readFileSync(join(ROOT, 'src/persistence/models.ts'), 'utf8'));
  const touching = new Map(
    sourceFiles(ROOT, ['src/domain'])
      .map((file) => [file, modelsTouchedBy(file, readFileSync(join(ROOT, file), 'utf8'), modelNames)] as const)
      .filter(([, models]) => models.length > 0),
  );

  it('no domain file touches a model beyond the list', () => {
    const beyond = [...touching].flatMap(([file, models]) => models.filter((m) => !(DOMAIN_FILES_STILL_ON_MODELS[file] ?? []).includes(m)).map((m) => `${file}: ${m}`));
    expect(beyond).toEqual([]);
  });

  it('every listed file still touches each model listed for it', () => {
    const stale = Object.entries(DOMAIN_FILES_STILL_ON_MODELS).flatMap(([file, models]) =>
      models.filter((m) => !(touching.get(file) ?? []).includes(m)).map((m) => `${file}: ${m}`),
    );
    expect(stale).toEqual([]);
  });

  it('reads the model names', () => {
    expect(modelNames.has('User') && modelNames.has('PendingChange')).toBe(true);
  });

  it('when a domain file queries a model, then it is reported', () => {
    const text = 'export const f = (deps: D) => deps.models.User.find({}); const { Role } = models; models.Group.collection; m.Rule.collection.find();';
    expect(modelsTouchedBy('src/domain/x.ts', text, modelNames)).toEqual(['Group', 'Role', 'Rule', 'User']);
    expect(modelsTouchedBy('src/domain/x.ts', 'repositoriesOf(models).scimTokens.listOfTenant(t);')).toEqual([]);
  });
});
