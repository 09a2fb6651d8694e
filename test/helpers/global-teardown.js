const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async () => {
  const env = globalThis.__SCIM_TEST_SERVICES__;
  if (!env || process.env.SCIM_TEST_KEEP_SERVICES) return;
  execFileSync('bash', [join(__dirname, '..', '..', 'scripts/services.sh'), 'stop'], { env, stdio: 'inherit' });
};
