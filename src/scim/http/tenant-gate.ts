import { AppError } from '../../errors/app-error';
import { gateRejectionsTotal, watchGate, type GateFigures } from '../../observability/gate-metrics';
import { TENANT_ACTIVE_WINDOW_MS } from '../../queue/tenant-slots';

/** Gives back the slot a request held; safe to call more than once. */
export type Release = () => void;

interface Waiter {
  seq: number;
  admit: (release: Release) => void;
}

/**
 * Fairness between tenants in one API process (issue 24, docs/decisions.md): SCIM requests run in
 * at most `maxInFlight` slots at once, and one tenant in at most `maxInFlight - 1` of them, so a
 * slot is always free for another tenant. A request that cannot start waits in its tenant's queue,
 * and a freed slot goes to the waiting tenant with the fewest requests running (the longest waiting
 * first among equals). Tenant A's import with 16 in flight then runs 7 at a time (of 8), and
 * tenant B's request starts at once beside them, instead of queuing on the event loop and in the
 * database behind A's sixteen; A's extra requests wait in memory rather than fail. Fewer slots
 * help B more and cost A throughput (bench:fairness: 4 slots halved A's creates/s, 8 did not;
 * docs/benchmarks.md). A tenant with
 * `maxQueuedPerTenant` requests already waiting is answered 429 with `Retry-After: 1`, which Okta
 * and Entra honour; the per-token rate limit stays as it was.
 *
 * While another tenant has made a request in the last TENANT_ACTIVE_WINDOW_MS (the workers' job cap
 * uses the same window: src/queue/tenant-slots.ts), a tenant runs at most
 * `sharedPerTenant` requests at once (0: no such bound). On a saturated CPU more of one tenant's
 * requests at once do not make it faster, they lengthen the queues every other request waits in
 * (the embedded server's collection locks, the event loop): on the quiet 2-core machine, while A
 * imported 50,000 users, B's loaded SCIM p95 was 45 ms with A at 7 at once, 20-28 ms at 2 and
 * 13-19 ms at 1 (the default), and A imported as fast at 1 as at 2 (docs/benchmarks.md). The
 * window is the recency of B's traffic: an IdP's changes come seconds apart, and A must already be
 * down to its share when B's next request arrives. A tenant alone keeps every slot but one.
 *
 * In process memory, like the rate limiter: no Redis round trip on the SCIM path. `maxInFlight` 0
 * turns the gate off.
 */
export class TenantGate implements GateFigures {
  private inFlight = 0;
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Waiter[]>();
  /** When each tenant last asked for a slot (tenants seen within TENANT_ACTIVE_WINDOW_MS share the slots). */
  private readonly lastSeen = new Map<string, number>();
  private seq = 0;

  private readonly perTenantMax: number;

  constructor(
    private readonly maxInFlight: number,
    private readonly maxQueuedPerTenant: number,
    private readonly sharedPerTenant = 0,
    private readonly now: () => number = Date.now,
  ) {
    this.perTenantMax = maxInFlight > 1 ? maxInFlight - 1 : maxInFlight;
    if (maxInFlight > 0) watchGate(this);
  }

  /** Waits for a slot; the returned release must be called when the request is done. */
  enter(tenantId: string): Promise<Release> {
    if (this.maxInFlight <= 0) return Promise.resolve(() => undefined);
    if (this.sharedPerTenant > 0) this.lastSeen.set(tenantId, this.now());
    // A free slot with no waiter able to use it (dispatch leaves none): start now.
    if (this.inFlight < this.maxInFlight && (this.running.get(tenantId) ?? 0) < this.limitOf(tenantId) && !this.waiting.has(tenantId)) return Promise.resolve(this.take(tenantId));
    const queue = this.waiting.get(tenantId) ?? [];
    if (queue.length >= this.maxQueuedPerTenant) {
      gateRejectionsTotal.inc({ tenant: tenantId });
      return Promise.reject(new AppError('tooManyRequests', 'SCIM_TENANT_BUSY', `This tenant already has ${queue.length} requests waiting on this server; retry after 1 s`, { retryAfter: 1 }));
    }
    return new Promise<Release>((admit) => {
      queue.push({ seq: this.seq++, admit });
      this.waiting.set(tenantId, queue);
      this.dispatch();
    });
  }

  /** Figures for tests and metrics. */
  stats(): { inFlight: number; waiting: number; tenantsWaiting: number } {
    let waiting = 0;
    for (const q of this.waiting.values()) waiting += q.length;
    return { inFlight: this.inFlight, waiting, tenantsWaiting: this.waiting.size };
  }

  /** Running and waiting requests per tenant, for the metrics (src/observability/gate-metrics.ts). */
  *perTenant(): Iterable<{ tenantId: string; running: number; waiting: number }> {
    for (const [tenantId, running] of this.running) yield { tenantId, running, waiting: this.waiting.get(tenantId)?.length ?? 0 };
    for (const [tenantId, queue] of this.waiting) if (!this.running.has(tenantId)) yield { tenantId, running: 0, waiting: queue.length };
  }

  /** The slots a tenant may hold now: all but one, or its share while another tenant is active. */
  private limitOf(tenantId: string): number {
    if (this.sharedPerTenant <= 0 || this.sharedPerTenant >= this.perTenantMax) return this.perTenantMax;
    const since = this.now() - TENANT_ACTIVE_WINDOW_MS;
    for (const [other, at] of this.lastSeen) {
      if (at < since && !this.running.has(other) && !this.waiting.has(other)) {
        this.lastSeen.delete(other);
        continue;
      }
      if (other !== tenantId) return this.sharedPerTenant;
    }
    return this.perTenantMax;
  }

  private take(tenantId: string): Release {
    this.inFlight++;
    this.running.set(tenantId, (this.running.get(tenantId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      const n = (this.running.get(tenantId) ?? 1) - 1;
      if (n > 0) this.running.set(tenantId, n);
      else this.running.delete(tenantId);
      this.dispatch();
    };
  }

  private dispatch(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.size > 0) {
      let chosen: string | undefined;
      let best: { running: number; seq: number } | undefined;
      for (const [tenantId, queue] of this.waiting) {
        const candidate = { running: this.running.get(tenantId) ?? 0, seq: queue[0]!.seq };
        if (candidate.running >= this.limitOf(tenantId)) continue;
        if (!best || candidate.running < best.running || (candidate.running === best.running && candidate.seq < best.seq)) {
          best = candidate;
          chosen = tenantId;
        }
      }
      if (chosen === undefined) return;
      const queue = this.waiting.get(chosen)!;
      const waiter = queue.shift()!;
      if (queue.length === 0) this.waiting.delete(chosen);
      waiter.admit(this.take(chosen));
    }
  }
}
