import Database from 'better-sqlite3'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openMailDb } from '../../main/mail/db/connection'
import { migrate, schemaVersion } from '../../main/mail/db/migrate'
import type { Migration } from '../../main/mail/db/migration'
import { SCHEMA_VERSION } from '../../main/mail/db/migrations'
import { initialSchema } from '../../main/mail/db/migrations/0001-initial'
import { accountsForSync } from '../../main/mail/db/migrations/0002-accounts-for-sync'
import { remoteMessages } from '../../main/mail/db/migrations/0003-remote-messages'
import { syncActions } from '../../main/mail/db/migrations/0004-sync-actions'
import { outbox } from '../../main/mail/db/migrations/0005-outbox'
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

/** A mailbox at schema 1 with a folder, messages, an attachment row and a chat, as users have them. */
function populatedAtSchema1() {
  const db = freshDb()
  db.pragma('foreign_keys = ON')
  migrate(db, [initialSchema])
  db.exec(`
    INSERT INTO accounts (id, kind, name, email, created_at) VALUES (1, 'local', 'Local Folders', NULL, 5);
    INSERT INTO accounts (id, kind, name, email, created_at) VALUES (2, 'imap', 'Work', 'me@example.com', 6);
    INSERT INTO folders (id, account_id, name, path) VALUES (1, 1, 'Inbox', 'Inbox');
    INSERT INTO folders (id, account_id, parent_id, name, path) VALUES (2, 1, 1, 'Receipts', 'Inbox/Receipts');
    INSERT INTO messages (id, folder_id, content_hash, subject, participants, body_text, date, seen, size)
      VALUES (1, 1, 'h1', 'Budget review', 'alice@example.com', 'numbers for the quarter', 1, 0, 10),
             (2, 2, 'h2', 'Your receipt', 'shop@example.com', 'thank you', 2, 1, 20);
    INSERT INTO attachments (message_id, filename, mime_type, size, sha256, disposition)
      VALUES (2, 'receipt.pdf', 'application/pdf', 3, 'abc', 'attachment');
    INSERT INTO chats (id, account_id, peer, name) VALUES (1, 2, 'bob@example.com', 'Bob');
    INSERT INTO chat_messages (chat_id, stanza_id, direction, sender, body, sent_at)
      VALUES (1, 's1', 'in', 'bob@example.com', 'hello', 3);
  `)
  return db
}

function counts(db: Database.Database) {
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
  return {
    accounts: count('accounts'),
    folders: count('folders'),
    messages: count('messages'),
    attachments: count('attachments'),
    chats: count('chats'),
    chatMessages: count('chat_messages'),
  }
}

describe('migration 0002: accounts for mail sync and chat (a real table rebuild)', () => {
  it('keeps every folder, message, attachment and chat while rebuilding accounts', () => {
    const db = populatedAtSchema1()
    const before = counts(db)
    migrate(db, [initialSchema, accountsForSync])
    expect(schemaVersion(db)).toBe(2)
    expect(counts(db)).toEqual(before)
    expect(db.prepare('SELECT total, unread FROM folders WHERE id = 1').get()).toEqual({
      total: 1,
      unread: 1,
    })
    expect(
      db.prepare(`SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'quarter'`).all(),
    ).toHaveLength(1)
    expect(db.prepare('SELECT config_json FROM accounts WHERE id = 2').get()).toEqual({
      config_json: '{}',
    })
    // The widened kind, and a STRICT table that refuses the wrong type.
    db.prepare(`INSERT INTO accounts (kind, name, created_at) VALUES ('xmpp', 'Chat', 7)`).run()
    expect(() =>
      db.prepare(`INSERT INTO accounts (kind, name, created_at) VALUES ('pop3', 'x', 1)`).run(),
    ).toThrow(/CHECK/)
    expect(() =>
      db
        .prepare(`INSERT INTO accounts (kind, name, created_at) VALUES ('local', 'x', 'soon')`)
        .run(),
    ).toThrow(/cannot store TEXT value in INTEGER column/)
    // Enforcement is back on afterwards, and still cascades.
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    db.prepare('DELETE FROM accounts WHERE id = 1').run()
    expect(counts(db).folders).toBe(0)
    db.close()
  })

  it('would lose every folder and message if run with foreign keys on (why the runner turns them off)', () => {
    const db = populatedAtSchema1()
    const { foreignKeys: _off, ...withKeysOn } = accountsForSync
    migrate(db, [initialSchema, withKeysOn])
    expect(counts(db).folders).toBe(0)
    expect(counts(db).messages).toBe(0)
    db.close()
  })

  it('rolls back a rebuild that would leave a broken reference, and turns enforcement back on', () => {
    const db = populatedAtSchema1()
    const dropsAnAccount: Migration = {
      version: 2,
      name: 'loses account 1',
      foreignKeys: 'off',
      up(d) {
        accountsForSync.up(d)
        d.exec('DELETE FROM accounts WHERE id = 1')
      },
    }
    expect(() => migrate(db, [initialSchema, dropsAnAccount])).toThrow(/broken reference/)
    expect(schemaVersion(db)).toBe(1)
    expect(counts(db).accounts).toBe(2)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    db.close()
  })
})

