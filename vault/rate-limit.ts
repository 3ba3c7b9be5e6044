/**
 * Token buckets, in memory, per key (a client address, a record id). Each
 * node limits on its own; the guess count, which must be exact, lives in the
 * database instead.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly perMinute: number,
    private readonly burst = perMinute,
  ) {}

  /** Take one token; false when the key is over its limit. */
  take(key: string, now = Date.now()): boolean {
    const refill = this.perMinute / 60_000
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now }
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * refill)
    bucket.at = now
    const allowed = bucket.tokens >= 1
    if (allowed) bucket.tokens -= 1
    this.buckets.set(key, bucket)
    if (this.buckets.size > 100_000) this.prune(now)
    return allowed
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * (this.perMinute / 60_000) >= this.burst)
        this.buckets.delete(key)
    }
  }
}
