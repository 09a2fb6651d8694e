import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * A local 3-master Redis Cluster for one test file, through scripts/services.sh (`cluster start`
 * in beforeAll, `cluster stop` in afterAll). Its data folder is the test run's, one level down, so
 * it never touches the run's own Redis.
 */
const root = join(__dirname, '..', '..');
const env = () => ({
  ...process.env,
  SCIM_DATA_DIR: join(process.env.SCIM_TEST_DATA_DIR || join(root, '.data', 'test'), 'cluster'),
});

export function startRedisCluster(): string {
  const out = execFileSync('bash', [join(root, 'scripts/services.sh'), 'cluster', 'start'], { env: env(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const url = /^REDIS_URL=(.+)$/m.exec(out)?.[1];
  if (!url) throw new Error(`services.sh cluster start printed no REDIS_URL: ${out}`);
  return url;
}

export function stopRedisCluster(): void {
  execFileSync('bash', [join(root, 'scripts/services.sh'), 'cluster', 'stop'], { env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
}
