import { appendFileSync } from 'node:fs';
import { formatSyncTable, runSyncBenchmarks } from '../../bench/sync';

it('bench quick', async () => {
  const t0 = Date.now();
  const log = (m: string) => appendFileSync('/tmp/syncbench.log', `[+${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
  const rows = await runSyncBenchmarks({
    mongoUri: process.env.MONGODB_URI!, redisUrl: process.env.REDIS_URL!, quick: true,
    ruleChangeUsers: Number(process.env.RC_USERS ?? 5000), jobs: Number(process.env.JOBS ?? 500),
    only: (process.env.ONLY?.split(',') as never) ?? undefined,
    progress: log,
  });
  log('\n' + formatSyncTable(rows));
}, 1_800_000);
