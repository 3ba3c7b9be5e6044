/**
 * Worker thread entry that runs one backup (run-backup.ts), so hashing,
 * compression and encryption never block the thread that serves the UI.
 * A job (workers/serve.ts): in, the request; progress, BackupProgress; out,
 * BackupResult.
 */
import { serveJob } from '../../workers/serve.js'
import { runBackup, type BackupProgress, type BackupResult } from '../run-backup.js'
import { runAsBackgroundThread } from '../../workers/background.js'
import type { BackupJobInput } from './run-in-worker.js'

// Background work: the window's thread goes first on a busy machine.
runAsBackgroundThread()

serveJob<BackupJobInput, BackupProgress, BackupResult>(
  (request, { signal, progress }) => {
    let last = 0
    return runBackup({
      ...request,
      signal,
      onProgress: (update) => {
        const now = Date.now()
        if (now - last < 100 && update.bytesDone < update.bytesTotal) return
        last = now
        progress(update)
      },
    })
  },
  { unexpected: (message) => `The backup failed: ${message}` },
)
