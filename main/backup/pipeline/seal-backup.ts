import { Writable } from 'node:stream'
import { WorkerThread } from '../../workers/worker-thread.js'
import { workerFile } from '../../workers/worker-file.js'
import { fromWorkerFailure, type WorkerFailure } from './protocol.js'
import { createSlots, SLOT_BYTES, SLOT_COUNT, slotView, type SealRequest } from './slots.js'

export interface SealedFile {
  size: number
  sha256: string
}

type Reply =
  | { type: 'free'; slot: number }
  | ({ type: 'done' } & SealedFile)
  | { type: 'error'; failure: WorkerFailure }

/**
 * A writable for a backup's tar stream whose other end, in a worker thread
 * (seal-worker.ts), compresses, encrypts, hashes and writes the backup file
 * at `path` (created exclusively, fsynced before it is closed). Bytes cross
 * through a few shared-memory slots. `result` resolves with the file's size
 * and SHA-256 once it is complete.
 */
export function sealBackupFile(
  path: string,
  recipient: Uint8Array,
): { sink: Writable; result: Promise<SealedFile> } {
  const shared = createSlots()
  const worker = new WorkerThread<SealRequest, Reply>(workerFile('seal-worker'), {
    label: 'the backup encryptor',
    workerData: { path, recipient, shared },
    onFailure: (error) => fail(error),
  })
  const free: number[] = Array.from({ length: SLOT_COUNT }, (_, i) => i)
  let waiting: (() => void) | null = null
  let current: { slot: number; fill: number } | null = null
  let failed: Error | null = null
  let settle!: { resolve: (file: SealedFile) => void; reject: (error: Error) => void }
  const result = new Promise<SealedFile>((resolve, reject) => (settle = { resolve, reject }))
  result.catch(() => undefined)

  const fail = (error: Error) => {
    failed ??= error
    waiting?.()
    settle.reject(failed)
    void worker.stop()
  }
  worker.onMessage((message) => {
    if (message.type === 'free') {
      free.push(message.slot)
      waiting?.()
      waiting = null
    } else if (message.type === 'done') {
      settle.resolve({ size: message.size, sha256: message.sha256 })
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
      result.then(() => done(), done)
    },
    destroy(error, done) {
      if (error) fail(error)
      else void worker.stop()
      done(error)
    },
  })
  return { sink, result }
}
