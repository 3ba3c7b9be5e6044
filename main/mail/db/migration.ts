import type { Database } from 'better-sqlite3'

/** One schema step. Each lives in its own file under migrations/ and has its own test. */
export interface Migration {
  /** The user_version the database has after this step; steps are numbered 1, 2, 3… */
  readonly version: number
  readonly name: string
  up(db: Database): void
}
