/**
 * `npm run bench:events [-- --events N --lag-seconds S --rate R --endpoints K --json FILE]`: the
 * change-event pipeline's figures (issue 19), A/B in one run: A is the delivery as it was before
 * (a `fetch` per attempt, one endpoint after another, one worker loop that sequences then
 * delivers), B as it is now (keep-alive node:http, endpoints at once, two loops).
 *
 *  1. throughput: N change events (default 5,000) committed for a tenant, delivered through the
 *     worker's delivery (`deliverDue`: signed POST, delivery log, cursor) to a loopback receiver,
 *     to one endpoint and to K endpoints (default 4; each in order), in the order A B B A. Floors:
 *     the same signed bodies POSTed one after another by a bare loop (no database), with each
 *     transport. Target: >= 1,000 events/s.
 *  2. lag: R changes/s (default 100) for S seconds (default 20) while the worker's loop runs
 *     (A: the single loop as before; B: `startEventSequencing`), EVENTS_SEQUENCE_INTERVAL_MS as
 *     configured (default 250 ms); lag = arrival at the receiver − the change's commit time (its
 *     audit event's `at`, the event's `occurredAt`). Target: p99 < 1 s.
 *
 * A change here is its audit event written as the write paths write it (`user.created` with the
 * user's state): the SCIM layer's own cost is `npm run bench`'s subject, not this one's.
 * On the local services (scripts/services.sh) or MONGODB_URI / REDIS_URL; a database of its own,
 * dropped at the end. Progress on stderr, the result as JSON on stdout (with the load average
 * before and after: other suites share this machine).
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
import { sequenceAllTenants, sequenceTenantFully } from '../src/domain/events/sequencer';
import { repositoriesOf } from '../src/persistence/repositories';
import { createEndpoint, deleteEndpoint, redeliver } from '../src/domain/webhooks/endpoints';
import { deliverDue, type DeliveryOptions } from '../src/domain/webhooks/delivery';
import { nodeHttpTransport, type PostTransport } from '../src/domain/webhooks/transport';
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
  endpoints: number;
  jsonFile?: string;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { events: 5000, lagSeconds: 20, rate: 100, endpoints: 4 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--json' && value) o.jsonFile = value;
    else if (flag === '--events') o.events = Number(value);
    else if (flag === '--lag-seconds') o.lagSeconds = Number(value);
    else if (flag === '--rate') o.rate = Number(value);
    else if (flag === '--endpoints') o.endpoints = Number(value);
    else throw new Error(`unknown option ${flag}; options: --events N --lag-seconds S --rate R --endpoints K --json FILE`);
    i++;
  }
  for (const [k, v] of Object.entries(o)) if (k !== 'jsonFile' && (!Number.isFinite(v) || (v as number) <= 0)) throw new Error(`--${k} must be a positive number`);
  return o;
}

/** A receiver that answers 204 at once and notes when each (path, webhook-id) arrived first; one path per endpoint. */
async function startReceiver(): Promise<{ url: string; arrivals: Map<string, { at: number; occurredAt: number }>; requests: () => number; close(): Promise<void> }> {
  const arrivals = new Map<string, { at: number; occurredAt: number }>();
  let requests = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const key = `${req.url} ${String(req.headers['webhook-id'])}`;
      if (!arrivals.has(key)) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { occurredAt?: string } };
        arrivals.set(key, { at: Date.now(), occurredAt: Date.parse(body.data?.occurredAt ?? '') });
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

