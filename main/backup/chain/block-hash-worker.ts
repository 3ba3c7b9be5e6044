/**
 * Worker thread entry that hashes a range of a database's 4 KiB blocks with
 * the record's key (see scan-database.ts), beside the thread taking the
 * file's SHA-256. Whole buffers are read, so blocks stay whole.
 */
import { closeSync } from 'node:fs'
import { sodium } from '../age/sodium.js'
import { runAsBackgroundThread } from '../../workers/background.js'
import { serveTasks } from '../../workers/serve.js'
import { BLOCK_SIZE } from './chain-format.js'
import { HASH_BYTES } from './page-record.js'
import { readFully } from './read-fully.js'
import { openRegularFile } from '../snapshot/open-regular-file.js'

/** Blocks [from, to) of `file` (`size` bytes, which does not change while read). */
export interface BlockHashTask {
  file: string
  size: number
  key: Uint8Array
  from: number
  to: number
}

// Background work: the window's thread goes first on a busy machine.
runAsBackgroundThread()

const buffer = Buffer.allocUnsafe(256 * BLOCK_SIZE)

serveTasks(
  ({ file, size, key, from, to }: BlockHashTask): Uint8Array<ArrayBuffer> => {
    const hashes = new Uint8Array(new ArrayBuffer((to - from) * HASH_BYTES))
    const keyBytes = Buffer.from(key.buffer, key.byteOffset, key.byteLength)
    // Not a link, nor a fifo (whose open would wait for a writer): a regular file or nothing.
    const { fd } = openRegularFile(file)
    try {
      const end = Math.min(size, to * BLOCK_SIZE)
      for (let offset = from * BLOCK_SIZE; offset < end;) {
        const read = readFully(fd, buffer, Math.min(buffer.length, end - offset), offset)
        if (read === 0) throw new Error(`${file} ended early: it changed while it was read`)
        for (let at = 0; at < read; at += BLOCK_SIZE) {
          const index = (offset + at) / BLOCK_SIZE - from
          sodium.crypto_shorthash(
            Buffer.from(hashes.buffer, index * HASH_BYTES, HASH_BYTES),
            buffer.subarray(at, Math.min(at + BLOCK_SIZE, read)),
            keyBytes,
          )
        }
        offset += read
      }
    } finally {
      closeSync(fd)
    }
    return hashes
  },
  { transfer: (hashes) => [hashes.buffer] },
)
