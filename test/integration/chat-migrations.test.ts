import Database from 'better-sqlite3'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../main/mail/db/migrate'
import { migrations } from '../../main/mail/db/migrations'
import { initialSchema } from '../../main/mail/db/migrations/0001-initial'
import { accountsForSync } from '../../main/mail/db/migrations/0002-accounts-for-sync'
import { chatConversations } from '../../main/mail/db/migrations/0003-chat-conversations'
import { chatMessages } from '../../main/mail/db/migrations/0004-chat-messages'
import { chatAttachments } from '../../main/mail/db/migrations/0005-chat-attachments'
import { chatSearch } from '../../main/mail/db/migrations/0006-chat-search'
import { chatRoster } from '../../main/mail/db/migrations/0007-chat-roster'
import { searchChats } from '../../main/chat/store/search'
import { tempDir } from '../support/temp'

const before = [initialSchema, accountsForSync]

/** A mailbox at schema 2 with mail, an XMPP account and chats, as the first chat code would have left it. */
function populated() {
  const db = new Database(join(tempDir(), 'mail.sqlite'))
  db.pragma('foreign_keys = ON')
  migrate(db, before)
  db.exec(`
    INSERT INTO accounts (id, kind, name, email, created_at) VALUES (1, 'local', 'Local Folders', NULL, 1);
    INSERT INTO accounts (id, kind, name, email, config_json, created_at)
      VALUES (2, 'xmpp', 'Me', 'me@example.org', '{"resource":"cairn-1"}', 2);
    INSERT INTO folders (id, account_id, name, path) VALUES (1, 1, 'Inbox', 'Inbox');
    INSERT INTO messages (id, folder_id, content_hash, subject, participants, body_text, date, seen, size)
      VALUES (1, 1, 'h1', 'Budget', 'a@example.com', 'quarterly numbers', 1, 0, 10);
    INSERT INTO chats (id, account_id, peer, name, kind, last_message_at, unread)
      VALUES (1, 2, 'bob@example.org', 'Bob', 'direct', 30, 1),
             (2, 2, 'team@rooms.example.org', 'Team', 'group', 40, 0);
    INSERT INTO chat_messages (id, chat_id, stanza_id, direction, sender, body, sent_at, delivered)
      VALUES (1, 1, 's1', 'in', 'bob@example.org', 'lunch on friday?', 10, 0),
             (2, 1, 's2', 'out', 'me@example.org', 'yes, noon', 20, 1),
             (3, 1, NULL, 'out', 'me@example.org', 'see you', 30, 0),
             (4, 2, NULL, 'in', 'alice', 'standup moved', 40, 0);
  `)
  return db
}

function counts(db: Database.Database) {
  const n = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
  return {
    accounts: n('accounts'),
    messages: n('messages'),
    chats: n('chats'),
    chatMessages: n('chat_messages'),
  }
}

