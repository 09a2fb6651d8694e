import { Counter, Gauge, register as globalRegistry } from 'prom-client';

/** What a SCIM gate tells the metrics: requests running and waiting per tenant (tenants with neither absent). */
export interface GateFigures {
  perTenant(): Iterable<{ tenantId: string; running: number; waiting: number }>;
}

// The gates of this process (one per SCIM router; tests build many apps in one process, hence weak references).
const gates = new Set<WeakRef<GateFigures>>();

/** Counts a gate's figures in this process's `/metrics` while the gate lives. */
export function watchGate(gate: GateFigures): void {
  gates.add(new WeakRef(gate));
}

/**
 * The fair SCIM gate (src/scim/http/tenant-gate.ts), per API process: requests running and waiting
 * per tenant, read at scrape time; a tenant appears only while it has a request running or waiting,
 * so the series stay as few as the tenants active at that moment.
 */
export const gateRequests =
  (globalRegistry.getSingleMetric('scim_gate_requests') as Gauge<'tenant' | 'state'> | undefined) ??
  new Gauge({
    name: 'scim_gate_requests',
    help: "SCIM requests in this process's fair gate by tenant and state: running (holding a slot) or waiting (for one)",
    labelNames: ['tenant', 'state'] as const,
    collect() {
      this.reset();
      const sums = new Map<string, { running: number; waiting: number }>();
      for (const ref of gates) {
        const gate = ref.deref();
        if (!gate) {
          gates.delete(ref);
          continue;
        }
        for (const { tenantId, running, waiting } of gate.perTenant()) {
          const sum = sums.get(tenantId) ?? { running: 0, waiting: 0 };
          sum.running += running;
          sum.waiting += waiting;
          sums.set(tenantId, sum);
        }
      }
      for (const [tenant, { running, waiting }] of sums) {
        this.set({ tenant, state: 'running' }, running);
        this.set({ tenant, state: 'waiting' }, waiting);
      }
    },
  });

/** Requests the gate refused with 429 (`SCIM_MAX_QUEUED_PER_TENANT` already waiting), by tenant. */
export const gateRejectionsTotal =
  (globalRegistry.getSingleMetric('scim_gate_rejections_total') as Counter<'tenant'> | undefined) ??
  new Counter({
    name: 'scim_gate_rejections_total',
    help: "SCIM requests this process's fair gate answered 429 (too many of the tenant's requests already waiting), by tenant",
    labelNames: ['tenant'] as const,
  });
