import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config';
import { parseRedisUrl } from '../../src/config/redis-url';

/**
 * docker-compose.yml cannot be run here (no Docker on these machines), so it is read: its services
 * for the default and the `scaled` profile, and its environment against README's configuration
 * table and the configuration loader.
 */
const root = join(__dirname, '..', '..');

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  profiles?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown>;
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };

/** The variables README's configuration table names (`A` or `A` / `B` in the first column). */
function readmeVariables(): Set<string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## API overview'));
  const names = new Set<string>();
  for (const line of table.split('\n')) {
    const first = /^\|([^|]+)\|/.exec(line)?.[1] ?? '';
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1]!);
  }
  return names;
}

/** Compose's `${VAR:?message}` and `${VAR:-default}`, with the values a user would supply. */
function substitute(value: string, given: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => given[name] ?? (kind === '-' ? rest! : ''));
}

const inProfile = (profile: string | undefined) => Object.entries(compose.services).filter(([, s]) => !s.profiles || (profile !== undefined && s.profiles.includes(profile)));
const withRole = (services: [string, Service][], role: string) => services.filter(([, s]) => s.command?.includes(`--role=${role}`));

describe('docker-compose.yml', () => {
  it('by default runs one API, one worker, a replica-set MongoDB and Redis', () => {
    const services = inProfile(undefined);
    expect(withRole(services, 'api').map(([n]) => n)).toEqual(['api']);
    expect(withRole(services, 'worker').map(([n]) => n)).toEqual(['worker']);
    expect(services.filter(([, s]) => s.command?.includes('--replSet')).map(([n]) => n)).toEqual(['mongo']);
  });

  it('with the scaled profile runs two APIs on distinct ports, two workers, a three-member replica set and one Redis', () => {
    const services = inProfile('scaled');
    const apis = withRole(services, 'api');
    expect(apis).toHaveLength(2);
    expect(new Set(apis.map(([, s]) => s.ports?.[0]?.split(':')[0])).size).toBe(2);
    expect(withRole(services, 'worker')).toHaveLength(2);
    const members = services.filter(([, s]) => s.command?.join(' ').includes('--replSet rs0'));
    expect(members).toHaveLength(3);
    const init = services.find(([n]) => n === 'mongo-init')![1].command!.join(' ');
    for (const [name] of members.filter(([n]) => n !== 'mongo')) expect(init).toContain(`${name}:27017`);
    expect(services.filter(([, s]) => s.image?.startsWith('redis'))).toHaveLength(1);
  });

  it("sets only variables of README's configuration table, and each app service's environment loads", () => {
    const documented = readmeVariables();
    expect(documented.has('REDIS_URL')).toBe(true);
    const apps = Object.entries(compose.services).filter(([, s]) => s.command?.some((c) => c.startsWith('--role=')));
    expect(apps.length).toBe(4);
    for (const [name, service] of apps) {
      const env = service.environment ?? {};
      expect({ service: name, undocumented: Object.keys(env).filter((k) => !documented.has(k)) }).toEqual({ service: name, undocumented: [] });
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, substitute(String(v), { ADMIN_JWT_SECRET: 'x'.repeat(40) })]));
      const config = loadConfig(resolved);
      // The hosts they name are services of the file.
      const mongoHosts = /^mongodb:\/\/([^/]+)\//
        .exec(config.mongodbUri)![1]!
        .split(',')
        .map((h) => h.split(':')[0]!);
      for (const host of [...mongoHosts, ...parseRedisUrl(config.redisUrl).nodes.map((n) => n.host)]) expect(Object.keys(compose.services)).toContain(host);
      expect(Object.keys(service.depends_on ?? {}).sort()).toEqual(['mongo', 'redis']);
    }
  });

  it('runs Redis with maxmemory-policy noeviction (BullMQ must never lose keys to eviction)', () => {
    const command = compose.services.redis!.command!.join(' ');
    expect(command).toContain('--maxmemory-policy noeviction');
  });
});
