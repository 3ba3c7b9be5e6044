import Database from 'better-sqlite3'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../main/mail/db/migrate'
import type { Migration } from '../../main/mail/db/migration'
import { migrations } from '../../main/mail/db/migrations'
import { tempDir } from './temp'

/**
 * The harness every migration's upgrade test uses
 * (test/integration/migrations/NNNN-name.test.ts): a mailbox as users have
 * it, populated at schema 1 and brought up to the schema just before the
 * migration; a snapshot of every row; and the check that the migration
 * kept all of them.
 */

export type Db = Database.Database

export function freshDb(): Db {
  const db = new Database(join(tempDir('cairn-migration-'), 'mail.sqlite'))
  db.pragma('journal_mode = WAL')
  db.pragma('foreign_keys = ON')
  return db
}

/**
 * What a user's mailbox holds at schema 1: two accounts, nested folders with
 * their counts, read and unread messages with bodies in the full-text index,
 * attachments, contacts, a chat with its messages.
 */
export const SCHEMA_1_ROWS = `
  INSERT INTO accounts (id, kind, name, email, created_at) VALUES
    (1, 'local', 'Local Folders', NULL, 5),
    (2, 'imap', 'Work', 'me@example.com', 6);
  INSERT INTO folders (id, account_id, parent_id, name, path, special_use, uid_validity, uid_next, highest_modseq) VALUES
    (1, 1, NULL, 'Inbox', 'Inbox', '\\Inbox', NULL, NULL, NULL),
    (2, 1, 1, 'Receipts', 'Inbox/Receipts', NULL, NULL, NULL, NULL),
    (3, 2, NULL, 'INBOX', 'INBOX', '\\Inbox', 1700000000, 42, '9007199254740993');
  INSERT INTO messages (id, folder_id, uid, message_id, content_hash, thread_id, in_reply_to, references_json,
                        subject, from_name, from_address, to_json, cc_json, participants, date, seen, flagged,
                        snippet, body_text, body_html, size, has_attachments) VALUES
    (1, 1, NULL, 'a@x', 'h1', 1, '', '[]', 'Budget review', 'Alice', 'alice@example.com',
       '[{"name":"Me","address":"me@example.com"}]', '[]', 'Alice alice@example.com', 1, 0, 1,
       'numbers for the quarter', 'numbers for the quarter', NULL, 10, 0),
    (2, 2, NULL, 'b@x', 'h2', 2, '', '[]', 'Your receipt', 'Shop', 'shop@example.com',
       '[]', '[]', 'Shop shop@example.com', 2, 1, 0, 'thank you', 'thank you', '<p>thank you</p>', 20, 1),
    (3, 3, 41, 'c@x', 'h3', 1, 'a@x', '["a@x"]', 'Re: Budget review', 'Bob', 'bob@example.com',
       '[]', '[{"name":"Carol","address":"carol@example.com"}]', 'Bob bob@example.com Carol carol@example.com',
       3, 0, 0, 'agreed, ship it', 'agreed, ship it', NULL, 30, 0);
  INSERT INTO attachments (id, message_id, filename, mime_type, size, sha256, content_id, disposition) VALUES
    (1, 2, 'receipt.pdf', 'application/pdf', 3, '${'a'.repeat(64)}', NULL, 'attachment'),
    (2, 2, 'logo.png', 'image/png', 4, '${'b'.repeat(64)}', 'logo@x', 'inline');
  INSERT INTO contacts (id, address, name, message_count, last_seen) VALUES
    (1, 'alice@example.com', 'Alice', 1, 1),
    (2, 'bob@example.com', 'Bob', 1, 3);
  INSERT INTO chats (id, account_id, peer, name, kind, last_message_at, unread) VALUES
    (1, 2, 'bob@example.com', 'Bob', 'direct', 4, 1),
    (2, 2, 'team@rooms.example.com', 'Team', 'group', 5, 0);
  INSERT INTO chat_messages (id, chat_id, stanza_id, direction, sender, body, sent_at, delivered) VALUES
    (1, 1, 's1', 'in', 'bob@example.com', 'hello', 3, 1),
    (2, 1, 's2', 'out', 'me@example.com', 'hi Bob', 4, 0),
    (3, 2, 's3', 'in', 'carol@example.com', 'standup at ten', 5, 1);
`

/** A stand-in raw message under `sha256` (schema 8 on), for rows that must point at one. */
export function putTestSource(db: Db, sha256: string): void {
  db.prepare(
    `INSERT INTO message_sources (sha256, size, compression, content) VALUES (?, 3, 'zstd', x'00')`,
  ).run(sha256)
}

/** Words in SCHEMA_1_ROWS that full-text search must keep finding. */
export const SEARCHABLE = ['quarter', 'receipt', 'carol', 'ship']

/**
 * A populated mailbox at `version`: schema 1 with SCHEMA_1_ROWS, then every
 * migration up to `version`, then `seed` (rows only a later schema can
 * hold, added by the test of the migration that introduced them).
 */
export function populatedAt(version: number, seed?: (db: Db) => void): Db {
  const db = freshDb()
  migrate(db, migrations.slice(0, 1))
  db.exec(SCHEMA_1_ROWS)
  migrate(db, migrations.slice(0, version))
  expect(schemaVersion(db)).toBe(version)
  seed?.(db)
  return db
}

export interface TableSnapshot {
  columns: string[]
  /** Rows by rowid, as column → value. */
  rows: Map<number, Record<string, unknown>>
}

