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
}
