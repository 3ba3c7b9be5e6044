import Database from 'better-sqlite3'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openMailDb } from '../../main/mail/db/connection'
import { migrate, schemaVersion } from '../../main/mail/db/migrate'
import type { Migration } from '../../main/mail/db/migration'
import { SCHEMA_VERSION } from '../../main/mail/db/migrations'
import { initialSchema } from '../../main/mail/db/migrations/0001-initial'
import { isCairnError } from '../../main/shared/errors'
import { tempDir } from '../support/temp'

function freshDb() {
  return new Database(join(tempDir(), 'mail.sqlite'))
}

describe('migration 0001: initial schema', () => {
  it('creates the tables, the full-text index and the count triggers', () => {
    const db = freshDb()
    migrate(db, [initialSchema])
    const names = db
      .prepare<[], { name: string }>(
        `SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') ORDER BY name`,
      )
      .all()
      .map((r) => r.name)
    for (const name of [
      'accounts',
      'folders',
      'messages',
      'attachments',
      'contacts',
      'chats',
      'chat_messages',
      'messages_fts',
    ]) {
      expect(names).toContain(name)
    }
    db.prepare(
      `INSERT INTO accounts (id, kind, name, created_at) VALUES (1, 'local', 'L', 0)`,
    ).run()
    db.prepare(
      `INSERT INTO folders (id, account_id, name, path) VALUES (1, 1, 'Inbox', 'Inbox')`,
    ).run()
    const insert = db.prepare(
      `INSERT INTO messages (folder_id, content_hash, subject, participants, body_text, date, seen, size)
       VALUES (1, ?, ?, 'alice@example.com', ?, 0, ?, 10)`,
    )
    insert.run('h1', 'Budget review', 'numbers for the quarter', 0)
    insert.run('h2', 'Lunch', 'sandwiches', 1)
    expect(db.prepare('SELECT total, unread FROM folders WHERE id = 1').get()).toEqual({
      total: 2,
      unread: 1,
    })
    const hits = db
      .prepare(`SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'quart*'`)
      .all()
    expect(hits).toHaveLength(1)
    db.prepare(`UPDATE messages SET seen = 1 WHERE content_hash = 'h1'`).run()
    db.prepare(`DELETE FROM messages WHERE content_hash = 'h2'`).run()
    expect(db.prepare('SELECT total, unread FROM folders WHERE id = 1').get()).toEqual({
      total: 1,
      unread: 0,
    })
    expect(
      db.prepare(`SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'sandwiches'`).all(),
    ).toHaveLength(0)
    db.close()
  })
})

describe('migrations', () => {
  it('record progress in user_version and are applied once', () => {
    const db = freshDb()
    let runs = 0
    const counting: Migration = { version: 1, name: 'count', up: () => void runs++ }
    migrate(db, [counting])
    migrate(db, [counting])
    expect(runs).toBe(1)
    expect(schemaVersion(db)).toBe(1)
    db.close()
  })

  it('roll back a failing migration entirely', () => {
    const db = freshDb()
    const failing: Migration = {
      version: 1,
      name: 'half',
      up(d) {
        d.exec('CREATE TABLE half (x)')
        throw new Error('boom')
      },
    }
    expect(() => migrate(db, [failing])).toThrow('boom')
    expect(schemaVersion(db)).toBe(0)
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'half'`).get()).toBeUndefined()
    db.close()
  })

  it('refuse a database from a newer Cairn with a clear message', () => {
    const file = join(tempDir(), 'mail.sqlite')
    const db = new Database(file)
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    let error: unknown
    try {
      openMailDb(file)
    } catch (e) {
      error = e
    }
    expect(isCairnError(error, 'PROFILE_TOO_NEW')).toBe(true)
    expect((error as Error).message).toMatch(/newer version of Cairn.*Update Cairn/)
  })

  it('open the mailbox in WAL mode at the newest schema', () => {
    const db = openMailDb(join(tempDir(), 'mail.sqlite'))
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION)
    db.close()
  })
})
