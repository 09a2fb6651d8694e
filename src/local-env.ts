import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

/**
 * Zero-configuration local runs: when MONGODB_URI / REDIS_URL are unset, the project's own
 * scripts/services.sh provides the embedded MongoDB (mongo-java-server) and Redis on loopback, and an admin JWT secret is generated
 * once into the data folder. Production sets the variables and none of this runs.
 */
export const projectRoot = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('cannot find the project root (package.json)');
    dir = up;
  }
  return dir;
})();

export const dataDir = () => process.env.SCIM_DATA_DIR ?? join(projectRoot, '.data');

function parseUris(output: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const m = /^(MONGODB_URI|REDIS_URL)=(.+)$/.exec(line.trim());
    if (m?.[1] && m[2]) out[m[1]] = m[2];
  }
  return out;
}

function servicesRunning(): boolean {
  try {
    execFileSync('bash', [join(projectRoot, 'scripts/services.sh'), 'status'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs services.sh `start` (or `status`) and puts the URIs into process.env. Returns true only when
 * this call started them, so that the caller stops what it started and nothing else.
 */
export function useLocalServices(action: 'start' | 'status'): boolean {
  if (process.env.MONGODB_URI && process.env.REDIS_URL) return false;
  const wasRunning = servicesRunning();
  let output: string;
  try {
    output = execFileSync('bash', [join(projectRoot, 'scripts/services.sh'), action], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch {
    throw new Error(action === 'start' ? 'could not start local services (see the messages above)' : 'local services are not running: run `npm start` or `npm run services -- start`');
  }
  const uris = parseUris(output);
  process.env.MONGODB_URI ??= uris.MONGODB_URI;
  process.env.REDIS_URL ??= uris.REDIS_URL;
  return !wasRunning;
}

export function stopLocalServices(): void {
  execFileSync('bash', [join(projectRoot, 'scripts/services.sh'), 'stop'], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/** A per-checkout HS256 secret for local runs, created once and kept in the data folder (mode 600). */
export function useLocalJwtSecret(): void {
  if (process.env.ADMIN_JWT_SECRET || process.env.ADMIN_JWT_PUBLIC_KEY) return;
  const dir = dataDir();
  const file = join(dir, 'admin-jwt.secret');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
  }
  process.env.ADMIN_JWT_SECRET = readFileSync(file, 'utf8').trim();
}

/**
 * The base URL the API really listens on: PUBLIC_BASE_URL when set, else the bound port (not the
 * configured one: PORT=0 binds a free port).
 */
export function listeningBaseUrl(publicBaseUrl: string | undefined, address: AddressInfo | string | null): string {
  if (publicBaseUrl) return publicBaseUrl;
  const port = address && typeof address === 'object' ? address.port : undefined;
  if (port === undefined) throw new Error('the API is not listening on a TCP port');
  return `http://localhost:${port}`;
}

const apiUrlFile = () => join(dataDir(), 'api-url');

/** Local runs: where `npm start` listens, so the CLI prints URLs with the real port. Removed on shutdown. */
export function recordLocalApiUrl(url: string): void {
  mkdirSync(dataDir(), { recursive: true });
  writeFileSync(apiUrlFile(), `${url}\n`);
}

export function forgetLocalApiUrl(): void {
  rmSync(apiUrlFile(), { force: true });
}

/**
 * The base URL the CLI prints: PUBLIC_BASE_URL, else where the local `npm start` listens, else the
 * configured port (no API running locally: what it will listen on).
 */
export function cliBaseUrl(publicBaseUrl: string | undefined, configuredPort: number): string {
  if (publicBaseUrl) return publicBaseUrl;
  const file = apiUrlFile();
  const recorded = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  return /^https?:\/\/\S+$/.test(recorded) ? recorded : `http://localhost:${configuredPort}`;
}
