/**
 * Worker thread entry running SQLite's check of a restored database (see
 * check-database.ts) off the thread that unpacks (a full check takes
 * seconds). A job: in, the file and how deep; out, 'ok' or the problems
 * found.
 */
import Database from 'better-sqlite3'
import { runAsBackgroundThread } from '../../workers/background.js'
import { serveJob } from '../../workers/serve.js'
import type { CheckJob } from './check-database.js'

// Background work: the window's thread goes first on a busy machine.
runAsBackgroundThread()

serveJob<CheckJob, never, string>(async ({ path, depth }) => {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true })
    // A check reads each page about once: a small cache does as well and keeps memory low.
    db.pragma('cache_size = -2048')
    try {
      return depth === 'full' ? check(db, 'integrity_check') : checkStructure(db)
    } finally {
      db.close()
    }
  } catch (error) {
    return (error as Error).message
  }
})

/**
 * quick_check table by table: with no table named, quick_check also runs
 * each FTS5 table's content check (FTS5 ignores "quick"), which is most of
 * integrity_check's time. The schema table is checked first, and an
 * unreadable schema fails here.
 */
function checkStructure(db: Database.Database): string {
  const tables = db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY rootpage",
    )
    .pluck()
    .all() as string[]
  for (const table of ['sqlite_schema', ...tables]) {
    const result = check(db, `quick_check(${quoted(table)})`)
    if (result !== 'ok') return result
  }
  return 'ok'
}

function check(db: Database.Database, pragma: string): string {
  const rows = db.pragma(pragma, { simple: false }) as Record<string, string>[]
  return rows.map((row) => Object.values(row).join('')).join('; ')
}

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
