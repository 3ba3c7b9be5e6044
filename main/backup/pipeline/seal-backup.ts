import { Writable } from 'node:stream'
import { Worker } from 'node:worker_threads'
import { workerFile } from '../../shared/worker-file.js'
import { Chunker } from './chunker.js'
import type { WorkerFailure } from './protocol.js'

/** Buffers (of ~1 MiB) on their way to the worker at once. */
const IN_FLIGHT = 6

export interface SealedFile {
  size: number
  sha256: string
}

/**
 * A writable for a backup's tar stream whose other end, in a worker thread
 * (seal-worker.ts), compresses, encrypts, hashes and writes the backup file
 * at `path` (created exclusively, fsynced on close). `result` resolves with
 * the file's size and SHA-256 once it is complete.
 */
export function sealBackupFile(
  path: string,
  recipient: Uint8Array,
  writeBufferBytes: number,
): { sink: Writable; result: Promise<SealedFile> } {
  const worker = new Worker(workerFile('seal-worker'), {
    workerData: { path, recipient, writeBufferBytes },
  })
  const chunker = new Chunker()
  let inFlight = 0
  let resume: (() => void) | null = null
  let resolveResult!: (file: SealedFile) => void
  let rejectResult!: (error: Error) => void
  const result = new Promise<SealedFile>((resolve, reject) => {
    resolveResult = resolve
    rejectResult = reject
  })
  result.catch(() => undefined)
  let failed: Error | null = null

  const fail = (error: Error) => {
    failed ??= error
    resume?.()
    rejectResult(error)
    void worker.terminate()
  }
  worker.on(
    'message',
    (
      message:
        | { type: 'ack' }
        | ({ type: 'done' } & SealedFile)
        | { type: 'error'; failure: WorkerFailure },
    ) => {
      if (message.type === 'ack') {
        inFlight -= 1
        resume?.()
        resume = null
      } else if (message.type === 'done') {
        resolveResult({ size: message.size, sha256: message.sha256 })
        void worker.terminate()
      } else {
        fail(
          Object.assign(new Error(message.failure.message), {
            code:
              message.failure.kind === 'system' ? (message.failure.code ?? undefined) : undefined,
          }),
        )
      }
    },
  )
  worker.on('error', fail)

  const send = async (chunk: Buffer) => {
    while (inFlight >= IN_FLIGHT && !failed) await new Promise<void>((r) => (resume = r))
    if (failed) throw failed
    inFlight += 1
    worker.postMessage({ type: 'data', chunk }, [chunk.buffer as ArrayBuffer])
  }

  const sink = new Writable({
    write(data: Buffer, _encoding, done) {
      ;(async () => {
        for (const chunk of chunker.add(data)) await send(chunk)
      })().then(() => done(), done)
    },
    final(done) {
      const rest = chunker.rest()
      ;(rest ? send(rest) : Promise.resolve())
        .then(() => {
          worker.postMessage({ type: 'end' })
          return result
        })
        .then(() => done(), done)
    },
    destroy(error, done) {
      if (error) fail(error)
      done(error)
    },
  })
  return { sink, result }
}
