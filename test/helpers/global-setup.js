// Starts (or reuses) the embedded MongoDB (in-memory backend) and Redis through the project's own scripts/services.sh, in a data
// folder of the test run's own (.data/test) so a running `npm start` is never touched.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async () => {
  // Every admin answer of a migrated operation is checked against the document (src/admin/contract/response-check.ts).
  process.env.ADMIN_RESPONSE_CHECK = '1';
  const root = join(__dirname, '..', '..');
  const env = {
    ...process.env,
    SCIM_DATA_DIR: process.env.SCIM_TEST_DATA_DIR || join(root, '.data', 'test'),
    SCIM_EMBEDDED_MONGO_BACKEND: 'memory',
  };
  if (process.env.MONGODB_URI && process.env.REDIS_URL) return;
  let running = true;
  try {
    execFileSync('bash', [join(root, 'scripts/services.sh'), 'status'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    running = false;
  }
  const out = execFileSync('bash', [join(root, 'scripts/services.sh'), 'start'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  for (const line of out.split('\n')) {
    const m = /^(MONGODB_URI|REDIS_URL)=(.+)$/.exec(line.trim());
    if (m) process.env[m[1]] = m[2];
  }
  // Stop in teardown only what this run started.
  globalThis.__SCIM_TEST_SERVICES__ = running ? undefined : env;
};