/** main's transport before this change (A in the A/B): `fetch` with an abort signal per attempt. */
const fetchTransport: PostTransport = async (url, headers, body, timeoutMs, excerptChars) => {
  try {
    const res = await fetch(url, { method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers, body });
    return { status: res.status, excerpt: (await res.text().catch(() => '')).slice(0, excerptChars) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
};

const changeOf = (tenantId: string, i: number, at = new Date()) => {
  const id = newId('usr');
  const attrs = { userName: `bench-${i}@example.com`, name: { givenName: 'Bench', familyName: String(i) }, emails: [{ value: `bench-${i}@example.com`, primary: true }], active: true };
  return auditEvent({ tenantId, actor: { type: 'scim-token', id: 'tok_bench' }, action: 'user.created', object: { type: 'User', id }, after: { attrs, version: 1 }, state: { attrs, version: 1 } }, at);
};

type Variant = 'A' | 'B';
/** A: as on main before this change (fetch, one endpoint after another); B: now (keep-alive node:http, endpoints at once). */
const variantOptions = (delivery: DeliveryOptions, v: Variant): DeliveryOptions => (v === 'A' ? { ...delivery, transport: fetchTransport, concurrency: 1 } : { ...delivery });

async function throughput(models: Models, tenantId: string, n: number, endpointCount: number, delivery: DeliveryOptions) {
  const receiver = await startReceiver();
  const ctx = { tenantId, actor: { type: 'system' as const, id: 'bench' } };
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
  progress(`throughput: ${committed} events sequenced (${round(sequencedPerSec)}/s)`);

  /** Every kept event to `endpoints` fresh endpoints (redelivery from the start), with the variant's delivery; events/s at the receiver. */
  const run = async (v: Variant, endpoints: number) => {
    const ids: string[] = [];
    for (let k = 0; k < endpoints; k++) {
      const ep = await createEndpoint(models, ctx, { url: `${receiver.url}/${v}${endpoints}-${k}` }, true);
      await redeliver(models, ctx, ep.id, undefined);
      ids.push(ep.id);
    }
    receiver.arrivals.clear();
    const want = committed * endpoints;
    const t0 = performance.now();
    while (receiver.arrivals.size < want) await deliverDue(models, variantOptions(delivery, v));
    const perSec = want / ((performance.now() - t0) / 1000);
    progress(`throughput ${v}, ${endpoints} endpoint(s): ${want} deliveries, ${round(perSec)}/s`);
    for (const id of ids) await deleteEndpoint(models, ctx, id);
    return round(perSec);
  };
  // A and B in one run, each measured twice in the order A B B A (the machine's load drifts).
  const oneA = [await run('A', 1)];
  const oneB = [await run('B', 1), await run('B', 1)];
  oneA.push(await run('A', 1));
  const manyA = [await run('A', endpointCount)];
  const manyB = [await run('B', endpointCount), await run('B', endpointCount)];
  manyA.push(await run('A', endpointCount));
  const mean = (xs: number[]) => round(xs.reduce((a, b) => a + b, 0) / xs.length);

  // Floors: the same kind of signed bodies POSTed one after another by a bare loop (no database), with each transport.
  const events = await repositoriesOf(models).changeEvents.page(tenantId, 0, Number.MAX_SAFE_INTEGER, undefined, Math.min(committed, 2000));
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const floor = async (transport: PostTransport) => {
    const f0 = performance.now();
    for (const e of events) {
      const body = JSON.stringify({ type: e.type, timestamp: e.occurredAt.toISOString(), data: e.data });
      await transport(new URL(`${receiver.url}/floor`), { 'content-type': 'application/json', ...signedHeaders(`floor_${e._id}`, body, [secret]) }, body, 10_000, 500);
    }
    return round(events.length / ((performance.now() - f0) / 1000));
  };
  const floorFetch = await floor(fetchTransport);
  const floorHttp = await floor(nodeHttpTransport);
  progress(`throughput floor: bare signed POST loop ${floorFetch}/s (fetch), ${floorHttp}/s (keep-alive node:http)`);
  await receiver.close();
  const b1 = mean(oneB);
  const bMany = mean(manyB);
  return {
    events: committed,
    sequencedPerSec: round(sequencedPerSec),
    oneEndpoint: { A: oneA, B: oneB, ratioBtoA: round(b1 / mean(oneA), 2) },
    endpoints: { count: endpointCount, A: manyA, B: manyB, ratioBtoA: round(bMany / mean(manyA), 2) },
    floorPerSec: { fetch: floorFetch, nodeHttp: floorHttp },
    ratioFloorToB: round(floorHttp / b1, 2),
    target: '>= 1000 events/s',
    met: { oneEndpoint: b1 >= 1000, endpoints: bMany >= 1000 },
  };
}

/**
 * A in the lag A/B: the worker's loop as on main before this change, one loop that sequences every
 * tenant and then delivers (one endpoint after another, over fetch), at once again while it delivered.
 */
function singleLoop(models: Models, intervalMs: number, delivery: DeliveryOptions): { close(): Promise<void> } {
  let running: Promise<void> | undefined;
  let closed = false;
  const round = (): void => {
    if (running || closed) return;
    running = (async () => {
      await sequenceAllTenants(models);
      return (await deliverDue(models, delivery)) > 0;
    })().then(
      (again) => {
        running = undefined;
        if (again) setImmediate(round);
      },
      () => {
        running = undefined;
      },
    );
  };
  const timer = setInterval(round, intervalMs);
  return {
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}

async function lag(models: Models, tenantId: string, o: Options, intervalMs: number, delivery: DeliveryOptions, v: Variant) {
  const receiver = await startReceiver();
  const ctx = { tenantId, actor: { type: 'system' as const, id: 'bench' } };
  const endpoint = await createEndpoint(models, ctx, { url: receiver.url }, true);
  const loop = v === 'A' ? singleLoop(models, intervalMs, variantOptions(delivery, 'A')) : startEventSequencing(models, { intervalMs, retentionDays: 30, delivery }, silentLogger);
  const total = Math.round(o.rate * o.lagSeconds);
  progress(`lag ${v}: ${total} changes at ${o.rate}/s, the worker's loop every ${intervalMs} ms`);
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
  progress(`lag ${v}: ${lags.length}/${total} arrived; p50 ${percentile(lags, 50)} ms, p99 ${p99} ms, max ${lags.at(-1)} ms`);
  await deleteEndpoint(models, ctx, endpoint.id);
  await receiver.close();
  return {
    variant: v,
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
    const delivery: DeliveryOptions = {
      allowPrivateTargets: true,
      retryHours: config.webhooks.retryHours,
      baseBackoffMs: config.webhooks.backoffBaseMs,
      concurrency: config.webhooks.deliveryConcurrency,
    };
    const a = await createTenant(db.models, `bench-events-a-${randomBytes(3).toString('hex')}`);
    const lagTenant = async () => (await createTenant(db.models, `bench-events-b-${randomBytes(3).toString('hex')}`)).tenantId;
    const loadBefore = (await import('node:os')).loadavg().map((l) => round(l, 2));
    const result = {
      throughput: await throughput(db.models, a.tenantId, o.events, o.endpoints, delivery),
      lag: [await lag(db.models, await lagTenant(), o, config.events.sequenceIntervalMs, delivery, 'A'), await lag(db.models, await lagTenant(), o, config.events.sequenceIntervalMs, delivery, 'B')],
      loadAverageBefore: loadBefore,
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
