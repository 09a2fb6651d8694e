/** Tests run against real FerretDB (MongoDB wire) and Redis started by scripts/services.sh. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/helpers/global-setup.js',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.js',
  setupFilesAfterEnv: ['<rootDir>/test/helpers/retry-on-ferretdb.ts'],
  testTimeout: 60000,
};
