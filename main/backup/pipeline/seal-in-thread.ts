import { createHash } from 'node:crypto'
import { PassThrough, Writable, type Readable } from 'node:stream'
import { AgeSealer } from '../age/sealer.js'
import { zstdCompressor } from '../archive/zstd.js'
import type { SealedStream } from './seal-backup.js'

/**
 * The encryption stage of a small backup (an incremental link of a few
 * megabytes) on the calling thread: what seal-worker.ts does — zstd level 1,
 * age to the recipient, SHA-256 and size of the result — without a thread to
 * start (tens of milliseconds, a sixth of such a backup). Same interface as
 * sealBackupStream: tar bytes into `sink`, the backup out of `output`.
 */
export function sealBackupInThread(recipient: Uint8Array): {
  sink: Writable
  output: Readable
  result: Promise<SealedStream>
} {
  const hash = createHash('sha256')
  let size = 0
  const output = new PassThrough({ highWaterMark: 1 << 20 })
  let settle!: { resolve: (sealed: SealedStream) => void; reject: (error: Error) => void }
  const result = new Promise<SealedStream>((resolve, reject) => (settle = { resolve, reject }))
  result.catch(() => undefined)
  // Each output of the sealer is a fresh buffer (no reuse): the stream may keep it.
  const emit = (bytes: Buffer) => {
    hash.update(bytes)
    size += bytes.length
    output.write(bytes)
  }
  const sealer = new AgeSealer([recipient])
  emit(sealer.preamble)
  const compress = zstdCompressor((compressed) => sealer.write(compressed, emit))
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      try {
        compress.write(chunk)
      } catch (error) {
        done(error as Error)
        return
      }
      // The destination sets the pace: wait while what was sealed has not been taken.
      if (output.writableNeedDrain) output.once('drain', () => done())
      else done()
    },
    final(done) {
      try {
        compress.end()
        sealer.end(emit)
        output.end()
        settle.resolve({ size, sha256: hash.digest('hex') })
        done()
      } catch (error) {
        done(error as Error)
      }
    },
    destroy(error, done) {
      if (error) {
        settle.reject(error)
        output.destroy(error)
      }
      done(error)
    },
  })
  return { sink, output, result }
}
