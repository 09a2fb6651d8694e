/**
 * Group commit: items added while a flush is running wait and go together in the next one. An
 * idle coalescer flushes at once (a lone request waits for nothing); under load, N concurrent
 * requests cost about one flush instead of N. Each `add` settles when its own batch is done, with
 * that batch's error if it failed, so a caller sees its write succeed or fail exactly as before.
 */
export class Coalescer<T> {
  private queued: { item: T; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private draining = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly maxBatch = 500,
  ) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queued.length > 0) {
        const batch = this.queued.splice(0, this.maxBatch);
        try {
          await this.flush(batch.map((entry) => entry.item));
          for (const entry of batch) entry.resolve();
        } catch (err) {
          for (const entry of batch) entry.reject(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
