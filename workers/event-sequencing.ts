import type { Models } from '../src/persistence/models';
import type { Logger } from '../src/observability/logger';
import { sequenceAllTenants } from '../src/domain/events/sequencer';
import { purgeExpiredEvents } from '../src/domain/events/feed';
import { deliveryRound, type DeliveryOptions } from '../src/domain/webhooks/delivery';

const PURGE_EVERY_MS = 3600 * 1000;
const FIRST_PURGE_AFTER_MS = 60 * 1000;

export interface EventSequencing {
  /** One sequencing round now: every tenant's waiting audit events sequenced (the timer also runs them). */
  runOnce(): Promise<number>;
  close(): Promise<void>;
}

/**
 * A loop that runs `round` every `intervalMs`, at once again while a round says there is more
 * (`true`), and at once when `poke`d; never two rounds at a time. `close` waits for the running one.
 */
function loop(intervalMs: number, round: () => Promise<boolean>, onError: (err: unknown) => void) {
  let running: Promise<boolean> | undefined;
  let again = false;
  let closed = false;
  const run = (): Promise<boolean> => {
    if (running) {
      // Asked while a round runs: one more round after it (what it was asked for may have come too late for this one).
      again = true;
      return running;
    }
    running = round().finally(() => {
      running = undefined;
    });
    void running.then(
      (more) => {
        if ((more || again) && !closed) {
          again = false;
          setImmediate(() => {
            if (!closed) void run().catch(onError);
          });
        }
      },
      () => undefined,
    );
    return running;
  };
  const timer = setInterval(() => {
    if (!running) void run().catch(onError);
  }, intervalMs);
  timer.unref();
  return {
    run,
    poke: () => void run().catch(onError),
    async close() {
      closed = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

/**
 * The worker's side of the change-event feed (docs/events.md). Two independent loops:
 *
 * - sequencing: every tenant's waiting audit events every `intervalMs` (so the feed trails commits
 *   by about that much even when nobody reads), and retention once an hour;
 * - delivery: every endpoint's next events (`deliveryRound`, several endpoints at once), again at once
 *   while an endpoint's round ran out of time with more to send, and at once when a sequencing round
 *   committed events (and every `intervalMs` for retries that came due).
 *
 * A long delivery round (a slow receiver) does not delay sequencing, and a long sequencing round (a
 * busy tenant) does not delay the delivery of what is already committed. Safe on every worker
 * replica: the sequencer's lease makes one writer per tenant, an endpoint's lease one deliverer.
 */
export function startEventSequencing(models: Models, opts: { intervalMs: number; retentionDays: number; delivery: DeliveryOptions }, log: Logger): EventSequencing {
  // The first purge a minute after start, then hourly: a worker restarted often still purges.
  let lastPurge = Date.now() - PURGE_EVERY_MS + FIRST_PURGE_AFTER_MS;
  const delivery = loop(
    opts.intervalMs,
    async () => (await deliveryRound(models, opts.delivery)).more,
    (err) => log.warn('webhook delivery failed', { err }),
  );
  let committedLast = 0;
  const sequencing = loop(
    opts.intervalMs,
    async () => {
      committedLast = await sequenceAllTenants(models);
      if (committedLast > 0) delivery.poke();
      if (Date.now() - lastPurge >= PURGE_EVERY_MS) {
        lastPurge = Date.now();
        const removed = await purgeExpiredEvents(models, opts.retentionDays);
        if (removed > 0) log.info('change events past retention removed', { removed, retentionDays: opts.retentionDays });
      }
      return false;
    },
    (err) => log.warn('event sequencing failed', { err }),
  );
  return {
    runOnce: async () => {
      await sequencing.run();
      return committedLast;
    },
    async close() {
      await Promise.all([sequencing.close(), delivery.close()]);
    },
  };
}
