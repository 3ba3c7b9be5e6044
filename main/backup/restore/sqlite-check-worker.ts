/**
 * Worker thread entry running SQLite's integrity_check on a restored
 * database, so the check (seconds on a large mailbox) runs while the rest
 * of the backup is still being unpacked. A job: in, the file; out, 'ok' or
 * the problems found.
 */
import Database from 'better-sqlite3'
import { runAsBackgroundThread } from '../../workers/background.js'
import { serveJob } from '../../workers/serve.js'

// Background work: the window's thread goes first on a busy machine.
runAsBackgroundThread()

serveJob<string, never, string>(async (path) => {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true })
    // integrity_check reads each page about once: a small cache does as well and keeps memory low.
    db.pragma('cache_size = -2048')
    try {
      const rows = db.pragma('integrity_check') as { integrity_check: string }[]
      return rows.map((r) => r.integrity_check).join('; ')
    } finally {
      db.close()
    }
  } catch (error) {
    return (error as Error).message
  }
})
