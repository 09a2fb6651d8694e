import { ConfigError, loadConfig } from '../../src/config/config';

const valid = {
  MONGODB_URI: 'mongodb://127.0.0.1:27017/scim',
  REDIS_URL: 'redis://127.0.0.1:6379',
  ADMIN_JWT_SECRET: 'x'.repeat(32),
};

function errorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration from the environment', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(valid);
    expect(c.port).toBe(8080);
    expect(c.logLevel).toBe('info');
    expect(c.adminJwt.algorithm).toBe('HS256');
    expect(c.sync.sweepAfterSeconds).toBe(60);
    expect(c.trustProxy).toBe(false);
  });

  it.each([
    [{ MONGODB_URI: undefined }, 'MONGODB_URI', 'is required'],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI', 'must use'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL', 'is not a URL'],
    [{ PORT: 'eighty' }, 'PORT', 'whole number'],
    [{ PORT: '70000' }, 'PORT', 'between'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'one of'],
    [{ ADMIN_JWT_SECRET: 'short' }, 'ADMIN_JWT_SECRET', 'at least 32'],
    [{ ADMIN_JWT_ALGORITHM: 'none' }, 'ADMIN_JWT_ALGORITHM', 'one of'],
    [{ ADMIN_JWT_ALGORITHM: 'RS256' }, 'ADMIN_JWT_PUBLIC_KEY', 'is required'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY', 'true or false'],
  ])('when %j is bad, the error names %s', (override, variable, text) => {
    const err = errorOf({ ...valid, ...override });
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
    expect(err.message).toContain(text);
  });
});
