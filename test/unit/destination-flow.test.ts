import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { withRetry } from '../../main/backup/destination/retry'
import { Throttle } from '../../main/backup/destination/throttle'
import { CairnError } from '../../main/shared/errors'

describe('bandwidth limit', () => {
  it('holds a stream to about the given rate and passes every byte unchanged', async () => {
    const data = Buffer.alloc(600 * 1024, 7)
    const out: Buffer[] = []
    const started = performance.now()
    await pipeline(
      Readable.from([data.subarray(0, 300 * 1024), data.subarray(300 * 1024)]),
      new Throttle(1024 * 1024),
      new Writable({ write: (c: Buffer, _e, done) => (out.push(c), done()) }),
    )
    const seconds = (performance.now() - started) / 1000
    expect(Buffer.concat(out).equals(data)).toBe(true)
    // 600 KiB at 1 MiB/s, the first 64 KiB free: at least ~0.5 s.
    expect(seconds).toBeGreaterThan(0.45)
  })
})

describe('retries', () => {
  it('tries transient failures again with growing, jittered waits, then gives up', async () => {
    const waits: number[] = []
    let calls = 0
    const failing = () => {
      calls++
      return Promise.reject(new CairnError('DESTINATION_SERVER', 'HTTP 503'))
    }
    await expect(
      withRetry(failing, {
        attempts: 4,
        baseDelayMs: 100,
        sleep: async (ms) => void waits.push(ms),
      }),
    ).rejects.toThrow('503')
    expect(calls).toBe(4)
    expect(waits).toHaveLength(3)
    waits.forEach((w, i) => expect(w).toBeLessThanOrEqual(100 * 2 ** i))
  })

  it('does not retry what another try cannot fix (wrong password, no permission)', async () => {
    let calls = 0
    await expect(
      withRetry(
        () => {
          calls++
          return Promise.reject(new CairnError('DESTINATION_AUTH', 'wrong password'))
        },
        { sleep: async () => undefined },
      ),
    ).rejects.toThrow('wrong password')
    expect(calls).toBe(1)
  })

  it('tries a time-out (a whole idle deadline already waited) once more only, then gives up', async () => {
    let calls = 0
    await expect(
      withRetry(
        () => {
          calls++
          return Promise.reject(new CairnError('DESTINATION_TIMEOUT', 'stopped answering'))
        },
        { attempts: 4, sleep: async () => undefined },
      ),
    ).rejects.toThrow('stopped answering')
    expect(calls).toBe(2)
  })
})
