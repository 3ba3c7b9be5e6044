import { Readable } from 'node:stream'
import { WorkerThread } from '../../workers/worker-thread.js'
import { workerFile } from '../../workers/worker-file.js'
import type { BackupKey } from '../key/backup-key.js'
import { fromWorkerFailure, type WorkerFailure } from './protocol.js'

type Reply =
  { type: 'data'; chunk: Uint8Array } | { type: 'end' } | { type: 'error'; failure: WorkerFailure }

/** Buffers (of ~1 MiB) the worker may have on their way at once: bounds memory, keeps both threads busy. */
const IN_FLIGHT = 6

/**
 * The plaintext tar stream of a backup file: read, decrypted and
 * decompressed in a worker thread (open-worker.ts). Errors arrive as the
 * same classes as in-thread decryption (AgeError for age failures), so
 * callers explain them alike.
 */
export function openBackupStream(file: string, key: BackupKey): Readable {
  const worker = new WorkerThread<{ credit: number }, Reply>(workerFile('open-worker'), {
    label: 'the backup decryptor',
    workerData: { file, secret: key.secret },
    onFailure: (error) => stream.destroy(error),
  })
  let granted = 0
  const grant = (n: number) => {
    granted += n
    worker.post({ credit: n })
  }
  const stream = new Readable({
    highWaterMark: 4 << 20,
    read() {
      if (granted < IN_FLIGHT) grant(IN_FLIGHT - granted)
    },
    destroy(error, callback) {
      void worker.stop()
      callback(error)
    },
  })
  worker.onMessage((message) => {
    if (message.type === 'data') {
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
