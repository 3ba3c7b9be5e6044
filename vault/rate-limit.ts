/** Most keys a limiter holds at once (see RateLimiter). */
export const RATE_LIMITER_MAX_KEYS = 100_000

/**
 * Token buckets, in memory, per key (a client address, a record id). Each
 * node limits on its own; the guess count, which must be exact, lives in the
 * database instead.
 *
 * Keys come from clients (a record id is whatever a request names), so the
 * table must not grow with them. A bucket left alone for `burst` /
 * `perMinute` minutes is full again, the same as no bucket at all: such
 * buckets are dropped as requests come, oldest first (the map is kept in
 * order of last use, so dropping stops at the first one still in use).
 * Before, they were dropped only past 100,000 keys, and then only the full
 * ones: a flood of fresh keys grew the table without end, scanning all of
 * it on every request. Past `maxKeys` keys in use within one refill time,
 * the least recently used bucket goes (its key starts full again).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  /** Milliseconds for an empty bucket to fill. */
  private readonly refillMs: number

  constructor(
    private readonly perMinute: number,
    private readonly burst = perMinute,
    private readonly maxKeys = RATE_LIMITER_MAX_KEYS,
  ) {
    this.refillMs = (burst / perMinute) * 60_000
  }

  /** Take one token; false when the key is over its limit. */
  take(key: string, now = Date.now()): boolean {
    this.expire(now)
    const refill = this.perMinute / 60_000
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now }
    bucket.tokens = Math.min(this.burst, bucket.tokens + Math.max(0, now - bucket.at) * refill)
    bucket.at = now
    const allowed = bucket.tokens >= 1
    if (allowed) bucket.tokens -= 1
    // Re-inserted: the most recently used key goes last.
    this.buckets.delete(key)
    this.buckets.set(key, bucket)
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value
      if (oldest !== undefined) this.buckets.delete(oldest)
    }
    return allowed
  }

  /** How many keys the limiter holds now. */
  get size(): number {
    return this.buckets.size
  }

  /** Drop the buckets that have filled up since their last use (oldest first). */
  private expire(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at < this.refillMs) break
      this.buckets.delete(key)
    }
  }
}
