/**
 * Worker thread entry running SQLite's integrity_check on a restored
 * database, so the check (seconds on a large mailbox) runs while the rest
 * of the backup is still being unpacked.
 */
import Database from 'better-sqlite3'
import { parentPort, workerData } from 'node:worker_threads'

const port = parentPort
if (!port) throw new Error('sqlite-check-worker must run in a worker thread')
let result: string
try {
  const db = new Database(workerData as string, { readonly: true, fileMustExist: true })
  // integrity_check reads each page about once: a small cache does as well and keeps memory low.
  db.pragma('cache_size = -2048')
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[]
    result = rows.map((r) => r.integrity_check).join('; ')
  } finally {
    db.close()
  }
} catch (error) {
  result = (error as Error).message
}
port.postMessage(result)
