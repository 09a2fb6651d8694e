import { formatSyncTable, runSyncBenchmarks } from '../../bench/sync';

it('bench quick', async () => {
  const rows = await runSyncBenchmarks({
    mongoUri: process.env.MONGODB_URI!, redisUrl: process.env.REDIS_URL!, quick: true,
    ruleChangeUsers: Number(process.env.RC_USERS ?? 5000), jobs: Number(process.env.JOBS ?? 500),
    progress: (m) => process.stderr.write(`[sync-bench] ${m}\n`),
  });
  process.stderr.write(formatSyncTable(rows) + '\n');
}, 1_800_000);
