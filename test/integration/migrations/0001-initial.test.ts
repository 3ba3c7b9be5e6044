import { describe, expect, it } from 'vitest'
import { migrate } from '../../../main/mail/db/migrate'
import { initialSchema } from '../../../main/mail/db/migrations/0001-initial'
import { freshDb, populatedAt, SCHEMA_1_ROWS } from '../../support/migrations'

// The first schema has nothing to upgrade from: its test checks what it creates.
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

  it('holds the rows every later upgrade test starts from, with counts kept by its triggers', () => {
    const db = populatedAt(1)
    expect(db.prepare('SELECT id, total, unread FROM folders ORDER BY id').all()).toEqual([
      { id: 1, total: 1, unread: 1 },
      { id: 2, total: 1, unread: 0 },
      { id: 3, total: 1, unread: 1 },
    ])
    expect(SCHEMA_1_ROWS).toContain('INSERT INTO chat_messages')
    db.close()
  })
})
