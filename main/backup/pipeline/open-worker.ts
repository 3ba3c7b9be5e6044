/**
 * Worker thread entry that reads a backup file, decrypts it (age) and
 * decompresses it (zstd), handing the tar bytes to the main thread in
 * ~1 MiB transferred buffers, as many in flight as the main thread allows.
 * Decryption and decompression then run beside the unpacking, on another core.
 */
import { createReadStream } from 'node:fs'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parentPort, workerData } from 'node:worker_threads'
import { AgeDecryptStream } from '../age/stream.js'
import { identityFromSecret } from '../age/x25519.js'
import { zstdDecompressStream } from '../archive/zstd.js'
import { Chunker } from './chunker.js'
import { toWorkerFailure } from './protocol.js'

const port = parentPort
if (!port) throw new Error('open-worker must run in a worker thread')
const { file, secret } = workerData as { file: string; secret: Uint8Array }

let credits = 0
let waiting: (() => void) | null = null
port.on('message', (message: { credit: number }) => {
  credits += message.credit
  waiting?.()
  waiting = null
})

const send = async (chunk: Buffer) => {
  while (credits === 0) await new Promise<void>((resolve) => (waiting = resolve))
  credits -= 1
  port.postMessage({ type: 'data', chunk }, [chunk.buffer as ArrayBuffer])
}

const chunker = new Chunker()
const sink = new Writable({
  write(data: Buffer, _encoding, done) {
    const full = chunker.add(data)
    ;(async () => {
      for (const chunk of full) await send(chunk)
    })().then(() => done(), done)
  },
  final(done) {
    const rest = chunker.rest()
    ;(rest ? send(rest) : Promise.resolve()).then(() => done(), done)
  },
})

pipeline(
  createReadStream(file, { highWaterMark: 1 << 20 }),
  new AgeDecryptStream([identityFromSecret(secret)]),
  zstdDecompressStream(),
  sink,
).then(
  () => port.postMessage({ type: 'end' }),
  (error: unknown) => port.postMessage({ type: 'error', failure: toWorkerFailure(error) }),
)
