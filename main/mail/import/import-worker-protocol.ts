import type { ErrorCode } from '../../shared/errors.js'
import type { ImportProgress, ImportReport } from './import-types.js'

export interface ImportWorkerInput {
  databaseFile: string
  attachmentsDir: string
  paths: string[]
}

export type ImportWorkerMessage =
  | { type: 'progress'; progress: ImportProgress }
  | { type: 'done'; report: ImportReport }
  | { type: 'error'; error: { code: ErrorCode; message: string } }
