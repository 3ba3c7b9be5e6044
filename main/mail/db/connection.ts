import Database from 'better-sqlite3'
import { closeSync, openSync } from 'node:fs'
import { CairnError, errnoCode } from '../../shared/errors.js'
import { migrate } from './migrate.js'

export type MailDb = Database.Database

/**
 * Open the mailbox database in WAL mode: readers (the UI's queries, a backup
 * snapshot) never wait for the writer (sync, import), and a crash loses at
 * most the last transactions, never consistency.
 */
export function openMailDb(file: string, options: { readonly?: boolean } = {}): MailDb {
  let db: MailDb
  try {
    // A new mailbox is created private (0600); SQLite gives its -wal and -shm files the same mode.
    if (!options.readonly) closeSync(openSync(file, 'a', 0o600))
    db = new Database(file, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
    })
  } catch (error) {
    if (/NODE_MODULE_VERSION/.test((error as Error).message)) {
      // In a checkout, after `npm start` built SQLite's module for Electron.
      throw new CairnError(
        'INTERNAL',
        `SQLite's native module is built for another runtime (${(error as Error).message.split('\n')[0]}). In a checkout of Cairn, run "npm run native:node" (or "npm run native:electron").`,
        { cause: error },
      )
    }
    throw new CairnError(
      'PROFILE_UNAVAILABLE',
      `Cannot open the mailbox database ${file} (${errnoCode(error) ?? (error as Error).message}).`,
      { cause: error },
    )
  }
  db.pragma('busy_timeout = 10000')
  if (!options.readonly) {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    // Deleted rows are overwritten with zeros, freed pages too: without it the
    // text of mail deleted for good stays in the file (and in every backup,
    // which copies pages as they are). FAST is not enough: it leaves freed
    // pages (a body's overflow pages, rewritten index pages) as they were.
    // The full-text indexes still hold a deleted message's words until a
    // merge rewrites their segment (docs/decisions.md, 28 Nov 2026).
    db.pragma('secure_delete = ON')
    try {
      migrate(db)
    } catch (error) {
      db.close()
      throw error
    }
  }
  return db
}
