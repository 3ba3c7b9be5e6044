/**
 * Worker thread entry that stages a restore (plan.ts, unpackToStaging):
 * reading the backup's archive, hashing every file against the manifest,
 * writing it into the staging folder and checking the databases, so the
 * thread that serves the window stays free while a large backup is read.
 * A job (workers/serve.ts): in, StageJobInput; progress, bytes done of
 * total; out, StagedData.
 */
import { serveJob } from '../../workers/serve.js'
import { backupKeyFromSecret } from '../key/backup-key.js'
import { unpackToStaging, type StagedData } from './plan.js'
import { runAsBackgroundThread } from '../../workers/background.js'
import type { StageJobInput, StageProgress } from './stage-in-worker.js'

// Background work: the window's thread goes first on a busy machine.
runAsBackgroundThread()

serveJob<StageJobInput, StageProgress, StagedData>(
  ({ file, profileDir, keySecret }, { progress }) => {
    let last = 0
    return unpackToStaging({
      file,
      profileDir,
      key: backupKeyFromSecret(keySecret),
      onProgress: (update) => {
        // A message per buffer would keep the receiving thread busy for nothing.
        const now = Date.now()
        if (now - last < 100 && update.bytesDone < update.bytesTotal) return
        last = now
        progress(update)
      },
    })
  },
  { unexpected: (message) => `The restore failed: ${message}` },
)
