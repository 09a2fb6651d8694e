import { isAppError } from '../../../src/errors/app-error';
import { TenantGate, type Release } from '../../../src/scim/http/tenant-gate';

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
});
