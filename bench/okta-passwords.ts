/**
 * `npm run bench:passwords [-- --users N]`: the Okta-shaped provisioning load with password sync on
 * (issue 23, part 5). For every user, Okta's lookup (`GET /Users?filter=userName eq "…"`, expects
 * none) and then its create (`POST /Users` with a `password`), 16 users in flight, 2,000 users by
 * default; on the local services or the ones MONGODB_URI / REDIS_URL name, in a database of its own
 * (dropped at the end). Prints creates per second and the server's CPU time per user.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { connectDatabase } from '../src/persistence/mongo';
import { createTenant } from '../src/domain/tenants';
import { stopLocalServices, useLocalServices } from '../src/local-env';
import { SYNC_QUEUE, queuePrefix } from '../src/queue/jobs';
import { probe, type RequestSpec } from './load';
import { startServers } from './servers';

const CONCURRENCY = 16;
const started = Date.now();
const progress = (message: string) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);

/** Okta's POST /Users with password sync on (test/fixtures/okta/post-user.json). */
function oktaUser(userName: string): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    name: { givenName: 'Test', familyName: userName.split('@')[0] },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `Test ${userName}`,
    locale: 'en-US',
    externalId: `00u${randomBytes(8).toString('hex')}`,
    groups: [],
    password: randomBytes(9).toString('base64url'),
    active: true,
  };
}

function withDatabase(uri: string, dbName: string): string {
  const url = new URL(uri);
  url.pathname = `/${dbName}`;
  return url.toString();
}

async function main(): Promise<void> {
  const usersArg = process.argv.indexOf('--users');
  const users = usersArg > 0 ? Number(process.argv[usersArg + 1]) : 2000;
  if (!Number.isInteger(users) || users < 1) throw new Error('--users must be a positive whole number');
  const cleanups: (() => unknown)[] = [];
  try {
    if (useLocalServices('start')) cleanups.push(() => stopLocalServices());
    const runId = randomBytes(4).toString('hex');
    const uri = withDatabase(process.env.MONGODB_URI!, `bench_pw_${runId}`);
    const db = await connectDatabase(uri);
    cleanups.push(() => db.close());
    cleanups.push(() => db.connection.dropDatabase());
    cleanups.push(async () => {
      const connection = new IORedis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
      const queue = new Queue(SYNC_QUEUE, { connection, prefix: queuePrefix(`benchpw${runId}`) });
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    });
    const tenant = await createTenant(db.models, `bench-pw-${runId}`);
    const servers = await startServers({
      tenantId: tenant.tenantId,
      env: {
        MONGODB_URI: uri,
        REDIS_URL: process.env.REDIS_URL!,
        ADMIN_JWT_SECRET: randomBytes(32).toString('hex'),
        LOG_LEVEL: 'error',
        QUEUE_PREFIX: `benchpw${runId}`,
        SCIM_RATE_LIMIT_PER_MINUTE: '10000000',
      },
    });
    cleanups.push(() => servers.close());

    const headers = { authorization: `Bearer ${tenant.scimToken}`, 'content-type': 'application/scim+json', accept: 'application/scim+json' };
    const spec = (method: RequestSpec['method'], path: string, expectStatus: number, body?: unknown): RequestSpec => ({
      method,
      path: `/scim/v2${path}`,
      headers,
      expectStatus,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const userName = (i: number) => `okta.${runId}.${i}@okta.example.com`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    cleanups.push(() => agent.destroy());
    let next = 0;
    const cpuBefore = await servers.cpuMs();
    const t0 = performance.now();
    const lane = async () => {
      while (next < users) {
        const i = next++;
        const found = (await probe(agent, servers.scimPort, spec('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName(i)}"`)}`, 200))) as { totalResults: number };
        if (found.totalResults !== 0) throw new Error(`${userName(i)} exists before its create`);
        await probe(agent, servers.scimPort, spec('POST', '/Users', 201, oktaUser(userName(i))));
        if ((i + 1) % 500 === 0) progress(`${i + 1}/${users} users`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const seconds = (performance.now() - t0) / 1000;
    const cpuMsPerUser = ((await servers.cpuMs()) - cpuBefore) / users;
    const load = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    process.stdout.write(
      `Okta-shaped load with passwords: ${users} users (lookup + create each), ${CONCURRENCY} in flight\n` +
        `creates: ${(users / seconds).toFixed(1)}/s (${seconds.toFixed(1)} s); server CPU ${cpuMsPerUser.toFixed(2)} ms per user; ` +
        `${os.cpus().length} cores, load average at the end ${load}\n`,
    );
  } finally {
    while (cleanups.length)
      await Promise.resolve()
        .then(cleanups.pop())
        .catch((err: unknown) => progress(`clean-up step failed: ${String(err)}`));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
