import { isAppError } from '../../../src/errors/app-error';
import { register } from 'prom-client';
import { TenantGate, type Release } from '../../../src/scim/http/tenant-gate';
import { TENANT_ACTIVE_WINDOW_MS } from '../../../src/queue/tenant-slots';

/** Settles what is already resolved (admissions are promise callbacks). */
const flush = () => new Promise((r) => setImmediate(r));

/** Enters and records when (in admission order) each request got its slot. */
function tracker(gate: TenantGate) {
  const admitted: string[] = [];
  const releases = new Map<string, Release>();
  const enter = (tenantId: string, label: string) =>
    gate.enter(tenantId).then((release) => {
      admitted.push(label);
      releases.set(label, release);
    });
  const release = (label: string) => releases.get(label)!();
  return { admitted, enter, release };
}

describe('the SCIM gate between tenants', () => {
  it('one tenant alone runs in all slots but one, and its other requests wait (none refused)', async () => {
    const gate = new TenantGate(4, 64);
    const t = tracker(gate);
    for (let i = 0; i < 16; i++) void t.enter('A', `a${i}`);
    await flush();
    expect(t.admitted).toEqual(['a0', 'a1', 'a2']);
    expect(gate.stats()).toEqual({ inFlight: 3, waiting: 13, tenantsWaiting: 1 });
    t.release('a0');
    await flush();
    expect(t.admitted).toEqual(['a0', 'a1', 'a2', 'a3']);
  });

  it("tenant B's request starts at once beside A's sixteen, and B's next ones go before A's queue", async () => {
    const gate = new TenantGate(4, 64);
    const t = tracker(gate);
    for (let i = 0; i < 16; i++) void t.enter('A', `a${i}`);
    await flush();
    void t.enter('B', 'b0');
    await flush();
    expect(t.admitted).toEqual(['a0', 'a1', 'a2', 'b0']);
    // All four slots taken: B's second waits, then gets the first slot A frees (B runs fewer).
    void t.enter('B', 'b1');
    await flush();
    t.release('a1');
    await flush();
    expect(t.admitted.slice(4)).toEqual(['b1']);
    t.release('b0');
    t.release('b1');
    await flush();
    // B done: A takes its three slots again, from the head of its queue.
    expect(t.admitted.slice(5)).toEqual(['a3']);
    expect(gate.stats().inFlight).toBe(3);
  });

  it('while another tenant is active, a tenant runs its share at once; alone again after the window, all slots but one', async () => {
    let now = 1_000_000;
    const gate = new TenantGate(8, 64, 2, () => now);
    const t = tracker(gate);
    for (let i = 0; i < 16; i++) void t.enter('A', `a${i}`);
    await flush();
    expect(t.admitted).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
    // B arrives: it starts at once (a slot is always free), and from now on A is held to 2.
    void t.enter('B', 'b0');
    await flush();
    expect(t.admitted.slice(7)).toEqual(['b0']);
    for (const a of ['a0', 'a1', 'a2', 'a3', 'a4']) t.release(a);
    await flush();
    expect(gate.stats().inFlight).toBe(3);
    t.release('a5');
    await flush();
    expect(t.admitted.slice(8)).toEqual(['a7']);
    t.release('b0');
    // B made its request 4.9 s ago: still active, A stays at 2.
    now += TENANT_ACTIVE_WINDOW_MS - 100;
    t.release('a6');
    await flush();
    expect(t.admitted.slice(9)).toEqual(['a8']);
    expect(gate.stats().inFlight).toBe(2);
    // B quiet for longer than the window: the next slot freed lets A back to all slots but one.
    now += 200;
    t.release('a7');
    await flush();
    expect(t.admitted.slice(10)).toEqual(['a9', 'a10', 'a11', 'a12', 'a13', 'a14']);
    expect(gate.stats().inFlight).toBe(7);
  });

  it('with the share off (0), a tenant keeps all slots but one whoever else is active', async () => {
    const gate = new TenantGate(4, 64, 0);
    const t = tracker(gate);
    void t.enter('B', 'b0');
    for (let i = 0; i < 4; i++) void t.enter('A', `a${i}`);
    await flush();
    expect(t.admitted).toEqual(['b0', 'a0', 'a1', 'a2']);
  });

  it('freed slots go to the waiting tenant with the fewest running, the longest waiting first among equals', async () => {
    const gate = new TenantGate(3, 64);
    const t = tracker(gate);
    void t.enter('A', 'a0');
    void t.enter('A', 'a1');
    await flush();
    void t.enter('B', 'b0');
    void t.enter('C', 'c0');
    void t.enter('B', 'b1');
    await flush();
    expect(t.admitted).toEqual(['a0', 'a1', 'b0']);
    t.release('a0');
    await flush();
    // C (0 running) before B (1 running), although B's second came first.
    expect(t.admitted.slice(3)).toEqual(['c0']);
    t.release('a1');
    await flush();
    expect(t.admitted.slice(4)).toEqual(['b1']);
  });

  it('a tenant with its queue full is answered 429 with Retry-After 1', async () => {
    const gate = new TenantGate(2, 2);
    const t = tracker(gate);
    void t.enter('A', 'a0');
    void t.enter('A', 'a1');
    void t.enter('A', 'a2');
    await flush();
    const refused = await gate.enter('A').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isAppError(refused) && refused.kind === 'tooManyRequests' && refused.code === 'SCIM_TENANT_BUSY' && refused.retryAfter === 1).toBe(true);
    // Another tenant is not refused: it starts in the slot kept free.
    void t.enter('B', 'b0');
    await flush();
    expect(t.admitted).toEqual(['a0', 'b0']);
  });

  it('a release given twice frees one slot; a gate of 0 slots lets everything through', async () => {
    const gate = new TenantGate(2, 8);
    const r = await gate.enter('A');
    r();
    r();
    expect(gate.stats().inFlight).toBe(0);
    const open = new TenantGate(0, 1);
    await Promise.all(Array.from({ length: 50 }, () => open.enter('A')));
    expect(open.stats().inFlight).toBe(0);
  });

  it("reports each tenant's running and waiting requests and its 429s in the process's Prometheus metrics", async () => {
    // Tenant ids of this test only: the registry is the process's, shared with other gates.
    const [a, b] = [`gauge-a-${process.pid}`, `gauge-b-${process.pid}`];
    const gate = new TenantGate(3, 2);
    const t = tracker(gate);
    for (let i = 0; i < 4; i++) void t.enter(a, `a${i}`);
    void t.enter(b, 'b0');
    void t.enter(b, 'b1');
    await flush();
    const refused = await gate.enter(a).catch((err: unknown) => err);
    expect(isAppError(refused) && refused.code === 'SCIM_TENANT_BUSY').toBe(true);
    const sample = async () => {
      const text = (await register.metrics()).split('\n');
      const value = (name: string, labels: string) => Number(text.find((line) => line.startsWith(`${name}{${labels}}`))?.split(' ')[1] ?? NaN);
      return {
        aRunning: value('scim_gate_requests', `tenant="${a}",state="running"`),
        aWaiting: value('scim_gate_requests', `tenant="${a}",state="waiting"`),
        bRunning: value('scim_gate_requests', `tenant="${b}",state="running"`),
        bWaiting: value('scim_gate_requests', `tenant="${b}",state="waiting"`),
        aRefused: value('scim_gate_rejections_total', `tenant="${a}"`),
        bPresent: text.some((line) => line.includes(`tenant="${b}"`)),
      };
    };
    // A: 2 running (all slots but one), 2 waiting, 1 refused; B: 1 running (the slot kept free), 1 waiting.
    expect(await sample()).toEqual({ aRunning: 2, aWaiting: 2, bRunning: 1, bWaiting: 1, aRefused: 1, bPresent: true });
    t.release('b0');
    await flush();
    t.release('b1');
    await flush();
    // B done: it leaves the gauge (no series for idle tenants); A's freed slot went to its queue.
    const after = await sample();
    expect(after.bPresent).toBe(false);
    expect([after.aRunning, after.aWaiting]).toEqual([2, 2]);
  });
});
