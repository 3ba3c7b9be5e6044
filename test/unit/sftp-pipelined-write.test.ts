import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { pipelinedWrite, WRITE_WINDOW } from '../../main/backup/destination/sftp/pipelined-write.js'

const WRITE_BLOCK = 64 * 1024

/** A remote file answering each write after a few milliseconds, out of order. */
function slowRemote() {
  const file = Buffer.alloc(16 << 20)
  let length = 0
  let outstanding = 0
  let maxOutstanding = 0
  let maxOutstandingBytes = 0
  let outstandingBytes = 0
  let finishedWith: number | null = null
  return {
    writeAt: (position: number, data: Buffer) => {
      outstanding += 1
      outstandingBytes += data.length
      maxOutstanding = Math.max(maxOutstanding, outstanding)
      maxOutstandingBytes = Math.max(maxOutstandingBytes, outstandingBytes)
      const copy = Buffer.from(data)
      return new Promise<void>((resolve) =>
        setTimeout(
          () => {
            copy.copy(file, position)
            length = Math.max(length, position + copy.length)
            outstanding -= 1
            outstandingBytes -= copy.length
            resolve()
          },
          1 + Math.floor(Math.random() * 4),
        ),
      )
    },
    finish: () => {
      finishedWith = outstanding
      return Promise.resolve()
    },
    contents: () => file.subarray(0, length),
    stats: () => ({ maxOutstanding, maxOutstandingBytes, finishedWith }),
  }
}

describe('SFTP pipelined write', () => {
  it('keeps many writes in flight, within the window, and puts every byte at its offset', async () => {
    const remote = slowRemote()
    const data = randomBytes(12 << 20)
    const chunks = Array.from({ length: 12 }, (_, i) => data.subarray(i << 20, (i + 1) << 20))
    await pipeline(
      Readable.from(chunks),
      pipelinedWrite({
        block: WRITE_BLOCK,
        writeAt: remote.writeAt,
        finish: remote.finish,
        release: () => undefined,
        explain: (error) => Promise.resolve(error as Error),
      }),
    )
    expect(remote.contents().equals(data)).toBe(true)
    const stats = remote.stats()
    expect(stats.maxOutstanding).toBeGreaterThan(8)
    // One chunk may go out past the window before the writable waits.
    expect(stats.maxOutstandingBytes).toBeLessThanOrEqual(WRITE_WINDOW + (1 << 20))
    expect(stats.finishedWith).toBe(0) // closed only once every write was answered
  })

  it('fails with the explained error of a refused write, and never finishes the file', async () => {
    let finished = false
    let released = false
    let writes = 0
    const stream = pipelinedWrite({
      block: WRITE_BLOCK,
      writeAt: () => {
        writes += 1
        return writes === 20
          ? Promise.reject(new Error('No space left'))
          : new Promise((resolve) => setTimeout(resolve, 1))
      },
      finish: () => {
        finished = true
        return Promise.resolve()
      },
      release: () => (released = true),
      explain: (error) => Promise.resolve(new Error(`explained: ${(error as Error).message}`)),
    })
    const chunks = Array.from({ length: 40 }, () => Buffer.alloc(4 * WRITE_BLOCK))
    await expect(pipeline(Readable.from(chunks), stream)).rejects.toThrow(
      'explained: No space left',
    )
    expect(finished).toBe(false)
    expect(released).toBe(true)
  })
})