describe('migrations 0003–0005: sync state, action queue and outbox on a populated mailbox', () => {
  it('keep every existing row and add STRICT tables that enforce their keys', () => {
    const db = populatedAtSchema1()
    const before = counts(db)
    migrate(db, [initialSchema, accountsForSync, remoteMessages, syncActions, outbox])
    expect(schemaVersion(db)).toBe(5)
    expect(counts(db)).toEqual(before)
    expect(
      db.prepare(`SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'quarter'`).all(),
    ).toHaveLength(1)
    // Imported mail is untouched: no remote rows were invented for it.
    expect(db.prepare('SELECT count(*) AS n FROM remote_messages').get()).toEqual({ n: 0 })

    const sha = 'a'.repeat(64)
    db.prepare(
      `INSERT INTO message_sources (sha256, size, compression, content) VALUES (?, 3, 'zstd', x'00')`,
    ).run(sha)
    db.prepare(
      `INSERT INTO remote_folders (folder_id, account_id, imap_path, uidvalidity) VALUES (1, 2, 'INBOX', 7)`,
    ).run()
    const remote = db.prepare(
      `INSERT INTO remote_messages (message_id, account_id, folder_id, uidvalidity, uid, state, source_sha256)
       VALUES (?, 2, 1, 7, ?, 'full', ?)`,
    )
    remote.run(1, 10, sha)
    // (account, folder, uidvalidity, uid) is a key.
    expect(() => remote.run(2, 10, sha)).toThrow(/UNIQUE/)
    // STRICT: a UID must be an integer.
    expect(() => remote.run(2, 'ten', sha)).toThrow(/cannot store TEXT value in INTEGER column/)
    expect(() =>
      db
        .prepare(
          `INSERT INTO remote_messages (message_id, account_id, folder_id, uidvalidity, uid, state)
           VALUES (2, 2, 1, 7, 11, 'half')`,
        )
        .run(),
    ).toThrow(/CHECK/)
    db.prepare(
      `INSERT INTO sync_actions (account_id, kind, message_id, imap_path, uidvalidity, uid, created_at)
       VALUES (2, 'move', 1, 'INBOX', 7, 10, 1)`,
    ).run()
    db.prepare(
      `INSERT INTO outbox (account_id, message_id_header, envelope_from, envelope_to, source_sha256,
                           state, next_attempt_at, created_at)
       VALUES (2, '<m@x>', 'me@example.com', '["you@example.com"]', ?, 'queued', 0, 1)`,
    ).run(sha)
    expect(() =>
      db
        .prepare(
          `INSERT INTO outbox (account_id, message_id_header, envelope_from, envelope_to, source_sha256,
                               state, next_attempt_at, created_at)
           VALUES (2, '<n@x>', 'me@example.com', '[]', ?, 'queued', 0, 1)`,
        )
        .run('b'.repeat(64)),
    ).toThrow(/FOREIGN KEY/)

    // Deleting the message keeps its queued action (a delete must still reach
    // the server) but forgets the local row it pointed at.
    db.prepare('DELETE FROM messages WHERE id = 1').run()
    expect(db.prepare('SELECT count(*) AS n FROM remote_messages').get()).toEqual({ n: 0 })
    expect(db.prepare('SELECT message_id FROM sync_actions').get()).toEqual({ message_id: null })
    // Removing the account removes its sync state, queue and outbox.
    db.prepare('DELETE FROM accounts WHERE id = 2').run()
    for (const table of ['remote_folders', 'sync_actions', 'outbox'])
      expect(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()).toEqual({ n: 0 })
    db.close()
  })

  it('bring a populated schema-2 database to the newest schema through openMailDb', () => {
    const file = join(tempDir(), 'mail.sqlite')
    const db = new Database(file)
    db.pragma('foreign_keys = ON')
    migrate(db, [initialSchema, accountsForSync])
    db.exec(`
      INSERT INTO accounts (id, kind, name, created_at) VALUES (1, 'local', 'Local Folders', 1);
      INSERT INTO folders (id, account_id, name, path) VALUES (1, 1, 'Inbox', 'Inbox');
      INSERT INTO messages (folder_id, content_hash, subject, participants, body_text, date, size)
        VALUES (1, 'h1', 'Kept', 'a@example.com', 'body', 1, 1);
    `)
    db.close()
    const upgraded = openMailDb(file)
    expect(schemaVersion(upgraded)).toBe(SCHEMA_VERSION)
    expect(upgraded.prepare('SELECT subject FROM messages').all()).toEqual([{ subject: 'Kept' }])
    upgraded.close()
  })
})
