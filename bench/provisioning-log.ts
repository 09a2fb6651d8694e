/**
 * `npm run bench:provisioning-log`: what the provisioning log costs SCIM writes. Two API runtimes
 * on the same database and Redis, one writing the log and one not (PROVISIONING_LOG_ENABLED), take
 * the same Okta-shaped work in alternating rounds (so machine noise falls on both): POST /Users,
 * then PATCH active=false on each, 8 at a time. Prints each side's requests per second (median of
 * the rounds) and the ratio, measured in one run.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config/config';
import { createApiRuntime, closeServer, type ApiRuntime } from '../src/runtime';
import { stopLocalServices, useLocalJwtSecret, useLocalServices } from '../src/local-env';
import { createTenant } from '../src/domain/tenants';
import { silentLogger } from '../src/observability/logger';

const ROUNDS = Number(process.env.ROUNDS ?? 6);
const USERS_PER_ROUND = Number(process.env.USERS_PER_ROUND ?? 200);
const CONCURRENCY = 8;

async function listen(runtime: ApiRuntime): Promise<{ server: http.Server; base: string }> {
  const server = http.createServer(runtime.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2` };
}

async function pool<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function round(base: string, token: string, tag: string): Promise<number> {
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json', 'User-Agent': 'Okta SCIM Client 1.0.0' };
  const names = Array.from({ length: USERS_PER_ROUND }, (_, i) => `${tag}-${i}@bench.example`);
  const ids: string[] = [];
  const started = process.hrtime.bigint();
  await pool(names, async (userName) => {
    const res = await fetch(`${base}/Users`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true, emails: [{ value: userName, type: 'work', primary: true }] }),
    });
    if (res.status !== 201) throw new Error(`POST /Users: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  });
  await pool(ids, async (id) => {
    const res = await fetch(`${base}/Users/${id}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] }),
    });
    if (res.status !== 200) throw new Error(`PATCH /Users: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (2 * USERS_PER_ROUND) / seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const startedServices = useLocalServices('start');
  useLocalJwtSecret();
  const config = loadConfig({ ...process.env, SCIM_RATE_LIMIT_PER_MINUTE: '10000000' });
  const on = await createApiRuntime({ ...config, provisioningLog: { ...config.provisioningLog, enabled: true } }, silentLogger);
  const off = await createApiRuntime({ ...config, provisioningLog: { ...config.provisioningLog, enabled: false } }, silentLogger, { db: on.db });
  const [a, b] = [await listen(on), await listen(off)];
  try {
    const runId = Date.now().toString(36);
    const tenant = await createTenant(on.db.models, `bench-plog-${runId}`);
    await round(a.base, tenant.scimToken, `warm-a-${runId}`);
    await round(b.base, tenant.scimToken, `warm-b-${runId}`);
    const rates = { on: [] as number[], off: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const side of order) rates[side].push(await round(side === 'on' ? a.base : b.base, tenant.scimToken, `${side}-${r}-${runId}`));
      process.stderr.write(`[bench] round ${r + 1}/${ROUNDS}: log on ${rates.on.at(-1)!.toFixed(0)} req/s, off ${rates.off.at(-1)!.toFixed(0)} req/s\n`);
    }
    const logged = await on.db.models.ProvisioningLog.countDocuments({ tenantId: tenant.tenantId });
    const [mOn, mOff] = [median(rates.on), median(rates.off)];
    process.stdout.write(
      `| SCIM writes (POST + PATCH /Users, ${CONCURRENCY} at a time, ${ROUNDS} alternating rounds of ${2 * USERS_PER_ROUND}) | req/s (median) |\n|---|---|\n` +
        `| provisioning log off | ${mOff.toFixed(0)} |\n| provisioning log on | ${mOn.toFixed(0)} |\n| on / off | ${(mOn / mOff).toFixed(3)} |\n` +
        `\n${logged} log entries written for the tenant (every request of the "on" side).\n`,
    );
  } finally {
    await Promise.all([closeServer(a.server, 2000), closeServer(b.server, 2000)]);
    await off.close();
    await on.close();
    if (startedServices) stopLocalServices();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
