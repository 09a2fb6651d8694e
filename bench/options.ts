/**
 * Command-line options of `npm run bench`. Defaults match the sizes; --quick shrinks
 * everything for a smoke run that finishes in about a minute.
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
  /** Requests in flight at once on the single-resource scenarios. */
  connections: number;
  /** PATCH requests per side; each adds `patchMembers` new members to a fresh group. */
  patchOps: number;
  jsonFile?: string;
  quick: boolean;
}

export const USAGE = `usage: npm run bench -- [options]

  --users N          users seeded in the tenant                 (default 10000; quick 1000)
  --group-size N     members of the big group                   (default 100000; quick 10000)
  --patch-members N  members added by one PATCH                 (default 10000; quick 1000)
  --patch-ops N      PATCH requests measured per side           (default 5; quick 3)
  --duration S       time bound of each measured run, seconds   (default 10; quick 2)
  --connections N    requests in flight on the other scenarios  (default 8)
  --quick            small sizes and short runs (a smoke test)
  --json FILE        also write the results as JSON to FILE
  --help             this text

MONGODB_URI / REDIS_URL, when set, name the servers to use (a database bench_<random> is
created and dropped on them); otherwise the local FerretDB and Redis are started or reused.`;

export class UsageError extends Error {}

const DEFAULTS: Omit<BenchOptions, 'quick' | 'jsonFile'> = {
  users: 10_000,
  groupSize: 100_000,
  patchMembers: 10_000,
  durationSeconds: 10,
  connections: 8,
  patchOps: 5,
};

const QUICK: Omit<BenchOptions, 'quick' | 'jsonFile' | 'connections'> = {
  users: 1_000,
  groupSize: 10_000,
  patchMembers: 1_000,
  durationSeconds: 2,
  patchOps: 3,
};

const NUMERIC: Record<string, keyof typeof DEFAULTS> = {
  '--users': 'users',
  '--group-size': 'groupSize',
  '--patch-members': 'patchMembers',
  '--patch-ops': 'patchOps',
  '--duration': 'durationSeconds',
  '--connections': 'connections',
};

/** Returns null for --help. Explicit flags win over --quick, whatever their order. */
export function parseOptions(argv: readonly string[]): BenchOptions | null {
  const explicit: Partial<Record<keyof typeof DEFAULTS, number>> = {};
  let quick = false;
  let jsonFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
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
  const base = quick ? { ...DEFAULTS, ...QUICK } : DEFAULTS;
  const options: BenchOptions = { ...base, ...explicit, quick, jsonFile };
  if (options.patchMembers > options.users) {
    throw new UsageError(`--patch-members (${options.patchMembers}) cannot exceed --users (${options.users}): a PATCH may only add existing users`);
  }
  return options;
}
