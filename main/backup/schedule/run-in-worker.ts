import { Worker } from 'node:worker_threads'
import { CairnError } from '../../shared/errors.js'
import { workerFile } from '../../shared/worker-file.js'
import type { BackupRequest, BackupResult } from '../run-backup.js'
import type { BackupWorkerMessage } from './backup-worker-protocol.js'

/**
 * Run a backup in a worker thread; same contract as runBackup. The worker
 * reads account secrets from the OS keychain itself (functions such as a
 * custom secretStore or onStep cannot cross to a thread).
 */
export function runBackupInWorker(request: BackupRequest): Promise<BackupResult> {
  const { signal, onProgress, now: _now, secretStore: _store, onStep: _step, ...data } = request
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile('backup-worker'), { workerData: data })
    let settled = false
    const settle = (action: () => void) => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', cancel)
      action()
      void worker.terminate()
    }
    const cancel = () => worker.postMessage('cancel')
    signal?.addEventListener('abort', cancel)
    worker.on('message', (message: BackupWorkerMessage) => {
      if (message.type === 'progress') onProgress?.(message.progress)
      else if (message.type === 'done') settle(() => resolve(message.result))
      else settle(() => reject(new CairnError(message.error.code, message.error.message)))
    })
    worker.on('error', (error) =>
      settle(() =>
        reject(new CairnError('INTERNAL', `The backup worker failed: ${error.message}`)),
      ),
    )
    worker.on('exit', () =>
      settle(() => reject(new CairnError('INTERNAL', 'The backup worker stopped unexpectedly.'))),
    )
  })
}
