/**
 * Worker thread entry that decrypts (age) and decompresses (zstd) a
 * backup, handing the tar bytes to the calling thread in transferred
 * ~1 MiB buffers, only as many ahead as it has asked for. The encrypted
 * bytes come from the calling thread too (which reads them from the
 * destination: a folder, a bucket, a server), one buffer at a time: each is
 * acknowledged once taken, so the reader upstream never runs far ahead.
 * Decryption and decompression run here, beside the unpacking.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { dearmor, isArmored, MAX_ARMORED_BYTES } from '../age/armor.js'
import { AgeError } from '../age/errors.js'
import { AgeOpener } from '../age/opener.js'
import { identityFromSecret } from '../age/x25519.js'
import { markingZstdFailure, zstdDecompressor } from '../archive/zstd.js'
import { onParentMessage } from '../../workers/serve.js'
import { runAsBackgroundThread } from '../../workers/background.js'
import { toWorkerFailure } from './protocol.js'

// Background work: the window's thread goes first on a busy machine.
runAsBackgroundThread()

export type OpenRequest =
  { type: 'credit'; credit: number } | { type: 'input'; chunk: Uint8Array } | { type: 'input-end' }

const port = parentPort
if (!port) throw new Error('open-worker must run in a worker thread')
const { secret } = workerData as { secret: Uint8Array }
const OUT_BYTES = 1 << 20

let opener: AgeOpener
let credits = 0
let finished = false
let inputEnded = false
let openerEnded = false
/** How the input is read: not known until its first bytes are seen. */
let mode: 'detect' | 'binary' | 'armored' = 'detect'
const input: Buffer[] = [] // encrypted buffers not yet taken
let armored: Buffer[] = []
let armoredBytes = 0
const plaintext: Buffer[] = [] // authenticated runs waiting to be decompressed
const decompress = zstdDecompressor(OUT_BYTES, (tar) => {
  credits -= 1
  port.postMessage({ type: 'data', chunk: tar }, [tar.buffer as ArrayBuffer])
})

try {
  opener = new AgeOpener([identityFromSecret(secret)])
} catch (error) {
  fail(error)
}

// Asked to stop (done, or the reader gave up): main's polite stop ends the
// thread between two messages, never inside zstd; nothing here holds a file.
onParentMessage((message: OpenRequest) => {
  if (finished) return
  if (message.type === 'credit') credits += message.credit
  else if (message.type === 'input')
    input.push(
      Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength),
    )
  else inputEnded = true
  pump()
})

const took = () => port?.postMessage({ type: 'took' })

/**
 * An ASCII-armored backup (age -a) is gathered whole, decoded strictly and
 * decrypted like a binary one, as `cairn decrypt` and the age CLI read it.
 * Armor is meant for small files, so a large one is refused. Returns
 * whether the mode is known yet.
 */
function detect(): boolean {
  const head = Buffer.concat(
    input,
    Math.min(
      64,
      input.reduce((n, b) => n + b.length, 0),
    ),
  )
  const verdict = isArmored(head, inputEnded)
  if (verdict === null) return false
  mode = verdict ? 'armored' : 'binary'
  return true
}

function takeArmored(): void {
  for (const chunk of input.splice(0)) {
    armoredBytes += chunk.length
    if (armoredBytes > MAX_ARMORED_BYTES)
      throw new AgeError('armor', 'age armor: the armored file is too large')
    armored.push(chunk)
    took()
  }
  if (!inputEnded) return
  opener.write(dearmor(Buffer.concat(armored)), (run) => plaintext.push(run))
  armored = []
  opener.end((run) => plaintext.push(run))
  openerEnded = true
}

function pump(): void {
  try {
    while (credits > 0 && !finished) {
      if (mode === 'detect' && !detect()) return // more bytes needed to tell
      if (mode === 'armored' && !openerEnded) {
        takeArmored()
        if (!openerEnded) return
      }
      if (markingZstdFailure(() => decompress.step(plaintext))) continue // produced output or consumed input
      const next = input.shift()
      if (next) {
        opener.write(next, (run) => plaintext.push(run))
        took()
        continue
      }
      if (!inputEnded) return // waiting for the calling thread's next buffer
      if (!openerEnded) {
        opener.end((run) => plaintext.push(run))
        openerEnded = true
        continue
      }
      markingZstdFailure(() => decompress.finish())
      finished = true
      port?.postMessage({ type: 'end' })
    }
  } catch (error) {
    fail(error)
  }
}

function fail(error: unknown): void {
  finished = true
  input.length = 0
  port?.postMessage({ type: 'error', failure: toWorkerFailure(error) })
}
