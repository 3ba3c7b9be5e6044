import Database from 'better-sqlite3'
import { closeSync, openSync, writeSync } from 'node:fs'

/**
 * Overwrite the root page of `table` in the database file at `path`
 * (everything after its 8-byte header) with garbage: a b-tree damaged the
 * way a bad disk would, which SQLite's checks report.
 */
export function damageTableRoot(path: string, table: string): void {
  const db = new Database(path, { readonly: true })
  const root = db
    .prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?')
    .pluck()
    .get(table) as number
  const pageSize = db.pragma('page_size', { simple: true }) as number
  db.close()
  const fd = openSync(path, 'r+')
  try {
    writeSync(fd, Buffer.alloc(pageSize - 8, 0xa5), 0, pageSize - 8, (root - 1) * pageSize + 8)
  } finally {
    closeSync(fd)
  }
}
