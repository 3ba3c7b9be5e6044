import Database from 'better-sqlite3'
import { closeSync, openSync, rmSync, statSync } from 'node:fs'
import { PROFILE_FILE_MODE } from '../../profile/permissions.js'
import { errnoCode } from '../../shared/errors.js'

/**
 * A consistent copy of a live SQLite database, taken while the app keeps
 * writing, that a backup can read as a plain file.
 *
 * The fast way needs no copy at all. After a TRUNCATE checkpoint the WAL is
 * empty; a read transaction that starts while it is still empty reads the
 * database file alone (WAL read-lock 0), and while such a reader exists no
 * checkpoint may write into the database file (checkpointing needs that
 * lock exclusively; see wal.c, "WAL_READ_LOCK(0)"). Writers go on appending
 * to the WAL. So, holding that transaction, the file itself is a frozen,
 * consistent snapshot. That the WAL was still empty once the transaction
 * began is checked from its size: a reader on any other lock would pin the
 * WAL's frames, and it could not shrink back to nothing.
 *
 * When that cannot be had (a writer slipped in, or the checkpoint was
 * blocked), the database is copied in ONE step of SQLite's online backup API
 * to `fallbackPath`. A backup in small steps restarts on every write and
 * may never finish while the app is busy.
 */
export interface SqliteSnapshot {
  /** The file to read: the live database (frozen) or the copy. */
  readonly path: string
  readonly method: 'frozen' | 'copy'
  /** Rows of a query against the snapshot itself: the state the backup carries. */
  all<T>(sql: string): T[]
  release(): void
}

export async function snapshotSqlite(
  dbPath: string,
  fallbackPath: string,
): Promise<SqliteSnapshot> {
  const db = new Database(dbPath, { fileMustExist: true })
  db.pragma('busy_timeout = 10000')
  try {
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') {
      // Rollback-journal mode: a read transaction's SHARED lock keeps writers out of the file.
      db.exec('BEGIN')
      db.prepare('SELECT count(*) FROM sqlite_schema').get()
      return frozen(db, dbPath)
    }
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[]
    if (result?.busy === 0) {
      db.exec('BEGIN')
      db.prepare('SELECT count(*) FROM sqlite_schema').get()
      if (walSize(dbPath) === 0) return frozen(db, dbPath)
      db.exec('ROLLBACK')
    }
    rmSync(fallbackPath, { force: true })
    // Created private before SQLite writes the whole mailbox into it: SQLite would make it 0644
    // (its default, whatever the umask), and its journal takes the file's mode.
    closeSync(openSync(fallbackPath, 'wx', PROFILE_FILE_MODE))
    await db.backup(fallbackPath, { progress: () => 0x7fffffff })
    db.close()
    return {
      path: fallbackPath,
      method: 'copy',
      all<T>(sql: string): T[] {
        const copy = new Database(fallbackPath, { readonly: true, fileMustExist: true })
        try {
          return copy.prepare(sql).all() as T[]
        } finally {
          copy.close()
        }
      },
      release: () => rmSync(fallbackPath, { force: true }),
    }
  } catch (error) {
    if (db.open) db.close()
    throw error
  }
}

function frozen(db: Database.Database, path: string): SqliteSnapshot {
  return {
    path,
    method: 'frozen',
    // Inside the held read transaction: exactly what the frozen file holds.
    all: <T>(sql: string) => db.prepare(sql).all() as T[],
    release: () => {
      if (db.inTransaction) db.exec('ROLLBACK')
      db.close()
    },
  }
}

function walSize(dbPath: string): number {
  try {
    return statSync(`${dbPath}-wal`).size
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0
    throw error
  }
}