describe('chat migrations (0003–0007) on a populated mailbox', () => {
  it('keeps every account, mail message, chat and chat message, mapping the old columns and unread counts', () => {
    const db = populated()
    const start = counts(db)
    migrate(db, migrations)
    expect(schemaVersion(db)).toBe(migrations.length)
    expect(counts(db)).toEqual(start)
    expect(
      db.prepare('SELECT peer, kind, name, unread, last_message_at FROM chats ORDER BY id').all(),
    ).toEqual([
      { peer: 'bob@example.org', kind: 'direct', name: 'Bob', unread: 1, last_message_at: 30 },
      {
        peer: 'team@rooms.example.org',
        kind: 'group',
        name: 'Team',
        unread: 0,
        last_message_at: 40,
      },
    ])
    expect(
      db
        .prepare(
          'SELECT id, ord, origin_id, archive_id, state, seen, received_at FROM chat_messages ORDER BY id',
        )
        .all(),
    ).toEqual([
      {
        id: 1,
        ord: 1,
        origin_id: 's1',
        archive_id: null,
        state: 'received',
        seen: 0,
        received_at: 10,
      },
      {
        id: 2,
        ord: 2,
        origin_id: 's2',
        archive_id: null,
        state: 'delivered',
        seen: 1,
        received_at: 20,
      },
      { id: 3, ord: 3, origin_id: null, archive_id: null, state: 'sent', seen: 1, received_at: 30 },
      {
        id: 4,
        ord: 4,
        origin_id: null,
        archive_id: null,
        state: 'received',
        seen: 1,
        received_at: 40,
      },
    ])
    // Old chat messages are searchable; mail search is untouched.
    expect(searchChats(db, 'lunch fri', 10).map((h) => h.messageId)).toEqual([1])
    expect(
      db.prepare(`SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'quarterly'`).all(),
    ).toHaveLength(1)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('foreign_key_check')).toEqual([])
    db.close()
  })

  it('deduplicates by origin id per sender and by archive id per chat, and keeps unread counts with triggers', () => {
    const db = populated()
    migrate(db, migrations)
    const insert = db.prepare(
      `INSERT INTO chat_messages (chat_id, ord, direction, sender, origin_id, archive_id, body, sent_at, received_at, seen)
       VALUES (1, ?, 'in', ?, ?, ?, 'x', 50, 50, 0)`,
    )
    insert.run(10, 'bob@example.org', 'o1', 'a1')
    expect(() => insert.run(11, 'bob@example.org', 'o1', null)).toThrow(/UNIQUE/)
    expect(() => insert.run(12, 'bob@example.org', 'o2', 'a1')).toThrow(/UNIQUE/)
    insert.run(13, 'carol@example.org', 'o1', null) // another sender may reuse an id
    insert.run(14, 'bob@example.org', null, null) // messages without ids are allowed, any number
    insert.run(15, 'bob@example.org', null, null)
    expect(db.prepare('SELECT unread FROM chats WHERE id = 1').get()).toEqual({ unread: 5 })
    db.prepare('UPDATE chat_messages SET seen = 1 WHERE chat_id = 1 AND ord = 13').run()
    db.prepare('DELETE FROM chat_messages WHERE chat_id = 1 AND ord = 14').run()
    expect(db.prepare('SELECT unread FROM chats WHERE id = 1').get()).toEqual({ unread: 3 })
    expect(() =>
      db
        .prepare(
          `INSERT INTO chat_messages (chat_id, ord, direction, sender, body, sent_at, received_at) VALUES (1, 'x', 'in', 'b', 'y', 1, 1)`,
        )
        .run(),
    ).toThrow(/cannot store TEXT value in INTEGER column/)
    expect(() =>
      db
        .prepare(
          `INSERT INTO chat_messages (chat_id, ord, direction, sender, body, sent_at, received_at, state) VALUES (1, 1, 'in', 'b', 'y', 1, 1, 'lost')`,
        )
        .run(),
    ).toThrow(/CHECK/)
    db.close()
  })

  it('cascades from an account to its chats, messages, attachments, contacts and sync state', () => {
    const db = populated()
    migrate(db, migrations)
    db.exec(`
      INSERT INTO chat_attachments (message_id, url, filename) VALUES (1, 'https://files.example.org/a.png', 'a.png');
      INSERT INTO chat_contacts (account_id, jid, subscription) VALUES (2, 'bob@example.org', 'both');
      INSERT INTO chat_sync (account_id, archive_last_id) VALUES (2, 'abc');
    `)
    db.prepare('DELETE FROM accounts WHERE id = 2').run()
    for (const table of [
      'chats',
      'chat_messages',
      'chat_attachments',
      'chat_contacts',
      'chat_sync',
    ])
      expect((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n).toBe(0)
    expect(searchChats(db, 'lunch', 10)).toEqual([])
    expect(counts(db).messages).toBe(1)
    db.close()
  })

  it('would lose every chat message if the chat rebuilds ran with foreign keys on (why they turn them off)', () => {
    for (const step of [chatConversations, chatMessages]) {
      const db = populated()
      const upTo = [...before, chatConversations, chatMessages].slice(
        0,
        step === chatConversations ? 3 : 4,
      )
      const { foreignKeys: _off, ...withKeysOn } = step
      const run = upTo.map((m) => (m === step ? withKeysOn : m))
      if (step === chatMessages) {
        migrate(db, run)
        expect(counts(db).chatMessages).toBe(4) // rebuilding the child table itself loses nothing
      } else {
        migrate(db, run)
        expect(counts(db).chatMessages).toBe(0) // dropping chats cascaded into chat_messages
      }
      db.close()
    }
  })

  it('each step applies on its own and in order (numbered after 0002 for now)', () => {
    const db = populated()
    const steps = [chatConversations, chatMessages, chatAttachments, chatSearch, chatRoster]
    steps.forEach((step, i) => {
      migrate(db, [...before, ...steps.slice(0, i + 1)])
      expect(schemaVersion(db)).toBe(3 + i)
    })
    expect(counts(db).chatMessages).toBe(4)
    db.close()
  })
})
