import { AppError } from '../../errors/app-error';

/**
 * Per-token token bucket, in process memory (no Redis round trip on the SCIM path, and SCIM keeps
 * working while Redis is down). Limits default high: Entra quarantines an application it gets
 * throttled by, so this guards against runaway clients, not against normal provisioning bursts.
 */
export class TokenRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  take(key: string): void {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.perMinute, at: t };
    b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * this.perMs);
    b.at = t;
    if (b.tokens < 1) {
      this.buckets.set(key, b);
      const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
      throw new AppError('tooManyRequests', 'SCIM_RATE_LIMITED', `Too many requests for this token; retry after ${retryAfter} s`, { retryAfter });
    }
    b.tokens -= 1;
    this.buckets.set(key, b);
    if (this.buckets.size > 100_000) this.buckets.clear();
  }
}