/** Every row of every ordinary table (not SQLite's own, not full-text shadow tables). */
export function snapshot(db: Db): Map<string, TableSnapshot> {
  const tables = (
    db.pragma('table_list') as { name: string; type: string; schema: string }[]
  ).filter((t) => t.schema === 'main' && t.type === 'table' && !t.name.startsWith('sqlite_'))
  const result = new Map<string, TableSnapshot>()
  for (const { name } of tables) {
    const columns = (db.pragma(`table_info("${name}")`) as { name: string }[]).map((c) => c.name)
    const rows = new Map<number, Record<string, unknown>>()
    for (const row of db.prepare(`SELECT rowid AS __rowid, * FROM "${name}"`).all() as Record<
      string,
      unknown
    >[]) {
      const { __rowid, ...values } = row
      rows.set(Number(__rowid), values)
    }
    result.set(name, { columns, rows })
  }
  return result
}

export function fullTextHits(db: Db): Record<string, number[]> {
  return Object.fromEntries(
    SEARCHABLE.map((word) => [
      word,
      (
        db
          .prepare(`SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid`)
          .all(`"${word}"*`) as { rowid: number }[]
      ).map((r) => r.rowid),
    ]),
  )
}

export interface Allowances {
  /** Tables the migration drops on purpose (their rows moved elsewhere: say where in the test). */
  dropped?: string[]
  /** Columns the migration removes or rewrites on purpose, by table. */
  changedColumns?: Record<string, string[]>
  /** Rows (by rowid) the migration deletes on purpose, by table: these must be gone. */
  removedRows?: Record<string, number[]>
}

/**
 * Every row that was there before is there after, under the same rowid,
 * with the same value in every column both schemas have (except columns
 * the migration says it rewrites); full-text search finds the same
 * messages; every reference resolves.
 */
export function expectNothingLost(
  before: Map<string, TableSnapshot>,
  after: Map<string, TableSnapshot>,
  db: Db,
  searchBefore: Record<string, number[]>,
  allow: Allowances = {},
): void {
  for (const [table, old] of before) {
    if (allow.dropped?.includes(table)) continue
    const now = after.get(table)
    expect(now, `table ${table} is gone`).toBeDefined()
    if (!now) continue
    const kept = old.columns.filter(
      (c) => now.columns.includes(c) && !(allow.changedColumns?.[table] ?? []).includes(c),
    )
    const removed = allow.removedRows?.[table] ?? []
    for (const rowid of removed)
      expect(now.rows.has(rowid), `${table} row ${rowid} stays`).toBe(false)
    expect(now.rows.size, `rows in ${table}`).toBe(old.rows.size - removed.length)
    for (const [rowid, row] of old.rows) {
      if (removed.includes(rowid)) continue
      const next = now.rows.get(rowid)
      expect(next, `${table} row ${rowid} is gone`).toBeDefined()
      for (const column of kept)
        expect(next?.[column], `${table} row ${rowid}, column ${column}`).toEqual(row[column])
    }
  }
  expect(fullTextHits(db)).toEqual(searchBefore)
  expect(db.pragma('foreign_key_check')).toEqual([])
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
}

/**
 * The tables that each migration after the first creates or rebuilds and
 * that are not STRICT (a rebuilt table gets a new root page). The policy:
 * every new table is STRICT, so SQLite refuses a value of the wrong type
 * instead of storing it.
 */
export function strictViolations(list: readonly Migration[] = migrations): string[] {
  const db = freshDb()
  const violations: string[] = []
  try {
    for (let index = 0; index < list.length; index++) {
      const before = tablePages(db)
      migrate(db, list.slice(0, index + 1))
      if (index === 0) continue // the first schema predates the policy
      const strict = new Map(
        (db.pragma('table_list') as { name: string; type: string; strict: number }[])
          .filter((t) => t.type === 'table')
          .map((t) => [t.name, t.strict === 1]),
      )
      for (const [name, page] of tablePages(db)) {
        const created = before.get(name) !== page
        if (created && strict.get(name) === false) {
          const migration = list[index] as Migration
          violations.push(`${migration.version} ${migration.name}: ${name}`)
        }
      }
    }
  } finally {
    db.close()
  }
  return violations
}

function tablePages(db: Db): Map<string, number> {
  return new Map(
    (
      db
        .prepare(
          `SELECT name, rootpage FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
        )
        .all() as { name: string; rootpage: number }[]
    ).map((t) => [t.name, t.rootpage]),
  )
}

export interface MigrationTest {
  /** Rows that only the schema just before this migration can hold (e.g. a column added by 0003). */
  seed?: (db: Db) => void
  allow?: Allowances
  /** What this migration is for, checked on the upgraded database. */
  checks?: (db: Db) => void
}

/**
 * The upgrade test each migration must have: a populated mailbox at the
 * schema before it is upgraded by it, and nothing is lost. Call it from
 * test/integration/migrations/<the migration's file name>.test.ts; the
 * policy test fails for a migration without one.
 */
export function describeMigration(migration: Migration, test: MigrationTest = {}): void {
  describe(`migration ${String(migration.version).padStart(4, '0')}: ${migration.name}`, () => {
    it('upgrades a populated mailbox without losing a row', () => {
      expect(migrations[migration.version - 1]).toBe(migration)
      const db = populatedAt(migration.version - 1, test.seed)
      const before = snapshot(db)
      const search = fullTextHits(db)
      migrate(db, migrations.slice(0, migration.version))
      expect(schemaVersion(db)).toBe(migration.version)
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
      expectNothingLost(before, snapshot(db), db, search, test.allow)
      test.checks?.(db)
      db.close()
    })
  })
}
