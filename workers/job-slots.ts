import type { Logger } from '../src/observability/logger';
import type { TenantSlotLeases } from '../src/queue/tenant-slots';

/** What a job taken by the worker does: run (and call release when done), or give its slot up (back to the queue). */
export type SlotEntry = { run: true; release: () => void } | { run: false };

interface HeldJob {
  tenantId: string;
  holder: string;
  admit: (entry: SlotEntry) => void;
}

/**
 * The worker process's side of the per-tenant cap (src/queue/tenant-slots.ts). A job taken while
 * its tenant is over the cap and another tenant has work is held in memory, in the order taken,
 * and looked at again when a job of this worker ends and every `pollMs` (jobs end on other workers
 * too). At most one held job per look gives its slot up, and only when the queue's next job is
 * another tenant's, so that job gets the slot without A's next job spinning through it.
 * Redis unreachable: jobs run uncapped (the cap is a fairness aid, never a reason to stop work).
 */
export class SyncJobSlots {
  private readonly held: HeldJob[] = [];
  private readonly running = new Map<string, { tenantId: string; holder: string }>();
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly renewTimer: NodeJS.Timeout;
  private looking = false;
  private lookAgain = false;
  private stopped = false;
  private readonly releasing = new Set<Promise<void>>();

  constructor(
    private readonly leases: TenantSlotLeases,
    private readonly cap: number,
    private readonly log: Logger,
    leaseMs: number,
    private readonly pollMs = 50,
  ) {
    this.renewTimer = setInterval(() => void this.renew(), Math.max(1000, Math.floor(leaseMs / 3)));
    this.renewTimer.unref();
  }

  async enter(tenantId: string, holder: string): Promise<SlotEntry> {
    if (this.cap <= 0) return { run: true, release: () => undefined };
    if (this.stopped) return { run: false };
    let answer;
    try {
      answer = await this.leases.acquire(tenantId, holder, this.cap);
    } catch (err) {
      this.log.debug('tenant slot lease unavailable; the job runs uncapped', { err });
      return { run: true, release: () => undefined };
    }
    if (answer.kind === 'acquired') return this.admitted(tenantId, holder, answer.seq);
    if (answer.kind === 'yield') return { run: false };
    return new Promise<SlotEntry>((admit) => {
      this.held.push({ tenantId, holder, admit });
      this.pollTimer ??= setInterval(() => void this.look(), this.pollMs);
    });
  }

  /** Held jobs go back to the queue (the worker is closing); later jobs too. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.renewTimer);
    this.stopPolling();
    for (const job of this.held.splice(0)) job.admit({ run: false });
  }

  /** Resolves when the leases of finished jobs are given back (before the worker closes its connection). */
  async released(): Promise<void> {
    await Promise.all([...this.releasing]);
  }

  private admitted(tenantId: string, holder: string, seq: number): SlotEntry {
    this.log.debug('tenant slot taken', { tenantId, holder, seq });
    this.running.set(holder, { tenantId, holder });
    let released = false;
    return {
      run: true,
      release: () => {
        if (released) return;
        released = true;
        this.running.delete(holder);
        const done = this.leases
          .release(tenantId, holder)
          .then((seq) => this.log.debug('tenant slot given back', { tenantId, holder, seq }))
          .catch((err: unknown) => this.log.debug('could not release a tenant slot lease; it expires', { err }))
          .then(() => this.look())
          .finally(() => this.releasing.delete(done));
        this.releasing.add(done);
      },
    };
  }

  /** Tries the held jobs in the order taken: one Redis call each, at most one gives its slot up. */
  private async look(): Promise<void> {
    if (this.looking) {
      this.lookAgain = true;
      return;
    }
    this.looking = true;
    try {
      do {
        this.lookAgain = false;
        let yielded = false;
        const blocked = new Set<string>();
        for (const job of [...this.held]) {
          if (this.stopped) return;
          if (blocked.has(job.tenantId)) continue;
          let answer;
          try {
            answer = await this.leases.acquire(job.tenantId, job.holder, this.cap);
          } catch (err) {
            this.log.debug('tenant slot lease unavailable; the held job runs uncapped', { err });
            this.take(job);
            job.admit({ run: true, release: () => undefined });
            continue;
          }
          if (answer.kind === 'acquired') {
            this.take(job);
            job.admit(this.admitted(job.tenantId, job.holder, answer.seq));
          } else if (answer.kind === 'yield' && !yielded) {
            yielded = true;
            this.take(job);
            job.admit({ run: false });
          } else {
            blocked.add(job.tenantId);
          }
        }
      } while (this.lookAgain && this.held.length > 0);
    } finally {
      this.looking = false;
      if (this.held.length === 0) this.stopPolling();
    }
  }

  private take(job: HeldJob): void {
    const i = this.held.indexOf(job);
    if (i >= 0) this.held.splice(i, 1);
  }

  private stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async renew(): Promise<void> {
    await this.leases.renew([...this.running.values()]).catch((err: unknown) => this.log.debug('could not renew tenant slot leases', { err }));
  }
}
