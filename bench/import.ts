import http from 'node:http';
import { percentile, probe, runLoad, send, type LoadResult, type RequestSpec } from './load';
import { userBody } from './seed';

/**
 * An IdP's first import, as Okta runs it against a new app: for every user a lookup by userName,
 * then a create (16 in flight); then the list pages an IdP reads back; then group pushes that add
 * 100 members per PATCH into one group until it holds every imported user. Then, at that size, the
 * ratios the embedded-database issue asks for, each measured in this one run:
 *  - `userName eq` lookups ÷ get-by-id (both index-served single-document reads: ≥ 0.5);
 *  - SCIM creates ÷ the bare insert of the same document through the same stack (≥ 0.5);
 *  - the last 100-member PATCH ÷ the first (flat in group size: ≤ 2).
 */
export interface ImportBenchOptions {
  users: number;
  concurrency: number;
  membersPerPatch: number;
  durationSeconds: number;
  scimPort: number;
  baselinePort: number;
  token: string;
  runId: string;
  progress: (message: string) => void;
}

export interface ImportResult {
  users: number;
  concurrency: number;
  import: { seconds: number; usersPerSec: number; lookupP50Ms: number; createP50Ms: number };
  listPages: LoadResult;
  lookupByUserName: LoadResult;
  getById: LoadResult;
  createScim: LoadResult;
  createBaseline: LoadResult;
  patches: { count: number; firstMs: number; lastMs: number; firstFiveP50Ms: number; lastFiveP50Ms: number };
}

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export async function runImportBenchmark(o: ImportBenchOptions): Promise<ImportResult> {
  const headers = { authorization: `Bearer ${o.token}`, 'content-type': 'application/scim+json', accept: 'application/scim+json' };
  const scim = (method: RequestSpec['method'], path: string, expectStatus: number, body?: unknown): RequestSpec => ({
    method,
    path: `/scim/v2${path}`,
    headers,
    expectStatus,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const userName = (i: number) => `import.${o.runId}.${i}@okta.example.com`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  try {
    // 1. The import: lookup (expect none), then create, for every user.
    const ids: string[] = new Array<string>(o.users);
    const lookups: number[] = [];
    const creates: number[] = [];
    let next = 0;
    const started = performance.now();
    const importLoop = async () => {
      while (next < o.users) {
        const i = next++;
        let t0 = performance.now();
        const found = (await probe(agent, o.scimPort, scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName(i)}"`)}`, 200))) as { totalResults: number };
        lookups.push(performance.now() - t0);
        if (found.totalResults !== 0) throw new Error(`import: ${userName(i)} exists before its create`);
        t0 = performance.now();
        const created = (await probe(agent, o.scimPort, scim('POST', '/Users', 201, userBody(userName(i))))) as { id: string };
        creates.push(performance.now() - t0);
        ids[i] = created.id;
        if ((i + 1) % 1000 === 0) o.progress(`import: ${i + 1}/${o.users} users`);
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, importLoop));
    const importSeconds = (performance.now() - started) / 1000;
    lookups.sort((a, b) => a - b);
    creates.sort((a, b) => a - b);
    o.progress(`import: ${o.users} users in ${importSeconds.toFixed(1)} s`);

    // 2. Every list page, 100 users each, as an IdP reads back (startIndex pagination).
    const pages = Math.ceil(o.users / 100);
    const load = (request: (i: number) => RequestSpec, port = o.scimPort, maxOps = Number.MAX_SAFE_INTEGER) =>
      runLoad({ port, concurrency: o.concurrency, maxOps, maxDurationMs: o.durationSeconds * 1000, warmupOps: o.concurrency * 2, request });
    const listPages = await load((i) => scim('GET', `/Users?startIndex=${(i % pages) * 100 + 1}&count=100`, 200), o.scimPort, pages * 2);
    o.progress(`list pages: ${listPages.opsPerSec.toFixed(1)}/s`);

    // 3. At this size: lookup by userName vs get by id, on the imported users.
    const spread = (i: number) => (i * 7919) % o.users;
    const lookupByUserName = await load((i) => scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName(spread(i))}"`)}`, 200));
    const getById = await load((i) => scim('GET', `/Users/${ids[spread(i)]}`, 200));
    o.progress(`userName eq ${lookupByUserName.opsPerSec.toFixed(0)}/s, get by id ${getById.opsPerSec.toFixed(0)}/s`);

    // 4. Creates vs the bare insert of the same body through the same stack (baseline app).
    const createScim = await load((i) => scim('POST', '/Users', 201, userBody(`extra.${o.runId}.${i}@okta.example.com`)), o.scimPort, 2000);
    const createBaseline = await load(
      (i) => ({ method: 'POST', path: '/users', headers: { 'content-type': 'application/json' }, body: JSON.stringify(userBody(`base.${o.runId}.${i}@okta.example.com`)), expectStatus: 201 }),
      o.baselinePort,
      2000,
    );
    o.progress(`create ${createScim.opsPerSec.toFixed(0)}/s, bare insert ${createBaseline.opsPerSec.toFixed(0)}/s`);

    // 5. Group push: one group, 100 members per PATCH, one PATCH at a time (as Okta sends them).
    const group = (await probe(agent, o.scimPort, scim('POST', '/Groups', 201, { schemas: [CORE_GROUP], displayName: `Import ${o.runId}` }))) as { id: string };
    const patchMs: number[] = [];
    for (let start = 0; start < o.users; start += o.membersPerPatch) {
      const value = ids.slice(start, start + o.membersPerPatch).map((id) => ({ value: id }));
      const spec = scim('PATCH', `/Groups/${group.id}`, 204, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value }] });
      const t0 = performance.now();
      const res = await send(agent, o.scimPort, spec);
      patchMs.push(performance.now() - t0);
      if (res.status !== 204) throw new Error(`group PATCH: expected 204, got ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
      if (patchMs.length % 20 === 0) o.progress(`group push: ${start + value.length}/${o.users} members`);
    }
    const p50 = (xs: number[]) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        50,
      );
    const patches = {
      count: patchMs.length,
      firstMs: patchMs[0] ?? NaN,
      lastMs: patchMs[patchMs.length - 1] ?? NaN,
      firstFiveP50Ms: p50(patchMs.slice(0, 5)),
      lastFiveP50Ms: p50(patchMs.slice(-5)),
    };
    return {
      users: o.users,
      concurrency: o.concurrency,
      import: { seconds: importSeconds, usersPerSec: o.users / importSeconds, lookupP50Ms: percentile(lookups, 50), createP50Ms: percentile(creates, 50) },
      listPages,
      lookupByUserName,
      getById,
      createScim,
      createBaseline,
      patches,
    };
  } finally {
    agent.destroy();
  }
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

export function formatImportTable(r: ImportResult): string {
  const ratio = (a: number, b: number) => fmt(a / b, 2);
  return [
    `IdP first import: ${r.users} users, ${r.concurrency} in flight`,
    `| figure | value | ratio | target |`,
    `|---|---|---|---|`,
    `| import (lookup + create per user) | ${fmt(r.import.usersPerSec)} users/s (${fmt(r.import.seconds)} s; lookup p50 ${fmt(r.import.lookupP50Ms, 2)} ms, create p50 ${fmt(r.import.createP50Ms, 2)} ms) | | |`,
    `| list pages of 100 | ${fmt(r.listPages.opsPerSec)} pages/s (p50 ${fmt(r.listPages.p50Ms, 2)} ms) | | |`,
    `| userName eq ÷ get by id | ${fmt(r.lookupByUserName.opsPerSec)} / ${fmt(r.getById.opsPerSec)} req/s | ${ratio(r.lookupByUserName.opsPerSec, r.getById.opsPerSec)} | ≥ 0.5 |`,
    `| SCIM create ÷ bare insert | ${fmt(r.createScim.opsPerSec)} / ${fmt(r.createBaseline.opsPerSec)} req/s | ${ratio(r.createScim.opsPerSec, r.createBaseline.opsPerSec)} | ≥ 0.5 |`,
    `| last ÷ first 100-member PATCH (p50 of 5) | ${fmt(r.patches.lastFiveP50Ms, 2)} / ${fmt(r.patches.firstFiveP50Ms, 2)} ms over ${r.patches.count} PATCHes | ${ratio(r.patches.lastFiveP50Ms, r.patches.firstFiveP50Ms)} | ≤ 2 |`,
  ].join('\n');
}
