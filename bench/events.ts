/**
 * `npm run bench:events [-- --events N --lag-seconds S --rate R --json FILE]`: the change-event
 * pipeline's figures (issue 19), each beside its floor, measured in one run:
 *
 *  1. throughput: N change events (default 5,000) committed for a tenant with one webhook endpoint
 *     on a loopback receiver; from the first delivery round to the receiver holding all N, through
 *     the worker's delivery (`deliverDue`: signed POST, delivery log, cursor per event, one after
 *     another). Floor: the same signed bodies POSTed one after another by a bare loop (no database).
 *     Target: >= 1,000 events/s.
 *  2. lag: R changes/s (default 100) for S seconds (default 20) while the worker's event loop
 *     runs as in production (`startEventSequencing`, EVENTS_SEQUENCE_INTERVAL_MS as configured,
 *     default 250 ms); lag = arrival at the receiver − the change's commit time (its audit event's
 *     `at`, which is the event's `occurredAt`). Target: p99 < 1 s.
 *
 * A change here is its audit event written as the write paths write it (`user.created` with the
 * user's state): the SCIM layer's own cost is `npm run bench`'s subject, not this one's.
 * On the local services (scripts/services.sh) or MONGODB_URI / REDIS_URL; a database of its own,
 * dropped at the end. Progress on stderr, the result as JSON on stdout.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config';
import { silentLogger } from '../src/observability/logger';
import { stopLocalServices, useLocalServices } from '../src/local-env';
import { connectDatabase, type Database } from '../src/persistence/mongo';
import type { Models } from '../src/persistence/models';
import { newId } from '../src/persistence/ids';
import { createTenant } from '../src/domain/tenants';
import { auditEvent, writeAuditEvent, writeAuditEvents } from '../src/domain/audit';
import { sequenceTenantFully } from '../src/domain/events/sequencer';
import { repositoriesOf } from '../src/persistence/repositories';
import { createEndpoint, deleteEndpoint } from '../src/domain/webhooks/endpoints';
import { deliverDue, type DeliveryOptions } from '../src/domain/webhooks/delivery';
import { signedHeaders } from '../src/domain/webhooks/signing';
import { startEventSequencing } from '../workers/event-sequencing';
import { percentile } from './load';

const started = Date.now();
const progress = (m: string) => process.stderr.write(`[events +${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`);
const round = (n: number, digits = 1) => Number(n.toFixed(digits));

interface Options {
  events: number;
  lagSeconds: number;
  rate: number;
  jsonFile?: string;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { events: 5000, lagSeconds: 20, rate: 100 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--json' && value) o.jsonFile = value;
    else if (flag === '--events') o.events = Number(value);
    else if (flag === '--lag-seconds') o.lagSeconds = Number(value);
    else if (flag === '--rate') o.rate = Number(value);
    else throw new Error(`unknown option ${flag}; options: --events N --lag-seconds S --rate R --json FILE`);
    i++;
  }
  for (const [k, v] of Object.entries(o)) if (k !== 'jsonFile' && (!Number.isFinite(v) || (v as number) <= 0)) throw new Error(`--${k} must be a positive number`);
  return o;
}

/** A receiver that answers 204 at once and notes when each webhook-id arrived (first arrival). */
async function startReceiver(): Promise<{ url: string; arrivals: Map<string, { at: number; occurredAt: number }>; requests: () => number; close(): Promise<void> }> {
  const arrivals = new Map<string, { at: number; occurredAt: number }>();
  let requests = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const id = String(req.headers['webhook-id']);
      if (!arrivals.has(id)) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { occurredAt?: string } };
        arrivals.set(id, { at: Date.now(), occurredAt: Date.parse(body.data?.occurredAt ?? '') });
      }
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    arrivals,
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

const changeOf = (tenantId: string, i: number, at = new Date()) => {
  const id = newId('usr');
  const attrs = { userName: `bench-${i}@example.com`, name: { givenName: 'Bench', familyName: String(i) }, emails: [{ value: `bench-${i}@example.com`, primary: true }], active: true };
  return auditEvent({ tenantId, actor: { type: 'scim-token', id: 'tok_bench' }, action: 'user.created', object: { type: 'User', id }, after: { attrs, version: 1 }, state: { attrs, version: 1 } }, at);
};

