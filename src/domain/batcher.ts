/**
 * Group commit with answers: what callers submit while a flush runs goes together in the next one,
 * and each caller gets the outcomes of its own items. An idle batcher flushes at once (a lone
 * caller waits for nothing); under load N concurrent callers share one flush. A flush starts after
 * every submission it carries, so a read made this way is never older than its caller's request.
 * A caller's items stay together (a flush may exceed `maxBatch` by one submission).
 */
export class Batcher<I, O> {
  private queued: { items: readonly I[]; resolve: (outcomes: O[]) => void; reject: (err: unknown) => void }[] = [];
  private draining = false;

  constructor(
    private readonly flush: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 1000,
  ) {}

  submit(items: readonly I[]): Promise<O[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      this.queued.push({ items, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  async one(item: I): Promise<O> {
    return (await this.submit([item]))[0] as O;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queued.length > 0) {
        let taken = 0;
        let size = 0;
        while (taken < this.queued.length && (taken === 0 || size + this.queued[taken]!.items.length <= this.maxBatch)) size += this.queued[taken++]!.items.length;
        const batch = this.queued.splice(0, taken);
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
    } finally {
      this.draining = false;
    }
  }
}
