import type { Models } from '../src/persistence/models';
import type { Logger } from '../src/observability/logger';
import { sequenceAllTenants } from '../src/domain/events/sequencer';
import { purgeExpiredEvents } from '../src/domain/events/feed';
import { deliverDue, type DeliveryOptions } from '../src/domain/webhooks/delivery';

const PURGE_EVERY_MS = 3600 * 1000;
const FIRST_PURGE_AFTER_MS = 60 * 1000;

export interface EventSequencing {
  /** One round now: every tenant's waiting audit events sequenced (the timer also runs them). */
  runOnce(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The worker's side of the change-event feed (docs/events.md): sequences every tenant's waiting
 * audit events every `intervalMs`, so the feed and the webhooks trail commits by about that much
 * even when nobody reads, then delivers webhooks; and applies retention once an hour. Safe on every worker replica:
 * the sequencer's lease makes one writer per tenant.
 */
export function startEventSequencing(models: Models, opts: { intervalMs: number; retentionDays: number; delivery: DeliveryOptions }, log: Logger): EventSequencing {
  let running: Promise<number> | undefined;
  // The first purge a minute after start, then hourly: a worker restarted often still purges.
  let lastPurge = Date.now() - PURGE_EVERY_MS + FIRST_PURGE_AFTER_MS;
  let again = false;
  let closed = false;
  const runOnce = (): Promise<number> => {
    running ??= (async () => {
      const committed = await sequenceAllTenants(models);
      // Then webhooks: each endpoint's next events, in order, from what is committed now.
      const delivered = await deliverDue(models, opts.delivery);
      // A busy feed: the next round at once rather than after the interval (an endpoint's round is time-bounded).
      if (delivered > 0) again = true;
      if (Date.now() - lastPurge >= PURGE_EVERY_MS) {
        lastPurge = Date.now();
        const removed = await purgeExpiredEvents(models, opts.retentionDays);
        if (removed > 0) log.info('change events past retention removed', { removed, retentionDays: opts.retentionDays });
      }
      return committed;
    })().finally(() => {
      running = undefined;
      if (again && !closed) {
        again = false;
        setImmediate(() => {
          if (!closed) void runOnce().catch((err) => log.warn('event sequencing failed', { err }));
        });
      }
    });
    return running;
  };
  const timer = setInterval(() => void runOnce().catch((err) => log.warn('event sequencing failed', { err })), opts.intervalMs);
  timer.unref();
  return {
    runOnce,
    async close() {
      closed = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
