/**
 * Command-line options of `npm run bench`. On MongoDB the defaults are the sizes. On
 * FerretDB (the local dev backend) they are scaled down where the backend makes the sizes
 * take hours: FerretDB 1.24 pushes down only `_id` equality in find, and not even that in updates,
 * so every upsert of a membership scans the memberships collection (docs/benchmarks.md).
 * --quick shrinks everything for a smoke run; explicit flags always win.
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
  jsonFile?: string;
  quick: boolean;
}

type Sizes = Omit<BenchOptions, 'quick' | 'jsonFile'>;
export type Backend = 'mongodb' | 'ferretdb';

export interface ParsedArgs {
  explicit: Partial<Sizes>;
  quick: boolean;
  jsonFile?: string;
}

const DEFAULTS: Record<Backend, Sizes> = {
  mongodb: { users: 10_000, groupSize: 100_000, patchMembers: 10_000, patchOps: 5, durationSeconds: 10, connections: 8 },
  ferretdb: { users: 1_000, groupSize: 100_000, patchMembers: 1_000, patchOps: 3, durationSeconds: 10, connections: 8 },
};

const QUICK: Sizes = { users: 500, groupSize: 10_000, patchMembers: 200, patchOps: 2, durationSeconds: 2, connections: 8 };

export const USAGE = `usage: npm run bench -- [options]

                                                       default: MongoDB / FerretDB / --quick
  --users N          users seeded in the tenant                 10000 / 1000 / 500
  --group-size N     members of the large group                 100000 / 100000 / 10000
  --patch-members N  members added by one PATCH (<= --users)    10000 / 1000 / 200
  --patch-ops N      PATCH requests measured per side           5 / 3 / 2
  --duration S       time bound of each measured run, seconds   10 / 10 / 2
  --connections N    requests in flight (except PATCH: 1)       8
  --quick            small sizes and short runs (a smoke test)
  --json FILE        also write the results as JSON to FILE
  --help             this text

MONGODB_URI / REDIS_URL, when set, name the servers to use (a database bench_<random> is
created and dropped on them); otherwise the local FerretDB and Redis are started or reused.`;

export class UsageError extends Error {}

const NUMERIC: Record<string, keyof Sizes> = {
  '--users': 'users',
  '--group-size': 'groupSize',
  '--patch-members': 'patchMembers',
  '--patch-ops': 'patchOps',
  '--duration': 'durationSeconds',
  '--connections': 'connections',
};

/** Returns null for --help. */
export function parseArgs(argv: readonly string[]): ParsedArgs | null {
  const explicit: Partial<Sizes> = {};
  let quick = false;
  let jsonFile: string | undefined;
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
    else if (flag in NUMERIC) {
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
  return { explicit, quick, jsonFile };
}

/** The sizes for this backend: explicit flags, else --quick's, else the backend's defaults. */
export function resolveOptions(args: ParsedArgs, backend: Backend): BenchOptions {
  const base = args.quick ? QUICK : DEFAULTS[backend];
  const options: BenchOptions = { ...base, ...args.explicit, quick: args.quick, jsonFile: args.jsonFile };
  if (options.patchMembers > options.users) {
    throw new UsageError(`--patch-members (${options.patchMembers}) cannot exceed --users (${options.users}): a PATCH may only add existing users`);
  }
  return options;
}
