/** Tests run against a real MongoDB-wire server (the embedded mongo-java-server, in memory, unless
 * MONGODB_URI is set) and Redis, both started by scripts/services.sh. No retries: a test that fails
 * only sometimes is a bug. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/helpers/global-setup.js',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.js',
  testTimeout: 60000,
};
