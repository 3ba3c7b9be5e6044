/**
 * Worker thread entry that turns a backup's tar bytes into the backup file:
 * zstd (level 1, in zstd's own threads), age encryption to the recipient,
 * SHA-256 of the result (for the sidecar), written to the partial file and
 * fsynced. The main thread only reads profile files and builds the tar
 * stream; this runs beside it. It works synchronously on reused buffers:
 * a slot of shared memory in, compressed and sealed bytes out, written at
 * once; nothing is allocated per megabyte.
 */
import { createHash } from 'node:crypto'
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import { AgeSealer } from '../age/sealer.js'
import { zstdCompressor } from '../archive/zstd.js'
import { onParentMessage } from '../../workers/serve.js'
import { toWorkerFailure } from './protocol.js'
import { slotView, type SealRequest } from './slots.js'

const port = parentPort
if (!port) throw new Error('seal-worker must run in a worker thread')
const { path, recipient, shared } = workerData as {
  path: string
  recipient: Uint8Array
  shared: SharedArrayBuffer
}

const hash = createHash('sha256')
let size = 0
let fd: number | null = null

function write(bytes: Buffer): void {
  hash.update(bytes)
  size += bytes.length
  let offset = 0
  while (offset < bytes.length)
    offset += writeSync(fd as number, bytes, offset, bytes.length - offset)
}

let sealer: AgeSealer
let compress: ReturnType<typeof zstdCompressor>
try {
  fd = openSync(path, 'wx', 0o600)
  sealer = new AgeSealer([recipient], true)
  write(sealer.preamble)
  compress = zstdCompressor((compressed) => sealer.write(compressed, write))
} catch (error) {
  fail(error)
}

onParentMessage(
  (message: SealRequest) => {
    try {
      if (message.type === 'data') {
        compress.write(slotView(shared, message.slot, message.length))
        port.postMessage({ type: 'free', slot: message.slot })
      } else {
        compress.end()
        sealer.end(write)
        fsyncSync(fd as number)
        closeSync(fd as number)
        fd = null
        port.postMessage({ type: 'done', size, sha256: hash.digest('hex') })
      }
    } catch (error) {
      fail(error)
    }
  },
  // Asked to stop (the backup was abandoned): the partial file is the caller's to remove.
  () => {
    if (fd !== null) closeSync(fd)
    fd = null
  },
)

function fail(error: unknown): void {
  if (fd !== null) closeSync(fd)
  fd = null
  port?.postMessage({ type: 'error', failure: toWorkerFailure(error) })
}
