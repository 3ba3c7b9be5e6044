export interface ImportProgress {
  /** The file or folder being read. */
  source: string
  sourcesDone: number
  sourcesTotal: number
  bytesDone: number
  bytesTotal: number
  imported: number
  duplicates: number
  skipped: number
}

export interface SkippedMessage {
  source: string
  /** Where in the source, e.g. "message 12 (byte 40960)"; empty for a whole file. */
  position: string
  reason: string
}

export interface ImportReport {
  imported: number
  duplicates: number
  skipped: SkippedMessage[]
  folders: string[]
  cancelled: boolean
  /** When nothing was imported: why, in words for the summary ("No mail was found there…"). */
  emptyReason: string | null
}

/** What the import worker is given (a job's input: plain data). */
export interface ImportJobInput {
  databaseFile: string
  attachmentsDir: string
  paths: string[]
  /** Another parse worker entry instead of the bundled one (tests: a parser that dies). */
  parseWorkerFile?: string
}
