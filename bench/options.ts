/**
 * Command-line options of `npm run bench`. The defaults are the issues' full sizes, on MongoDB and
 * on the embedded server alike; --quick shrinks everything for a smoke run; explicit flags win.
 */
export interface BenchOptions {
  /** Users seeded in the tenant (the filter and list scenarios read among them). */
  users: number;
  /** Members of the big group (the excludedAttributes=members scenario). */
  groupSize: number;
  /** Members added by one PATCH. */
  patchMembers: number;
  /** Upper bound on each measured run, in seconds (runs also stop at their operation count). */
  durationSeconds: number;
  /** Requests in flight at once on the scenarios other than PATCH. */
  connections: number;
  /** PATCH requests per side; each adds `patchMembers` new members to a fresh group. */
  patchOps: number;
  /** Users the IdP first-import scenario provisions (lookup then create each). */
  importUsers: number;
  /** Users of the sync suite's rule-change scenario (default 100,000; quick 5,000). */
  ruleChangeUsers?: number;
  /** user.changed jobs of the sync suite's job scenarios (default 5,000; quick 500). */
  syncJobs?: number;
  /** Run only this suite (`sync`: the identity-sync worker), not all four. */
  suite?: 'sync';
  jsonFile?: string;
  quick: boolean;
}

type Sizes = Omit<BenchOptions, 'quick' | 'jsonFile' | 'suite' | 'ruleChangeUsers' | 'syncJobs'>;
export type Backend = 'mongodb' | 'embedded';

export interface ParsedArgs {
  explicit: Partial<Sizes>;
  quick: boolean;
  jsonFile?: string;
  suite?: 'sync';
  ruleChangeUsers?: number;
  syncJobs?: number;
}

const DEFAULTS: Sizes = { users: 10_000, groupSize: 100_000, patchMembers: 10_000, patchOps: 5, importUsers: 10_000, durationSeconds: 10, connections: 8 };

const QUICK: Sizes = { users: 500, groupSize: 10_000, patchMembers: 200, patchOps: 2, importUsers: 500, durationSeconds: 2, connections: 8 };

export const USAGE = `usage: npm run bench -- [options]

                                                       default / --quick
  --users N          users seeded in the tenant                 10000 / 500
  --group-size N     members of the large group                 100000 / 10000
  --patch-members N  members added by one PATCH (<= --users)    10000 / 200
  --patch-ops N      PATCH requests measured per side           5 / 2
  --import-users N   users of the IdP first-import scenario     10000 / 500
  --duration S       time bound of each measured run, seconds   10 / 2
  --connections N    requests in flight (except PATCH: 1)       8 (the import: 16)
  --suite sync       only the identity-sync suite (the worker)
  --rule-change-users N  users of the sync rule-change scenario 100000 / 5000
  --sync-jobs N      user.changed jobs per sync job scenario    5000 / 500
  --quick            small sizes and short runs (a smoke test)
  --json FILE        also write the results as JSON to FILE
  --help             this text

MONGODB_URI / REDIS_URL, when set, name the servers to use (a database bench_<random> is
created and dropped on them); otherwise the embedded MongoDB and Redis are started or reused.`;

export class UsageError extends Error {}

const NUMERIC: Record<string, keyof Sizes> = {
  '--users': 'users',
  '--group-size': 'groupSize',
  '--patch-members': 'patchMembers',
  '--patch-ops': 'patchOps',
  '--import-users': 'importUsers',
  '--duration': 'durationSeconds',
  '--connections': 'connections',
};

/** Returns null for --help. */
export function parseArgs(argv: readonly string[]): ParsedArgs | null {
  const explicit: Partial<Sizes> = {};
  let quick = false;
  let jsonFile: string | undefined;
  let suite: 'sync' | undefined;
  const sync: { ruleChangeUsers?: number; syncJobs?: number } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const [flag, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--help' || flag === '-h') return null;
    if (flag === '--quick') quick = true;
    else if (flag === '--json') jsonFile = value();
    else if (flag === '--suite') {
      const v = value();
      if (v !== 'sync') throw new UsageError(`--suite must be "sync", got "${v}"`);
      suite = v;
    } else if (flag === '--rule-change-users' || flag === '--sync-jobs') {
      const raw = value();
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive whole number, got "${raw}"`);
      sync[flag === '--sync-jobs' ? 'syncJobs' : 'ruleChangeUsers'] = n;
    } else if (flag in NUMERIC) {
      const raw = value();
      const n = Number(raw);
      const key = NUMERIC[flag]!;
      const valid = key === 'durationSeconds' ? Number.isFinite(n) && n > 0 : Number.isSafeInteger(n) && n >= 1;
      if (!valid) throw new UsageError(`${flag} must be a positive ${key === 'durationSeconds' ? 'number' : 'whole number'}, got "${raw}"`);
      explicit[key] = n;
    } else {
      throw new UsageError(`unknown option "${arg}"`);
    }
  }
  return { explicit, quick, jsonFile, ...(suite ? { suite } : {}), ...sync };
}

/** The sizes: explicit flags, else --quick's, else the defaults. */
export function resolveOptions(args: ParsedArgs): BenchOptions {
  const base = args.quick ? QUICK : DEFAULTS;
  const options: BenchOptions = {
    ...base,
    ...args.explicit,
    quick: args.quick,
    jsonFile: args.jsonFile,
    ...(args.suite ? { suite: args.suite } : {}),
    ...(args.ruleChangeUsers ? { ruleChangeUsers: args.ruleChangeUsers } : {}),
    ...(args.syncJobs ? { syncJobs: args.syncJobs } : {}),
  };
  if (options.patchMembers > options.users) {
    throw new UsageError(`--patch-members (${options.patchMembers}) cannot exceed --users (${options.users}): a PATCH may only add existing users`);
  }
  return options;
}
