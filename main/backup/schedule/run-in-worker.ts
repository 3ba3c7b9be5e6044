import { withAttachmentSweepHeld } from '../../mail/attachment-sweep-hold.js'
import { CairnError } from '../../shared/errors.js'
import { runJob } from '../../workers/job.js'
import { workerFile } from '../../workers/worker-file.js'
import type { DestinationSpec } from '../destination/resolve.js'
import type { BackupProgress, BackupRequest, BackupResult } from '../run-backup.js'

/**
 * What the backup worker is given: a BackupRequest without its callbacks,
 * and its destination as an address or a named destination's settings.
 * The worker reads account and destination secrets from the OS keychain
 * itself (functions such as a custom secretStore, onStep or an open
 * Destination cannot cross to a thread; secrets are never sent along).
 */
export type BackupJobInput = Omit<
  BackupRequest,
  'signal' | 'onProgress' | 'now' | 'secretStore' | 'onStep' | 'retryDelayMs' | 'destination'
> & { destination: string | DestinationSpec }

/** Run a backup in a worker thread (backup-worker.ts); same contract as runBackup. */
export function runBackupInWorker(request: BackupRequest): Promise<BackupResult> {
  const {
    signal,
    onProgress,
    now: _now,
    secretStore: _store,
    onStep: _step,
    retryDelayMs: _delay,
    destination,
    ...rest
  } = request
  if (typeof destination === 'object' && 'startBackup' in destination)
    throw new CairnError(
      'INTERNAL',
      'A backup in a worker thread needs its destination as an address, not an open connection.',
    )
  const input: BackupJobInput = { ...rest, destination }
  // The backup lists the files, snapshots the mailbox, then reads the files: a file the
  // sweep removed in between (its mail deleted meanwhile) would be missing from a backup
  // whose mailbox still refers to it. The sweep waits until the backup is done.
  return withAttachmentSweepHeld(() =>
    runJob<BackupJobInput, BackupProgress, BackupResult>(workerFile('backup-worker'), input, {
      label: 'the backup',
      signal,
      onProgress,
      // Quitting cancels a running backup: it gets this long to clean up, then its thread is stopped.
      stopAfterCancelMs: 10_000,
      stoppedReason: () =>
        new CairnError(
          'BACKUP_CANCELLED',
          'The backup was stopped before it finished; no backup was written.',
        ),
    }),
  )
}
