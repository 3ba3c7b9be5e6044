/**
 * Worker thread entry that runs one backup (run-backup.ts), so hashing,
 * compression and encryption never block the thread that serves the UI.
 * In: the request via workerData, 'cancel' via postMessage.
 * Out: { type: 'progress' | 'done' | 'error' }.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { CairnError, describeError, isCairnError } from '../../shared/errors.js'
import { runBackup, type BackupRequest } from '../run-backup.js'
import type { BackupWorkerMessage } from './backup-worker-protocol.js'

const port = parentPort
if (!port) throw new Error('backup-worker must run in a worker thread')
const request = workerData as Omit<
  BackupRequest,
  'signal' | 'onProgress' | 'now' | 'secretStore' | 'onStep'
>
const controller = new AbortController()
port.on('message', (message: unknown) => {
  if (message === 'cancel') controller.abort()
})
const send = (message: BackupWorkerMessage) => port.postMessage(message)

let last = 0
runBackup({
  ...request,
  signal: controller.signal,
  onProgress: (progress) => {
    const now = Date.now()
    if (now - last < 100 && progress.bytesDone < progress.bytesTotal) return
    last = now
    send({ type: 'progress', progress })
  },
}).then(
  (result) => send({ type: 'done', result }),
  (error: unknown) => {
    const failure = isCairnError(error)
      ? error
      : new CairnError('INTERNAL', `The backup failed: ${describeError(error)}`)
    send({ type: 'error', error: { code: failure.code, message: failure.message } })
  },
)
