/**
 * Worker thread entry that turns a backup's tar bytes into the backup file:
 * zstd, age encryption to the recipient, SHA-256 of the result (for the
 * sidecar), written to the partial file and fsynced. The main thread only
 * reads profile files and builds the tar stream; this runs beside it.
 * In: { data } buffers (transferred) and { end }. Out: { ack } per buffer,
 * then { done, size, sha256 } or { error }.
 */
import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parentPort, workerData } from 'node:worker_threads'
import { AgeEncryptStream } from '../age/stream.js'
import { HashingPassThrough } from '../archive/hashing.js'
import { zstdCompressStream } from '../archive/zstd.js'
import { toWorkerFailure } from './protocol.js'

const port = parentPort
if (!port) throw new Error('seal-worker must run in a worker thread')
const { path, recipient, writeBufferBytes } = workerData as {
  path: string
  recipient: Uint8Array
  writeBufferBytes: number
}

const input = new Readable({ read() {} })
port.on('message', (message: { type: 'data'; chunk: Uint8Array } | { type: 'end' }) => {
  if (message.type === 'end') input.push(null)
  else {
    input.push(
      Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength),
    )
    port.postMessage({ type: 'ack' })
  }
})

const output = new HashingPassThrough()
pipeline(
  input,
  zstdCompressStream(),
  new AgeEncryptStream([recipient]),
  output,
  // flush: fsync before close, so a later rename never exposes unwritten data.
  createWriteStream(path, {
    flags: 'wx',
    mode: 0o600,
    flush: true,
    highWaterMark: writeBufferBytes,
  }),
).then(
  () => port.postMessage({ type: 'done', size: output.bytes, sha256: output.digest() }),
  (error: unknown) => port.postMessage({ type: 'error', failure: toWorkerFailure(error) }),
)
