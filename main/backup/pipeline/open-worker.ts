/**
 * Worker thread entry that reads a backup file, decrypts it (age) and
 * decompresses it (zstd), handing the tar bytes to the main thread in
 * transferred ~1 MiB buffers, only as many ahead as the main thread has
 * asked for. Decryption and decompression run here, beside the unpacking.
 * A synchronous loop: read, open authenticated chunks, decompress; pause
 * whenever the main thread has no room, resume when it grants more.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import { AgeOpener } from '../age/opener.js'
import { identityFromSecret } from '../age/x25519.js'
import { zstdDecompressor } from '../archive/zstd.js'
import { toWorkerFailure } from './protocol.js'

const port = parentPort
if (!port) throw new Error('open-worker must run in a worker thread')
const { file, secret } = workerData as { file: string; secret: Uint8Array }
const READ_BYTES = 1 << 20
const OUT_BYTES = 1 << 20

let fd: number | null = null
let opener: AgeOpener
let credits = 0
let finished = false
let endOfFile = false
const plaintext: Buffer[] = [] // authenticated runs waiting to be decompressed
const decompress = zstdDecompressor(OUT_BYTES, (tar) => {
  credits -= 1
  port.postMessage({ type: 'data', chunk: tar }, [tar.buffer as ArrayBuffer])
})

try {
  fd = openSync(file, 'r')
  opener = new AgeOpener([identityFromSecret(secret)])
} catch (error) {
  fail(error)
}

port.on('message', (message: { credit: number }) => {
  credits += message.credit
  pump()
})

function pump(): void {
  try {
    while (credits > 0 && !finished) {
      if (decompress.step(plaintext)) continue // produced output or consumed input
      if (!endOfFile) {
        // A fresh buffer per read: the opener may keep a tail of it until the next read.
        const buffer = Buffer.allocUnsafe(READ_BYTES)
        const read = readSync(fd as number, buffer, 0, READ_BYTES, null)
        if (read === 0) {
          endOfFile = true
          opener.end((run) => plaintext.push(run))
        } else {
          opener.write(buffer.subarray(0, read), (run) => plaintext.push(run))
        }
        continue
      }
      decompress.finish()
      finished = true
      closeSync(fd as number)
      fd = null
      port?.postMessage({ type: 'end' })
    }
  } catch (error) {
    fail(error)
  }
}

function fail(error: unknown): void {
  finished = true
  if (fd !== null) closeSync(fd)
  fd = null
  port?.postMessage({ type: 'error', failure: toWorkerFailure(error) })
}
