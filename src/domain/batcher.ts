/** How a Batcher groups its callers' items and runs its flushes. */
export interface BatcherOptions {
  /** Items per flush (a caller's submission is never split). */
  maxBatch?: number;
  /**
   * Each flush waits this long after the first submission it carries (or until `maxBatch` items
   * are queued, or `drained` is called), so writes nobody waits for (the provisioning log's) go in
   * fewer, larger flushes. 0 (the default) flushes at once: nothing a caller awaits may linger.
   */
  lingerMs?: number;
  /** Flushes running at once (default 1). */
  concurrentFlushes?: number;
}

/** One caller's items, and how its promise is settled. */
interface Submission<I, O> {
  items: readonly I[];
  resolve: (outcomes: O[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit with answers: what callers submit while a flush runs goes together in the next one,
 * and each caller gets the outcomes of its own items. An idle batcher flushes at once (a lone
 * caller waits for nothing); under load N concurrent callers share one flush. A flush starts after
 * every submission it carries, so a read made this way is never older than its caller's request.
 * A caller's items stay together (a flush may exceed `maxBatch` by one submission).
 *
 * With `concurrentFlushes` above 1, a flush may start while earlier ones run (up to that many at
 * once): for writes whose flushes are independent of each other's order (each is a complete unit,
 * as an audited membership flush is), so that one caller's next batch can use the database while
 * its previous one is still being written. The default, 1, runs them one after another.
 */
export class Batcher<I, O> {
  private queued: Submission<I, O>[] = [];
  private draining = false;
  /** Items in `queued` (what a lingering flush compares with maxBatch). */
  private queuedItems = 0;
  private resumeLinger: (() => void) | undefined;
  /** Set by `drained`: no flush lingers until the queue is empty. */
  private hurry = false;
  /** Settles when the running drain ends (everything queued is flushed). */
  private idle: Promise<void> = Promise.resolve();

  private readonly maxBatch: number;
  private readonly lingerMs: number;
  private readonly concurrentFlushes: number;
  /** Flushes running now. */
  private readonly running = new Set<Promise<void>>();
  /** Set while the drain waits for a running flush to end: a submission wakes it to start the next one. */
  private wake: (() => void) | undefined;

  constructor(
    private readonly flush: (items: I[]) => Promise<O[]>,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.lingerMs = options.lingerMs ?? 0;
    this.concurrentFlushes = Math.max(1, options.concurrentFlushes ?? 1);
  }

  /** Resolves once everything submitted before the call is flushed (a lingering flush starts now). */
  drained(): Promise<void> {
    if (this.draining) this.hurry = true;
    this.resumeLinger?.();
    return this.idle;
  }

  submit(items: readonly I[]): Promise<O[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      this.queued.push({ items, resolve, reject });
      this.queuedItems += items.length;
      if (!this.draining) void this.drain();
      else if (this.resumeLinger && this.queuedItems >= this.maxBatch) this.resumeLinger();
      else this.wake?.();
    });
  }

  async one(item: I): Promise<O> {
    return (await this.submit([item]))[0] as O;
  }

  /** One flush of `batch`; answers each caller (never rejects: a failure rejects the callers). */
  private async run(batch: Submission<I, O>[]): Promise<void> {
    try {
      const outcomes = await this.flush(batch.flatMap((entry) => entry.items));
      let at = 0;
      for (const entry of batch) {
        entry.resolve(outcomes.slice(at, at + entry.items.length));
        at += entry.items.length;
      }
    } catch (err) {
      for (const entry of batch) entry.reject(err);
    }
  }

  /** Waits up to lingerMs, or less when the batch fills or `drained` is called. */
  private linger(): Promise<void> {
    return new Promise<void>((resolve) => {
      const resume = () => {
        clearTimeout(timer);
        this.resumeLinger = undefined;
        resolve();
      };
      const timer = setTimeout(resume, this.lingerMs);
      this.resumeLinger = resume;
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    let markIdle!: () => void;
    this.idle = new Promise<void>((resolve) => (markIdle = resolve));
    try {
      while (this.queued.length > 0 || this.running.size > 0) {
        if (this.queued.length === 0 || this.running.size >= this.concurrentFlushes) {
          // Wait for a flush to end, or (with a free slot) for the next submission.
          await new Promise<void>((resolve) => {
            if (this.running.size < this.concurrentFlushes) this.wake = resolve;
            for (const flush of this.running) void flush.then(resolve);
          });
          this.wake = undefined;
          continue;
        }
        if (this.lingerMs > 0 && !this.hurry && this.queuedItems < this.maxBatch) await this.linger();
        let taken = 0;
        let size = 0;
        while (taken < this.queued.length && (taken === 0 || size + this.queued[taken]!.items.length <= this.maxBatch)) size += this.queued[taken++]!.items.length;
        const batch = this.queued.splice(0, taken);
        this.queuedItems -= size;
        const flush = this.run(batch);
        this.running.add(flush);
        void flush.then(() => this.running.delete(flush));
      }
    } finally {
      this.draining = false;
      this.hurry = false;
      markIdle();
    }
  }
}

/**
 * A flush for the keys of several tenants: `read` once per tenant with that tenant's keys (in
 * order) and answering each of them, the answers put back in the keys' order. Every read of a
 * shared Batcher is per tenant (a query names its tenant: shard-targeted).
 */
export function perTenant<K extends { tenantId: string }, O>(read: (tenantId: string, keys: K[]) => Promise<O[]>): (keys: K[]) => Promise<O[]> {
  return async (keys) => {
    const byTenant = new Map<string, number[]>();
    keys.forEach((k, i) => (byTenant.get(k.tenantId) ?? byTenant.set(k.tenantId, []).get(k.tenantId)!).push(i));
    const out = new Array<O>(keys.length);
    await Promise.all(
      [...byTenant].map(async ([tenantId, positions]) => {
        const answers = await read(
          tenantId,
          positions.map((i) => keys[i]!),
        );
        positions.forEach((position, j) => (out[position] = answers[j]!));
      }),
    );
    return out;
  };
}
