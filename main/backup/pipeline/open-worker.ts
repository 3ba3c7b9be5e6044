/**
 * Worker thread entry that reads a backup file, decrypts it (age) and
 * decompresses it (zstd), handing the tar bytes to the main thread in
 * transferred ~1 MiB buffers, only as many ahead as the main thread has
 * asked for. Decryption and decompression run here, beside the unpacking.
 * A synchronous loop: read, open authenticated chunks, decompress; pause
 * whenever the main thread has no room, resume when it grants more.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import { dearmor, isArmored, MAX_ARMORED_BYTES } from '../age/armor.js'
import { AgeError } from '../age/errors.js'
import { AgeOpener } from '../age/opener.js'
import { identityFromSecret } from '../age/x25519.js'
import { zstdDecompressor } from '../archive/zstd.js'
import { onParentMessage } from '../../workers/serve.js'
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
  readArmored(fd)
} catch (error) {
  fail(error)
}

/**
 * An ASCII-armored backup (age -a) is read whole, decoded strictly and
 * decrypted like a binary one, as `cairn decrypt` and the age CLI read it.
 * Armor is meant for small files, so a large one is refused.
 */
function readArmored(descriptor: number): void {
  const start = Buffer.alloc(64)
  const seen = readSync(descriptor, start, 0, start.length, 0)
  if (!isArmored(start.subarray(0, seen), seen < start.length)) return
  const size = fstatSync(descriptor).size
  if (size > MAX_ARMORED_BYTES)
    throw new AgeError('armor', 'age armor: the armored file is too large')
  const whole = Buffer.alloc(size)
  let filled = 0
  while (filled < size) {
    const read = readSync(descriptor, whole, filled, size - filled, filled)
    if (read === 0) break
    filled += read
  }
  opener.write(dearmor(whole.subarray(0, filled)), (run) => plaintext.push(run))
  opener.end((run) => plaintext.push(run))
  endOfFile = true
}

onParentMessage(
  (message: { credit: number }) => {
    credits += message.credit
    pump()
  },
  () => {
    if (fd !== null) closeSync(fd)
    fd = null
  },
)

/** zstd's own failures, marked so the reader can say the compressed data is invalid. */
function zstd<T>(action: () => T): T {
  try {
    return action()
  } catch (error) {
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), {
      code: 'ERR_CAIRN_ZSTD',
    })
  }
}

function pump(): void {
  try {
    while (credits > 0 && !finished) {
      if (zstd(() => decompress.step(plaintext))) continue // produced output or consumed input
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
      zstd(() => decompress.finish())
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
