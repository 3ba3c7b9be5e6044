import { Readable, Writable } from 'node:stream'
import { WorkerThread } from '../../workers/worker-thread.js'
import { workerFile } from '../../workers/worker-file.js'
import { fromWorkerFailure, type WorkerFailure } from './protocol.js'
import { createSlots, SLOT_BYTES, SLOT_COUNT, slotView, type SealRequest } from './slots.js'

export interface SealedStream {
  size: number
  sha256: string
}

type Reply =
  | { type: 'free'; slot: number }
  | { type: 'data'; chunk: Uint8Array }
  | ({ type: 'done' } & SealedStream)
  | { type: 'error'; failure: WorkerFailure }

/** Sealed buffers (1 MiB each) the worker may have on their way to the destination at once. */
const IN_FLIGHT = 4

/**
 * The encryption stage of a backup, run in a worker thread (seal-worker.ts):
 * write the tar stream into `sink`; the compressed and encrypted backup
 * comes out of `output`, to be piped into a destination. Tar bytes cross
 * through a few shared-memory slots, sealed bytes come back transferred;
 * both directions are flow-controlled, so memory stays bounded whatever
 * the destination's speed. `result` resolves with the sealed stream's size
 * and SHA-256 once all of it has been handed to `output`.
 */
export function sealBackupStream(recipient: Uint8Array): {
  sink: Writable
  output: Readable
  result: Promise<SealedStream>
} {
  const shared = createSlots()
  const worker = new WorkerThread<SealRequest | { type: 'credit'; credit: number }, Reply>(
    workerFile('seal-worker'),
    {
      label: 'the backup encryptor',
      workerData: { recipient, shared },
      onFailure: (error) => fail(error),
    },
  )
  const free: number[] = Array.from({ length: SLOT_COUNT }, (_, i) => i)
  let waiting: (() => void) | null = null
  let current: { slot: number; fill: number } | null = null
  let failed: Error | null = null
  let granted = 0
  let settle!: { resolve: (sealed: SealedStream) => void; reject: (error: Error) => void }
  const result = new Promise<SealedStream>((resolve, reject) => (settle = { resolve, reject }))
  result.catch(() => undefined)

  const fail = (error: Error) => {
    if (failed) return
    failed = error
    waiting?.()
    settle.reject(error)
    output.destroy(error)
    void worker.stop()
  }

  const output = new Readable({
    highWaterMark: 2 * (1 << 20),
    read() {
      if (granted < IN_FLIGHT) {
        worker.post({ type: 'credit', credit: IN_FLIGHT - granted })
        granted = IN_FLIGHT
      }
    },
    destroy(error, callback) {
      if (error) fail(error)
      callback(error)
    },
  })

  worker.onMessage((message) => {
    if (message.type === 'free') {
      free.push(message.slot)
      waiting?.()
      waiting = null
    } else if (message.type === 'data') {
      granted -= 1
      const more = output.push(
        Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength),
      )
      if (more && granted < IN_FLIGHT) {
        worker.post({ type: 'credit', credit: 1 })
        granted += 1
      }
    } else if (message.type === 'done') {
      settle.resolve({ size: message.size, sha256: message.sha256 })
      output.push(null)
      void worker.stop()
    } else {
      fail(fromWorkerFailure(message.failure))
    }
  })

  const send = (request: SealRequest) => worker.post(request)
  const slotFor = async (): Promise<{ slot: number; fill: number }> => {
    while (free.length === 0 && !failed) await new Promise<void>((resolve) => (waiting = resolve))
    if (failed) throw failed
    return { slot: free.shift() as number, fill: 0 }
  }

  const sink = new Writable({
    highWaterMark: SLOT_BYTES,
    write(data: Buffer, _encoding, done) {
      ;(async () => {
        let offset = 0
        while (offset < data.length) {
          current ??= await slotFor()
          const n = Math.min(data.length - offset, SLOT_BYTES - current.fill)
          slotView(shared, current.slot).set(data.subarray(offset, offset + n), current.fill)
          current.fill += n
          offset += n
          if (current.fill === SLOT_BYTES) {
            send({ type: 'data', slot: current.slot, length: current.fill })
            current = null
          }
        }
      })().then(() => done(), done)
    },
    final(done) {
      if (failed) {
        done(failed)
        return
      }
      if (current && current.fill > 0)
        send({ type: 'data', slot: current.slot, length: current.fill })
      current = null
      send({ type: 'end' })
      // The sink is finished once the worker has all of it; `output` ends after the last sealed byte.
      done()
    },
    destroy(error, done) {
      if (error) fail(error)
      done(error)
    },
  })
  return { sink, output, result }
}
