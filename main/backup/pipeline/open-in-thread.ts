import type { Readable } from 'node:stream'
import { Transform, pipeline, type TransformCallback } from 'node:stream'
import { AgeDecryptStream } from '../age/stream.js'
import { identityFromSecret } from '../age/x25519.js'
import { markingZstdFailure, zstdDecompressor } from '../archive/zstd.js'
import type { BackupKey } from '../key/backup-key.js'

/**
 * The plaintext tar stream of a small backup, decrypted and decompressed on
 * the calling thread: what open-worker.ts does, without a thread to start
 * (tens of milliseconds, more than a link of a few kilobytes takes to read).
 * Failures are the same as the worker's: an AgeError for age, an error with
 * code ERR_CAIRN_ZSTD for invalid compressed data, the source's own error
 * for a failed read. Destroying the result stops the source.
 */
export function openBackupInThread(encrypted: Readable, key: BackupKey): Readable {
  const decrypt = new AgeDecryptStream([identityFromSecret(key.secret)])
  const waiting: Buffer[] = []
  const inflate = new Transform({
    readableHighWaterMark: 1 << 20,
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      waiting.push(chunk)
      step(done, () => {
        while (decompress.step(waiting));
      })
    },
    flush(done: TransformCallback) {
      step(done, () => {
        while (decompress.step(waiting));
        decompress.finish()
      })
    },
  })
  const decompress = zstdDecompressor(1 << 20, (tar) => inflate.push(tar))
  pipeline(encrypted, decrypt, inflate, () => undefined) // errors reach `inflate`'s reader
  return inflate
}

/** One zstd step of the transform; its failure ends the stream, marked as zstd's. */
function step(done: TransformCallback, action: () => void): void {
  try {
    markingZstdFailure(action)
  } catch (error) {
    done(error as Error)
    return
  }
  done()
}
