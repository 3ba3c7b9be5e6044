import { expect } from 'vitest'
import { chatSearch } from '../../../main/mail/db/migrations/0006-chat-search'
import type { MailDb } from '../../../main/mail/db/connection'
import { describeMigration } from '../../support/migrations'

/**
 * The ids of the chat messages the index finds for a word prefix, asked of the
 * index itself: the app's search (main/chat/store/search.ts) also reads tables
 * that later migrations add, so it cannot run against the schema of 0006.
 */
function found(db: MailDb, prefix: string): number[] {
  return db
    .prepare<[string], { id: number }>(
      'SELECT rowid AS id FROM chat_messages_fts WHERE chat_messages_fts MATCH ? ORDER BY rowid',
    )
    .all(`"${prefix}"*`)
    .map((row) => row.id)
}

describeMigration(chatSearch, {
  seed(db) {
    db.prepare(
      `INSERT INTO chat_attachments (message_id, url, filename) VALUES (3, 'https://f.example/s.pdf', 's.pdf')`,
    ).run()
  },
  checks(db) {
    // Messages stored before the index existed are found; new ones are indexed as they come.
    expect(found(db, 'stand')).toEqual([3])
    db.prepare(
      `INSERT INTO chat_messages (chat_id, ord, direction, sender, body, sent_at, received_at) VALUES (1, 9, 'in', 'bob@example.com', 'standing ovation', 9, 9)`,
    ).run()
    expect(found(db, 'standing')).toHaveLength(1)
    db.prepare('DELETE FROM chat_messages WHERE id = 3').run()
    expect(found(db, 'standup')).toEqual([])
  },
})
