/**
 * Worker thread entry that turns a backup's tar bytes into the encrypted
 * backup stream: zstd (level 1, in zstd's own threads), age encryption to
 * the recipient, and SHA-256 of the result (for the sidecar). Tar bytes
 * arrive through shared-memory slots; the sealed bytes go back to the
 * calling thread in fresh 1 MiB buffers (transferred, not copied), which
 * hands them to the destination's stream. It never touches a file: where
 * the backup goes is the destination's business.
 *
 * Flow control: sealed buffers are sent only against credits the calling
 * thread grants as its destination takes them; while none are left, the
 * worker keeps what it sealed and holds back the slot it came from, so the
 * archive writer waits too. Memory stays at a few buffers however slow the
 * destination is.
 */
import { createHash } from 'node:crypto'
import { parentPort, workerData } from 'node:worker_threads'
import { AgeSealer } from '../age/sealer.js'
import { zstdCompressor } from '../archive/zstd.js'
import { onParentMessage } from '../../workers/serve.js'
import { toWorkerFailure } from './protocol.js'
import { runAsBackgroundThread } from '../../workers/background.js'
import { slotView, type SealRequest } from './slots.js'

// Background work: the window's thread goes first on a busy machine.
runAsBackgroundThread()

const port = parentPort
if (!port) throw new Error('seal-worker must run in a worker thread')
const { recipient, shared } = workerData as { recipient: Uint8Array; shared: SharedArrayBuffer }

const OUT_BYTES = 1 << 20
const hash = createHash('sha256')
let size = 0
let out = Buffer.allocUnsafe(OUT_BYTES)
let outFill = 0
/** Sealed buffers waiting for credits, oldest first. */
const waiting: Buffer[] = []
/** Slots whose output is still waiting: freed once it has gone. */
const heldSlots: number[] = []
let credits = 0
let ended = false
let failed = false

/** Sealed bytes (valid only during the call): hashed, copied into the current output buffer. */
function write(bytes: Buffer): void {
  hash.update(bytes)
  size += bytes.length
  let offset = 0
  while (offset < bytes.length) {
    const n = Math.min(bytes.length - offset, OUT_BYTES - outFill)
    bytes.copy(out, outFill, offset, offset + n)
    outFill += n
    offset += n
    if (outFill === OUT_BYTES) queueOutput()
  }
}

function queueOutput(): void {
  if (outFill === 0) return
  waiting.push(out.subarray(0, outFill))
  out = Buffer.allocUnsafe(OUT_BYTES)
  outFill = 0
}

/** Send what credits allow; free held slots once nothing waits; say done at the very end. */
function flush(): void {
  while (credits > 0 && waiting.length > 0) {
    const chunk = waiting.shift() as Buffer
    credits -= 1
    const view = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    port?.postMessage({ type: 'data', chunk: view }, [chunk.buffer as ArrayBuffer])
  }
  if (waiting.length > 0) return
  for (const slot of heldSlots.splice(0)) port?.postMessage({ type: 'free', slot })
  if (ended && !failed) {
    failed = true // nothing more may be sent
    port?.postMessage({ type: 'done', size, sha256: hash.digest('hex') })
  }
}

let sealer: AgeSealer
let compress: ReturnType<typeof zstdCompressor>
try {
  sealer = new AgeSealer([recipient], true)
  write(sealer.preamble)
  compress = zstdCompressor((compressed) => sealer.write(compressed, write))
} catch (error) {
  fail(error)
}

// Asked to stop (done, or the writer gave up): main's polite stop ends the
// thread between two messages, never inside zstd; nothing here holds a file.
onParentMessage((message: SealRequest | { type: 'credit'; credit: number }) => {
  if (failed) return
  try {
    if (message.type === 'credit') {
      credits += message.credit
    } else if (message.type === 'data') {
      compress.write(slotView(shared, message.slot, message.length))
      heldSlots.push(message.slot)
    } else {
      compress.end()
      sealer.end(write)
      queueOutput()
      ended = true
    }
    flush()
  } catch (error) {
    fail(error)
  }
})

function fail(error: unknown): void {
  failed = true
  waiting.length = 0
  port?.postMessage({ type: 'error', failure: toWorkerFailure(error) })
}
