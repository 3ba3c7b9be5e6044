import { describe, expect, it } from 'vitest'
import { RateLimiter } from '../../vault/rate-limit'

/**
 * The vault's in-memory rate limits, keyed by client address and by the
 * record id a request names: both come from clients, so the table of
 * buckets must forget idle keys and stay within its cap however many
 * distinct keys arrive. Driven by an explicit clock (milliseconds).
 */
describe('the vault rate limiter', () => {
  it('forgets every client it has not heard from for a minute: 50,000 distinct clients, then one, and it holds one', () => {
    const limiter = new RateLimiter(120)
    const start = 1_000_000
    for (let i = 0; i < 50_000; i++)
      expect(limiter.take(`client-${i}`, start + i / 1000)).toBe(true)
    expect(limiter.size).toBe(50_000)
    // A minute on (the time an empty bucket takes to fill), every one of them is full again.
    limiter.take('late-comer', start + 50 + 60_000)
    expect(limiter.size).toBe(1)
  })

  it('holds no more keys than its cap, however many distinct clients come within a minute', () => {
    const limiter = new RateLimiter(120, 120, 1000)
    for (let i = 0; i < 5000; i++) limiter.take(`record-${i}`, 1_000_000)
    expect(limiter.size).toBe(1000)
  })

  it('still limits a busy client while idle ones are forgotten and others flood in', () => {
    const limiter = new RateLimiter(3, 3, 1000)
    const start = 1_000_000
    expect([0, 1, 2, 3].map(() => limiter.take('busy', start))).toEqual([true, true, true, false])
    // Others come and go; the busy client keeps asking, so its bucket stays (and stays empty).
    for (let i = 0; i < 900; i++) {
      limiter.take(`other-${i}`, start + 1000 + i)
      if (i % 100 === 0) expect(limiter.take('busy', start + 1000 + i)).toBe(false)
    }
    expect(limiter.take('busy', start + 2000)).toBe(false)
    // A third of the refill time later one token is back; the flood has been forgotten by then.
    expect(limiter.take('busy', start + 2000 + 20_000)).toBe(true)
    expect(limiter.take('busy', start + 2000 + 20_000)).toBe(false)
    expect(limiter.take('idle', start + 2000 + 20_000 + 60_000)).toBe(true)
    expect(limiter.size).toBe(1)
  })
})
