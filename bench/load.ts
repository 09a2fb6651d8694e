import http from 'node:http';

/**
 * A small closed-loop load generator: `concurrency` loops each send one request, wait for the
 * whole response, record its latency, and send the next, until `maxOps` requests were sent or
 * `maxDurationMs` passed (whichever comes first). Closed loop means the offered load adapts to the
 * server, so ops/s is the server's throughput at that concurrency and latencies include no
 * client-side queueing. Connections are kept alive, as an IdP's provisioning client does.
 */
export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Any other status aborts the run: a benchmark of error responses measures nothing useful. */
  expectStatus: number;
}

export interface LoadPlan {
  port: number;
  concurrency: number;
  maxOps: number;
  maxDurationMs: number;
  /** Requests sent (same concurrency) before measuring: JIT warm-up, connection set-up. */
  warmupOps: number;
  /** The i-th request (i counts warm-up requests too, so generated names stay unique). */
  request: (i: number) => RequestSpec;
  /**
   * Run after the i-th request and left out of the figures (its time is not counted in the elapsed
   * time), e.g. to undo what the request wrote so that every request starts from the same state.
   * Only with concurrency 1, where "left out" is exact.
   */
  reset?: (i: number) => Promise<void>;
  /** Called when the measured phase (after warm-up) starts and when it ends. */
  onMeasured?: (event: 'start' | 'end') => void | Promise<void>;
}

export interface LoadResult {
  ops: number;
  elapsedMs: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export class UnexpectedResponseError extends Error {}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function send(agent: http.Agent, port: number, spec: RequestSpec): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...spec.headers };
    if (spec.body !== undefined) headers['content-length'] = Buffer.byteLength(spec.body);
    const req = http.request({ host: '127.0.0.1', port, method: spec.method, path: spec.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(spec.body);
  });
}

/** Sends one request and checks its status; returns the parsed JSON body (or undefined when empty). */
export async function probe(agent: http.Agent, port: number, spec: RequestSpec): Promise<unknown> {
  const res = await send(agent, port, spec);
  if (res.status !== spec.expectStatus) throw unexpected(spec, res);
  return res.body.length ? JSON.parse(res.body.toString('utf8')) : undefined;
}

function unexpected(spec: RequestSpec, res: Response): UnexpectedResponseError {
  const text = res.body.toString('utf8');
  return new UnexpectedResponseError(`${spec.method} ${spec.path.slice(0, 120)}: expected ${spec.expectStatus}, got ${res.status}: ${text.slice(0, 500)}`);
}

/** Nearest-rank percentile of ascending `sorted` values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  if (plan.reset && plan.concurrency !== 1) throw new Error('a load plan with reset() runs one request at a time');
  const agent = new http.Agent({ keepAlive: true, maxSockets: plan.concurrency });
  let index = 0;
  try {
    const phase = async (maxOps: number, maxDurationMs: number, latencies: number[]) => {
      let issued = 0;
      let failed = false;
      let excludedMs = 0;
      const started = performance.now();
      const loop = async () => {
        while (!failed && issued < maxOps && performance.now() - started - excludedMs < maxDurationMs) {
          issued++;
          const i = index++;
          const spec = plan.request(i);
          const t0 = performance.now();
          const res = await send(agent, plan.port, spec);
          const t1 = performance.now();
          if (res.status !== spec.expectStatus) throw unexpected(spec, res);
          latencies.push(t1 - t0);
          if (plan.reset) {
            await plan.reset(i);
            excludedMs += performance.now() - t1;
          }
        }
      };
      // One failure stops the other loops too (allSettled waits for their in-flight request).
      const loops = Array.from({ length: Math.min(plan.concurrency, maxOps) }, () =>
        loop().catch((err: unknown) => {
          failed = true;
          throw err;
        }),
      );
      const outcomes = await Promise.allSettled(loops);
      const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (rejected) throw rejected.reason;
      return performance.now() - started - excludedMs;
    };
    if (plan.warmupOps > 0) await phase(plan.warmupOps, plan.maxDurationMs, []);
    const latencies: number[] = [];
    await plan.onMeasured?.('start');
    const elapsedMs = await phase(plan.maxOps, plan.maxDurationMs, latencies);
    await plan.onMeasured?.('end');
    latencies.sort((a, b) => a - b);
    return {
      ops: latencies.length,
      elapsedMs,
      opsPerSec: latencies.length / (elapsedMs / 1000),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1] ?? NaN,
    };
  } finally {
    agent.destroy();
  }
}
