import type { ErrorCode } from '../../shared/errors.js'
import type { BackupProgress, BackupResult } from '../run-backup.js'

export type BackupWorkerMessage =
  | { type: 'progress'; progress: BackupProgress }
  | { type: 'done'; result: BackupResult }
  | { type: 'error'; error: { code: ErrorCode; message: string } }
