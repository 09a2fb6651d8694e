/**
 * bench:fairness's tenant A (bench/fairness.ts), in a thread of its own: the import as Okta sends it
 * (for each user the lookup, then `POST /Users`; `concurrency` in flight; a 429 waited out for its
 * `Retry-After`).
 *
 * Why a thread: A and B are two IdPs, two machines. In one event loop, B's timers waited behind
 * the callbacks of A's hundreds of requests a second, so the benchmark charged B for its own client
 * (its event-loop delay, printed per phase as `clientLoopDelayP99Ms`). The thread still shares the
 * machine's cores with everything else, as before.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CORE_USER, ENTERPRISE, TenantClient } from './fairness-client';
import { percentile } from './load';

export interface ImportOrder {
  port: number;
  scimToken: string;
  adminToken: string;
  users: number;
  concurrency: number;
  /** userNames are `<namePrefix><i>@<namePrefix>.example.com`. */
  namePrefix: string;
}

export type ImportMessage =
  | { kind: 'progress'; done: number; perSecond: number; throttled: number }
  | { kind: 'done'; importSeconds: number; createP95Ms: number; throttled: number; salesIds: string[] }
  | { kind: 'failed'; error: string };

async function runImport(order: ImportOrder, post: (m: ImportMessage) => void): Promise<void> {
  const a = new TenantClient(order.port, order.scimToken, order.adminToken, order.concurrency);
  let next = 0;
  let done = 0;
  let throttled = 0;
  const creates: number[] = [];
  const salesIds: string[] = [];
  const t0 = performance.now();
  let lastReport = t0;
  const importLoop = async () => {
    for (let i = next++; i < order.users; i = next++) {
      const userName = `${order.namePrefix}${i}@${order.namePrefix}.example.com`;
      const department = i % 4 === 0 ? 'Sales' : 'Support';
      const lookup = await a.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, 200);
      const created = await a.scim('POST', '/Users', 201, { schemas: [CORE_USER, ENTERPRISE], userName, active: true, [ENTERPRISE]: { department } });
      throttled += lookup.throttled + created.throttled;
      creates.push(created.ms);
      if (department === 'Sales') salesIds.push((created.body as { id: string }).id);
      done++;
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        post({ kind: 'progress', done, perSecond: done / ((lastReport - t0) / 1000), throttled });
      }
    }
  };
  await Promise.all(Array.from({ length: order.concurrency }, importLoop));
  creates.sort((x, y) => x - y);
  post({ kind: 'done', importSeconds: (performance.now() - t0) / 1000, createP95Ms: percentile(creates, 95), throttled, salesIds });
}

if (parentPort) {
  const port = parentPort;
  const post = (m: ImportMessage) => port.postMessage(m);
  runImport(workerData as ImportOrder, post).catch((err: unknown) => post({ kind: 'failed', error: (err as Error).stack ?? String(err) }));
}
