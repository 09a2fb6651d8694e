/**
 * bench:fairness's HTTP clients (bench/fairness.ts): one per tenant, SCIM as its IdP and the admin API
 * as its operator. Shared by the benchmark's main thread (tenant B) and its import thread (tenant A,
 * bench/fairness-import.ts).
 */
import http from 'node:http';
import { send, type RequestSpec } from './load';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** One tenant's HTTP client: SCIM as its IdP, the admin API as its operator. */
export class TenantClient {
  readonly agent: http.Agent;
  constructor(
    readonly port: number,
    private readonly scimToken: string,
    private readonly adminToken: string,
    maxSockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }
  private spec(kind: 'scim' | 'admin', method: RequestSpec['method'], path: string, body?: unknown): RequestSpec {
    const scim = kind === 'scim';
    return {
      method,
      path: `${scim ? '/scim/v2' : '/admin/v1'}${path}`,
      headers: { authorization: `Bearer ${scim ? this.scimToken : this.adminToken}`, 'content-type': scim ? 'application/scim+json' : 'application/json' },
      expectStatus: 0,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    };
  }
  /**
   * A SCIM request as an IdP sends it: a 429 is waited out for its Retry-After and sent again (the
   * time waited is the client's, reported apart). Returns the body and the server's latency.
   */
  async scim(method: RequestSpec['method'], path: string, expect: number, body?: unknown): Promise<{ body: unknown; ms: number; throttled: number }> {
    let throttled = 0;
    for (;;) {
      const t = performance.now();
      const res = await send(this.agent, this.port, this.spec('scim', method, path, body));
      const ms = performance.now() - t;
      if (res.status === 429) {
        throttled++;
        await sleep(Number(res.headers['retry-after'] ?? 1) * 1000);
        continue;
      }
      if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
      return { body: res.body.length ? JSON.parse(res.body.toString('utf8')) : undefined, ms, throttled };
    }
  }
  async admin<T>(method: RequestSpec['method'], path: string, expect: number, body?: unknown): Promise<T> {
    const res = await send(this.agent, this.port, this.spec('admin', method, path, body));
    if (res.status !== expect) throw new Error(`${method} /admin/v1${path}: expected ${expect}, got ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    return JSON.parse(res.body.toString('utf8')) as T;
  }
}
