import type { Database } from 'better-sqlite3'

/** One schema step. Each lives in its own file under migrations/ and has its own test. */
export interface Migration {
  /** The user_version the database has after this step; steps are numbered 1, 2, 3… */
  readonly version: number
  readonly name: string
  /**
   * 'off' for a step that rebuilds a table (create new, copy, drop old,
   * rename): with foreign keys on, dropping the old table would cascade-delete
   * every row that refers to it. The runner turns enforcement off outside the
   * transaction (inside one, SQLite ignores the pragma), and before committing
   * checks that every reference still resolves (PRAGMA foreign_key_check).
   */
  readonly foreignKeys?: 'on' | 'off'
  up(db: Database): void
}