async function throughput(models: Models, tenantId: string, n: number, delivery: DeliveryOptions) {
  const receiver = await startReceiver();
  const ctx = { tenantId, actor: { type: 'system' as const, id: 'bench' } };
  const endpoint = await createEndpoint(models, ctx, { url: receiver.url }, true);
  progress(`throughput: writing ${n} changes`);
  for (let i = 0; i < n; i += 1000)
    await writeAuditEvents(
      models,
      Array.from({ length: Math.min(1000, n - i) }, (_, k) => changeOf(tenantId, i + k)),
    );
  const seqStart = performance.now();
  let committed = 0;
  while (committed < n) {
    const pass = await sequenceTenantFully(models, tenantId, 1000);
    committed += pass.committed;
    if (pass.committed === 0 && !pass.busy) break;
  }
  const sequencedPerSec = committed / ((performance.now() - seqStart) / 1000);
  progress(`throughput: ${committed} events sequenced (${round(sequencedPerSec)}/s); delivering`);
  const t0 = performance.now();
  while (receiver.arrivals.size < committed) await deliverDue(models, delivery);
  const seconds = (performance.now() - t0) / 1000;
  const perSec = committed / seconds;
  progress(`throughput: ${committed} delivered in ${round(seconds, 2)} s = ${round(perSec)}/s (${receiver.requests()} requests)`);

  // Floor: the same kind of signed bodies, POSTed one after another by a bare loop.
  const events = await repositoriesOf(models).changeEvents.page(tenantId, 0, Number.MAX_SAFE_INTEGER, undefined, Math.min(committed, 2000));
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const f0 = performance.now();
  for (const e of events) {
    const body = JSON.stringify({ type: e.type, timestamp: e.occurredAt.toISOString(), data: e.data });
    const res = await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json', ...signedHeaders(`floor_${e._id}`, body, [secret]) }, body });
    await res.text();
  }
  const floorPerSec = events.length / ((performance.now() - f0) / 1000);
  progress(`throughput floor: bare signed POST loop ${round(floorPerSec)}/s`);
  await deleteEndpoint(models, ctx, endpoint.id);
  await receiver.close();
  return {
    events: committed,
    sequencedPerSec: round(sequencedPerSec),
    deliveredPerSec: round(perSec),
    floorPerSec: round(floorPerSec),
    ratio: round(floorPerSec / perSec, 2),
    target: '>= 1000 events/s',
    met: perSec >= 1000,
  };
}

async function lag(models: Models, tenantId: string, o: Options, intervalMs: number, delivery: DeliveryOptions) {
  const receiver = await startReceiver();
  const ctx = { tenantId, actor: { type: 'system' as const, id: 'bench' } };
  const endpoint = await createEndpoint(models, ctx, { url: receiver.url }, true);
  const loop = startEventSequencing(models, { intervalMs, retentionDays: 30, delivery }, silentLogger);
  const total = Math.round(o.rate * o.lagSeconds);
  progress(`lag: ${total} changes at ${o.rate}/s, the worker's loop every ${intervalMs} ms`);
  const t0 = Date.now();
  const writes: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    // Open loop: change i is due at t0 + i/rate, whatever the previous writes' latency.
    const wait = t0 + (i * 1000) / o.rate - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    writes.push(writeAuditEvent(models, changeOf(tenantId, i)));
  }
  await Promise.all(writes);
  const writeSeconds = (Date.now() - t0) / 1000;
  const deadline = Date.now() + 120_000;
  while (receiver.arrivals.size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await loop.close();
  const lags = [...receiver.arrivals.values()].map((a) => a.at - a.occurredAt).sort((a, b) => a - b);
  const p99 = percentile(lags, 99);
  progress(`lag: ${lags.length}/${total} arrived; p50 ${percentile(lags, 50)} ms, p99 ${p99} ms, max ${lags.at(-1)} ms`);
  await deleteEndpoint(models, ctx, endpoint.id);
  await receiver.close();
  return {
    changes: total,
    ratePerSec: o.rate,
    achievedRatePerSec: round(total / writeSeconds),
    arrived: lags.length,
    intervalMs,
    p50Ms: percentile(lags, 50),
    p99Ms: p99,
    maxMs: lags.at(-1) ?? null,
    target: 'p99 < 1000 ms',
    met: lags.length === total && p99 < 1000,
  };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const cleanups: (() => unknown)[] = [];
  try {
    if (useLocalServices('start')) cleanups.push(() => stopLocalServices());
    // Only the events and webhooks settings are read; no admin JWT is issued.
    process.env.ADMIN_JWT_SECRET ??= randomBytes(32).toString('hex');
    const config = loadConfig();
    const url = new URL(process.env.MONGODB_URI!);
    url.pathname = `/bench_events_${randomBytes(4).toString('hex')}`;
    const db: Database = await connectDatabase(url.toString());
    cleanups.push(() => db.close());
    cleanups.push(() => db.connection.dropDatabase());
    const delivery: DeliveryOptions = { allowPrivateTargets: true, retryHours: config.webhooks.retryHours, baseBackoffMs: config.webhooks.backoffBaseMs };
    const a = await createTenant(db.models, `bench-events-a-${randomBytes(3).toString('hex')}`);
    const b = await createTenant(db.models, `bench-events-b-${randomBytes(3).toString('hex')}`);
    const result = {
      throughput: await throughput(db.models, a.tenantId, o.events, delivery),
      lag: await lag(db.models, b.tenantId, o, config.events.sequenceIntervalMs, delivery),
      loadAverage: (await import('node:os')).loadavg().map((l) => round(l, 2)),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (o.jsonFile) writeFileSync(o.jsonFile, JSON.stringify(result, null, 2));
  } finally {
    while (cleanups.length)
      await Promise.resolve()
        .then(cleanups.pop())
        .catch((err: unknown) => progress(`clean-up failed: ${String(err)}`));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
