import { Readable } from 'node:stream'
import { WorkerThread } from '../../workers/worker-thread.js'
import { workerFile } from '../../workers/worker-file.js'
import type { BackupKey } from '../key/backup-key.js'
import { openBackupInThread } from './open-in-thread.js'
import type { OpenRequest } from './open-worker.js'
import { fromWorkerFailure, type WorkerFailure } from './protocol.js'

type Reply =
  | { type: 'data'; chunk: Uint8Array }
  | { type: 'took' }
  | { type: 'end' }
  | { type: 'error'; failure: WorkerFailure }

/** Backups up to this size are opened on the calling thread (open-in-thread.ts). */
const IN_THREAD_BYTES = 4 << 20
/** Tar buffers (of ~1 MiB) the worker may have on their way at once: bounds memory, keeps both threads busy. */
const IN_FLIGHT = 3
/** Encrypted buffers handed to the worker and not yet taken by it. */
const INPUT_IN_FLIGHT = 2
/** Encrypted bytes are gathered into buffers of about this size before they cross. */
const INPUT_BYTES = 1 << 20

/**
 * The plaintext tar stream of a backup, from its encrypted bytes (`encrypted`,
 * read from wherever the backup lives): decrypted and decompressed in a
 * worker thread (open-worker.ts). Errors arrive as the same classes as
 * in-thread decryption (AgeError for age failures), so callers explain
 * them alike; an error of `encrypted` (a lost connection) ends the stream
 * with that very error. With `size` (the backup's, when known) small, it is
 * opened on this thread instead.
 */
export function openBackupStream(
  encrypted: Readable,
  key: BackupKey,
  options: { size?: number | null } = {},
): Readable {
  // A small backup (an incremental link, a manifest read alone) costs less to open here than a thread to start.
  if (options.size != null && options.size <= IN_THREAD_BYTES)
    return openBackupInThread(encrypted, key)
  const worker = new WorkerThread<OpenRequest, Reply>(workerFile('open-worker'), {
    label: 'the backup decryptor',
    workerData: { secret: key.secret },
    onFailure: (error) => stream.destroy(error),
  })
  let granted = 0
  const grant = (n: number) => {
    granted += n
    worker.post({ type: 'credit', credit: n })
  }
  const stream = new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (granted < IN_FLIGHT) grant(IN_FLIGHT - granted)
    },
    destroy(error, callback) {
      encrypted.destroy()
      void worker.stop()
      callback(error)
    },
  })

  // Encrypted bytes go over in ~1 MiB buffers of their own (transferred, not shared with a pool).
  let pending: Buffer[] = []
  let pendingBytes = 0
  let inFlight = 0
  const post = () => {
    if (pendingBytes === 0) return
    const chunk = Buffer.allocUnsafeSlow(pendingBytes)
    let offset = 0
    for (const piece of pending) {
      piece.copy(chunk, offset)
      offset += piece.length
    }
    pending = []
    pendingBytes = 0
    inFlight += 1
    const view = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    worker.post({ type: 'input', chunk: view }, [chunk.buffer as ArrayBuffer])
    if (inFlight >= INPUT_IN_FLIGHT) encrypted.pause()
  }
  encrypted.on('data', (piece: Buffer) => {
    pending.push(piece)
    pendingBytes += piece.length
    if (pendingBytes >= INPUT_BYTES) post()
  })
  encrypted.once('end', () => {
    post()
    worker.post({ type: 'input-end' })
  })
  encrypted.once('error', (error) => stream.destroy(error))

  worker.onMessage((message) => {
    if (message.type === 'took') {
      inFlight -= 1
      if (inFlight < INPUT_IN_FLIGHT && encrypted.isPaused()) encrypted.resume()
    } else if (message.type === 'data') {
      granted -= 1
      const more = stream.push(
        Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength),
      )
      if (more && granted < IN_FLIGHT) grant(1)
    } else if (message.type === 'end') {
      stream.push(null)
      void worker.stop()
    } else {
      stream.destroy(fromWorkerFailure(message.failure))
    }
  })
  return stream
}
